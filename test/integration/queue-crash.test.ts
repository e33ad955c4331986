// The queue never loses work: a trainer or a whole host killed with SIGKILL mid-run, then
// resumed from the last checkpoint, ends with the numbers of an uninterrupted run.
import Database from 'better-sqlite3';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';

const spec = {
  name: 'crash',
  dataset: { id: 'mnist', trainSize: 3000, testSize: 200 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 0.05, momentum: 0.9 }],
  seeds: [5],
  epochs: 5,
  batchSize: 16,
};
const ssaSpec = { ...spec, name: 'crash-ssa', methods: [{ id: 'ssa', epsilon: 0.02 }] };

/** What must match between an interrupted-and-resumed run and an uninterrupted one. */
const comparable = (r: Record<string, any>) => ({
  epoch: r.epoch,
  val: r.val,
  train: r.train,
  moves: r.moves,
  temperature: r.temperature,
  epsilon: r.epsilon,
  lr: r.lr,
  forward: r.counters.forward,
  updates: r.counters.updates,
  best: r.best,
});

function storedEpochs(dataDir: string) {
  const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
  try {
    const rows = db.prepare('SELECT run_id, epoch, record FROM epochs ORDER BY run_id, epoch').all() as any[];
    const integrity = db.pragma('integrity_check', { simple: true });
    const runs = db.prepare('SELECT id, status, error FROM runs').all() as any[];
    return { rows, integrity, runs, records: rows.map((r) => JSON.parse(r.record)) };
  } finally {
    db.close();
  }
}

/** Start `annealab run --json` and resolve once it has reported `epochs` epochs. */
function startRun(specPath: string, dataDir: string, epochs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'run', specPath, '--json', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so the test can kill the host with its trainers
  });
  return new Promise((resolve, reject) => {
    let seen = 0;
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines)
        if (l.includes('"type":"epoch"') && ++seen === epochs) setTimeout(() => resolve(child), 150);
    });
    child.on('exit', () => reject(new Error('the run ended before it could be interrupted')));
  });
}

const exited = (child: ChildProcess) =>
  new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)));

describe.each([
  ['sgd with momentum', spec],
  ['ssa', ssaSpec],
])('crash and resume (%s)', (_name, theSpec) => {
  let reference: Record<string, any>[];
  beforeAll(async () => {
    const dir = tempDir();
    const r = await runCli(['run', writeSpec(dir, theSpec), '--json', '--data-dir', join(dir, 'data')]);
    expect(r.code, r.stderr).toBe(0);
    reference = jsonLines(r.stdout).filter((e) => e.type === 'epoch');
    expect(reference).toHaveLength(5);
  });

  it('a trainer killed mid-epoch fails with the reason; resumed, it ends as if never stopped', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const host = await startRun(writeSpec(dir, theSpec), dataDir, 2);
    const trainerPid = Number(
      execFileSync('pgrep', ['-P', String(host.pid)])
        .toString()
        .trim()
        .split('\n')[0],
    );
    process.kill(trainerPid, 'SIGKILL');
    await exited(host);
    expect(host.exitCode).toBe(1);
    const afterCrash = storedEpochs(dataDir);
    expect(afterCrash.runs[0].status).toBe('failed');
    expect(afterCrash.runs[0].error).toMatch(/killed \(SIGKILL/);
    expect(afterCrash.rows.length).toBeGreaterThanOrEqual(2);

    const retry = await runCli([
      'queue',
      'retry',
      afterCrash.runs[0].id.slice(0, 8),
      '--resume',
      '--data-dir',
      dataDir,
    ]);
    expect(retry.code, retry.stderr).toBe(0);
    const resumed = await runCli(['queue', 'resume', '--json', '--data-dir', dataDir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const started = jsonLines(resumed.stdout).find((e) => e.type === 'run-started')!;
    expect(started.resumedFromEpoch).toBeGreaterThanOrEqual(2);

    const final = storedEpochs(dataDir);
    expect(final.integrity).toBe('ok');
    expect(final.runs[0].status).toBe('finished');
    expect(final.rows.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(final.records.map(comparable)).toEqual(reference.map(comparable));
  });

  it('a host killed with its trainers mid-run leaves an interrupted run that resumes exactly', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const host = await startRun(writeSpec(dir, theSpec), dataDir, 3);
    process.kill(-host.pid!, 'SIGKILL');
    await exited(host);
    const afterCrash = storedEpochs(dataDir);
    expect(afterCrash.runs[0].status).toBe('running'); // nobody was left to say otherwise
    expect(afterCrash.integrity).toBe('ok');

    const resumed = await runCli(['queue', 'resume', '--json', '--data-dir', dataDir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /1 run to run \(1 of them interrupted\); continuing from checkpoints: [0-9a-f]{8} after epoch [1-4]\n/,
    );
    const final = storedEpochs(dataDir);
    expect(final.integrity).toBe('ok');
    expect(final.runs[0].status).toBe('finished');
    expect(final.rows.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(final.records.map(comparable)).toEqual(reference.map(comparable));
  });
});
