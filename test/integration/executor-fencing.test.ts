// One executor at a time, for real: a host frozen past its lease (SIGSTOP) while a second host
// takes the queue over, then woken (SIGCONT), writes nothing more and stops its trainers; a
// terminal's Ctrl-C (SIGINT to the host's whole process group) leaves the runs interrupted,
// not failed; a host killed outright leaves runs that readers show as interrupted. Real
// processes of the real CLI, a real SQLite file.
import Database from 'better-sqlite3';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';

const spec = {
  name: 'fence',
  dataset: { id: 'mnist', trainSize: 2000, testSize: 200 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 0.05, momentum: 0.9 }],
  seeds: [1, 2],
  epochs: 6,
  batchSize: 16,
};

/** What must match between an interrupted-and-resumed run and an uninterrupted one. */
const comparable = (r: Record<string, any>) => ({
  seed: r.seed,
  epoch: r.epoch,
  val: r.val,
  train: r.train,
  lr: r.lr,
  forward: r.counters.forward,
  updates: r.counters.updates,
});
const bySeedEpoch = (a: Record<string, any>, b: Record<string, any>) => a.seed - b.seed || a.epoch - b.epoch;

function stored(dataDir: string) {
  const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
  try {
    const records = (db.prepare('SELECT record FROM epochs').all() as { record: string }[]).map(
      (r) => JSON.parse(r.record) as Record<string, any>,
    );
    const runs = db
      .prepare('SELECT id, seed, status, error, attempts FROM runs ORDER BY seed')
      .all() as any[];
    return {
      records: records.sort(bySeedEpoch),
      runs,
      integrity: db.pragma('integrity_check', { simple: true }),
    };
  } finally {
    db.close();
  }
}

