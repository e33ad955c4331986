// The kill storm: SIGKILL the executing host again and again (at epoch boundaries, and in the
// middle of a trainer's checkpoint write, host and trainers together as a power cut would),
// resume each time with `annealab queue resume`, and count what was lost or recorded twice.
// The bar (issue 16): nothing lost, nothing duplicated, the final numbers equal to a clean run
// with the same seeds, no temporary checkpoint file left behind. Not a test: it takes minutes.
//
//   npx tsx bench/kill-storm.ts [--kills 16] [--json]
//
// Prints one table row: test | attempts | passed | lost/duplicated.
import Database from 'better-sqlite3';
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BIN = fileURLToPath(new URL('../bin/annealab.mjs', import.meta.url));
const { values } = parseArgs({
  options: { kills: { type: 'string', default: '16' }, json: { type: 'boolean' } },
});
const KILLS = Number(values.kills);

const spec = {
  name: 'storm',
  dataset: { id: 'mnist', trainSize: 1000, testSize: 200 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 0.05, momentum: 0.9 }],
  seeds: [1, 2],
  epochs: 14,
  batchSize: 16,
};

type Epoch = {
  runId: string;
  seed: number;
  epoch: number;
  val: unknown;
  train: unknown;
  counters: { updates: number };
};
const key = (e: { seed: number; epoch: number }) => `${e.seed}:${e.epoch}`;
const comparable = (e: Epoch) =>
  JSON.stringify({ seed: e.seed, epoch: e.epoch, val: e.val, train: e.train, u: e.counters.updates });

function start(args: string[]): { child: ChildProcess; epochs: Epoch[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  const epochs: Epoch[] = [];
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      if (!l.includes('"type":"epoch"')) continue;
      epochs.push(JSON.parse(l) as Epoch);
      child.emit('epoch');
    }
  });
  return { child, epochs, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

const trainersOf = (pid: number): number[] => {
  const r = spawnSync('pgrep', ['-P', String(pid)]);
  return r.stdout.toString().trim().split('\n').filter(Boolean).map(Number);
};
const kill = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
};

function temporaries(dataDir: string): string[] {
  const root = join(dataDir, 'checkpoints');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((run) =>
    existsSync(join(root, run)) ? readdirSync(join(root, run)).filter((n) => n.endsWith('.tmp')) : [],
  );
}