/** A CLI process whose stdout (JSON lines) and stderr the test reads while it runs. */
interface Host {
  child: ChildProcess;
  events: Record<string, any>[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves once `n` epoch events have been written. */
  epochs(n: number): Promise<void>;
}

function startHost(args: string[]): Host {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a terminal's foreground job has
  });
  const events: Record<string, any>[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  let buf = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l));
    const seen = events.filter((e) => e.type === 'epoch').length;
    for (const w of waiting.filter((w) => seen >= w.n)) w.resolve();
  });
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    events,
    stderr: () => err,
    exited,
    epochs: (n) =>
      new Promise((resolve, reject) => {
        waiting.push({ n, resolve });
        void exited.then(() => reject(new Error(`the host ended before ${n} epochs:\n${err}`)));
      }),
  };
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const trainersOf = (pid: number) => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return [];
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the executor lease is fenced; Ctrl-C interrupts; dead hosts are not running', () => {
  let reference: Record<string, any>[];
  beforeAll(async () => {
    const dir = tempDir();
    const r = await runCli([
      'run',
      writeSpec(dir, spec),
      '--json',
      '--concurrency',
      '2',
      '--data-dir',
      join(dir, 'd'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    reference = jsonLines(r.stdout)
      .filter((e) => e.type === 'epoch')
      .sort(bySeedEpoch);
    expect(reference).toHaveLength(12);
  });

  it('a frozen host that wakes after another took over writes nothing more and stops its trainers', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'd');
    const a = startHost(['run', writeSpec(dir, spec), '--json', '--concurrency', '2', '--data-dir', dataDir]);
    await a.epochs(2);
    const aTrainers = trainersOf(a.child.pid!);
    expect(aTrainers.length).toBeGreaterThanOrEqual(1);
    process.kill(a.child.pid!, 'SIGSTOP'); // the host alone: its trainers wait at their next epoch
    try {
      await sleep(11_000); // past the lease (10 s without a heartbeat)
      const b = startHost(['queue', 'resume', '--json', '--concurrency', '2', '--data-dir', dataDir]);
      await b.epochs(1);
      process.kill(a.child.pid!, 'SIGCONT');
      expect(await b.exited, b.stderr()).toBe(0);
      expect(await a.exited).toBe(1);
      expect(a.stderr()).toContain(
        `another executor (pid ${b.child.pid} on ${hostname()}) took over the queue; stopping`,
      );
      for (const pid of aTrainers) expect(pidAlive(pid), `trainer ${pid} of the frozen host`).toBe(false);

      // No (run, epoch) was reported by both hosts; every epoch is stored once, equal to a clean run.
      const key = (e: Record<string, any>) => `${e.runId}:${e.epoch}`;
      const fromA = new Set(a.events.filter((e) => e.type === 'epoch').map(key));
      const fromB = b.events.filter((e) => e.type === 'epoch').map(key);
      expect(fromB.filter((k) => fromA.has(k))).toEqual([]);
      const after = stored(dataDir);
      expect(after.integrity).toBe('ok');
      expect(after.runs.map((r) => r.status)).toEqual(['finished', 'finished']);
      expect(after.records.map(comparable)).toEqual(reference.map(comparable));
      // The finished runs keep their best weights, no attempt's checkpoint and no temporary.
      for (const run of after.runs) {
        const files = readdirSync(join(dataDir, 'checkpoints', run.id));
        expect(
          files.filter((f) => f.endsWith('.ckpt') || f.endsWith('.tmp')),
          run.id,
        ).toEqual([]);
        expect(files, run.id).toContain(`best-${run.attempts}.weights`);
      }
    } finally {
      if (pidAlive(a.child.pid!)) process.kill(-a.child.pid!, 'SIGKILL');
    }
  }, 300_000);

  it("Ctrl-C (SIGINT to the host's process group) leaves the runs interrupted; queue resume ends them as a clean run", async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'd');
    const a = startHost(['run', writeSpec(dir, spec), '--json', '--concurrency', '2', '--data-dir', dataDir]);
    await a.epochs(2);
    const trainers = trainersOf(a.child.pid!);
    process.kill(-a.child.pid!, 'SIGINT');
    expect(await a.exited, a.stderr()).toBe(1);
    expect(a.stderr()).toContain('stay interrupted with their checkpoints');
    for (const pid of trainers) expect(pidAlive(pid)).toBe(false);
    const afterCtrlC = stored(dataDir);
    expect(afterCtrlC.runs.map((r) => r.status)).toEqual(['interrupted', 'interrupted']);
    expect(afterCtrlC.runs.map((r) => r.error)).toEqual([null, null]);

    const resumed = await runCli(['queue', 'resume', '--json', '--data-dir', dataDir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/2 runs to run \(2 of them interrupted\); continuing from checkpoints/);
    const after = stored(dataDir);
    expect(after.runs.map((r) => r.status)).toEqual(['finished', 'finished']);
    expect(after.records.map(comparable)).toEqual(reference.map(comparable));
  }, 300_000);

  it('a second Ctrl-C quits at once, the runs still interrupted, never failed', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'd');
    const a = startHost(['run', writeSpec(dir, spec), '--json', '--concurrency', '2', '--data-dir', dataDir]);
    await a.epochs(1);
    process.kill(-a.child.pid!, 'SIGINT');
    // The second Ctrl-C must reach a host that is still stopping: these tiny runs stop within
    // ~50 ms, and a SIGINT that lands in Node's own teardown after that is the default death.
    await sleep(5);
    process.kill(-a.child.pid!, 'SIGINT');
    expect(await a.exited, a.stderr()).toBe(1);
    const after = stored(dataDir);
    expect(after.runs.map((r) => r.status)).toEqual(['interrupted', 'interrupted']);
    expect(after.runs.map((r) => r.error)).toEqual([null, null]);
  }, 300_000);

  it('a host killed with SIGKILL: queue list shows its runs interrupted, though the rows say running', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'd');
    const a = startHost(['run', writeSpec(dir, spec), '--json', '--concurrency', '2', '--data-dir', dataDir]);
    await a.epochs(1);
    process.kill(a.child.pid!, 'SIGKILL');
    await a.exited;
    expect(stored(dataDir).runs.map((r) => r.status)).toEqual(['running', 'running']);
    const list = await runCli(['queue', 'list', '--json', '--data-dir', dataDir]);
    expect(list.code, list.stderr).toBe(0);
    const shown = JSON.parse(list.stdout) as { status: string; progress: unknown }[];
    expect(shown.map((r) => r.status)).toEqual(['interrupted', 'interrupted']);
    expect(shown.map((r) => r.progress)).toEqual([null, null]);
    const text = await runCli(['queue', 'list', '--data-dir', dataDir]);
    expect(text.stdout).toContain('no process executes it now');
    expect(text.stdout).not.toMatch(/ running /);
  }, 300_000);
});