/** Kill the host (and, mid-checkpoint, its trainers) at the chosen moment; resolves once done. */
async function killCycle(
  host: ReturnType<typeof start>,
  dataDir: string,
  mode: 'epoch' | 'checkpoint',
): Promise<{ killed: boolean; midWrite: boolean }> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: { killed: boolean; midWrite: boolean }) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    void host.exited.then(() => finish({ killed: false, midWrite: false }));
    if (mode === 'epoch') {
      host.child.once('epoch', () => {
        kill(host.child.pid!);
        finish({ killed: true, midWrite: false });
      });
      return;
    }
    // Watch for a checkpoint's temporary file and kill everything while it is being written;
    // if no write is caught within two epochs, kill at the epoch boundary instead.
    let seen = 0;
    host.child.on('epoch', () => {
      if (++seen < 2) return;
      kill(host.child.pid!);
      finish({ killed: true, midWrite: false });
    });
    // The trainers' pids are looked up ahead (pgrep takes milliseconds, a checkpoint write not many).
    let trainers: number[] = [];
    const lookup = setInterval(() => (trainers = trainersOf(host.child.pid!)), 100);
    void host.exited.then(() => clearInterval(lookup));
    const poll = () => {
      if (done) return clearInterval(lookup);
      if (temporaries(dataDir).length > 0) {
        for (const t of trainers) kill(t);
        kill(host.child.pid!);
        clearInterval(lookup);
        finish({ killed: true, midWrite: true });
        return;
      }
      setImmediate(poll);
    };
    poll();
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'annealab-kill-storm-'));
  const specPath = join(dir, 'spec.json');
  writeFileSync(specPath, JSON.stringify(spec));

  const clean = spawnSync(process.execPath, [
    BIN,
    'run',
    specPath,
    '--json',
    '--concurrency',
    '2',
    '--data-dir',
    join(dir, 'clean'),
  ]);
  const reference = clean.stdout
    .toString()
    .split('\n')
    .filter((l) => l.includes('"type":"epoch"'))
    .map((l) => JSON.parse(l) as Epoch);
  if (clean.status !== 0 || reference.length !== spec.epochs * spec.seeds.length)
    throw new Error(`the clean run failed (${clean.status}): ${clean.stderr}`);

  const dataDir = join(dir, 'storm');
  const reported = new Map<string, number[]>();
  const killLog: string[] = [];
  let kills = 0;
  let midWrite = 0;
  let cycles = 0;
  let orphansLeft = 0;
  for (;;) {
    const args = cycles === 0 ? ['run', specPath] : ['queue', 'resume'];
    const host = start([...args, '--json', '--concurrency', '2', '--data-dir', dataDir]);
    cycles++;
    const mode = kills < KILLS ? (kills % 2 === 0 ? 'epoch' : 'checkpoint') : null;
    const outcome = mode ? await killCycle(host, dataDir, mode) : { killed: false, midWrite: false };
    const code = await host.exited;
    for (const e of host.epochs) reported.set(key(e), [...(reported.get(key(e)) ?? []), cycles]);
    killLog.push(`${cycles}:${outcome.killed ? (outcome.midWrite ? 'mid-write' : 'epoch') : 'none'}`);
    if (outcome.killed) {
      kills++;
      if (outcome.midWrite) midWrite++;
      // Give the host's orphaned trainers (own process groups) time to notice and exit.
      await new Promise((r) => setTimeout(r, 300));
      // What a kill mid-write left behind; the next host start must remove it.
      orphansLeft += temporaries(dataDir).length;
      continue;
    }
    if (code !== 0 && code !== null) throw new Error(`a resume without a kill exited ${code}`);
    if (!mode) break;
    // The runs ended before a kill could land: the storm is over early.
    break;
  }

  const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
  const stored = (db.prepare('SELECT record FROM epochs').all() as { record: string }[]).map(
    (r) => JSON.parse(r.record) as Epoch,
  );
  const statuses = (db.prepare('SELECT status FROM runs').all() as { status: string }[]).map((r) => r.status);
  const integrity = db.pragma('integrity_check', { simple: true });
  db.close();
  const want = new Map(reference.map((e) => [key(e), comparable(e)]));
  const got = new Map(stored.map((e) => [key(e), comparable(e)]));
  const lost = [...want.keys()].filter((k) => !got.has(k)).length;
  const differ = [...want.keys()].filter((k) => got.has(k) && got.get(k) !== want.get(k)).length;
  // An epoch reported by two hosts was recorded by both: trained twice, or written twice.
  const twice = [...reported.entries()].filter(([, c]) => c.length > 1);
  const duplicated = twice.length;
  const leftovers = temporaries(dataDir).length;
  const passed =
    lost === 0 &&
    differ === 0 &&
    duplicated === 0 &&
    leftovers === 0 &&
    integrity === 'ok' &&
    statuses.every((s) => s === 'finished');
  const row = {
    test: `kill storm (${kills} SIGKILLs: ${kills - midWrite} at epoch boundaries, ${midWrite} mid-checkpoint; ${spec.seeds.length} runs × ${spec.epochs} epochs)`,
    attempts: cycles,
    passed,
    lost,
    duplicated,
    differing: differ,
    temporariesLeft: leftovers,
    orphansLeftByKills: orphansLeft,
    duplicates: twice.map(([k, c]) => `seed:epoch ${k} reported in host starts ${c.join(', ')}`),
    kills: killLog.join(' '),
    integrity,
    statuses,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(row)}\n`);
  else {
    process.stdout.write('test | attempts | passed | lost/duplicated\n');
    process.stdout.write(
      `${row.test} | ${row.attempts} host starts | ${passed ? 'yes' : 'NO'} | ${lost}/${duplicated}\n`,
    );
    for (const d of row.duplicates) process.stdout.write(`duplicate: ${d}\n`);
    process.stdout.write(`host starts: ${row.kills}\n`);
    process.stdout.write(
      `(differing from the clean run: ${differ}; temporary files left by kills mid-write: ${orphansLeft}, left at the end: ${leftovers}; integrity: ${integrity})\n`,
    );
  }
  try {
    execFileSync('rm', ['-rf', dir]);
  } catch {
    // A temporary folder; the OS cleans it.
  }
  process.exitCode = passed ? 0 : 1;
}

await main();
