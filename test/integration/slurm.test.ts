// The Slurm executor against a real one-node Slurm cluster on loopback (test/helpers/slurm-cluster.ts):
// real slurmctld, slurmd and munged, real sbatch/scancel/scontrol, real trainers started by
// job scripts, the real SQLite file. Skipped, with the reason, where the daemons cannot start.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';
import {
  NODE_NAME,
  PARTITION,
  slurmUnavailable,
  startSlurmCluster,
  type SlurmCluster,
} from '../helpers/slurm-cluster';

const unavailable = slurmUnavailable();
if (unavailable) console.warn(`skipping the Slurm tests: ${unavailable}`);

/** A tiny grid: 2 methods × 2 seeds on 200 MNIST images, cpu backend (the same numbers anywhere). */
const grid = {
  name: 'slurm-grid',
  dataset: { id: 'mnist', trainSize: 200, testSize: 100 },
  models: ['mlp'],
  methods: [
    { id: 'sgd', lr: 0.1, momentum: 0.9 },
    { id: 'ssa', epsilon: 0.02 },
  ],
  seeds: [1, 2],
  epochs: 2,
  batchSize: 50,
  backend: 'cpu',
};
/** One longer run, to act on while it trains. */
const long = {
  ...grid,
  name: 'slurm-long',
  dataset: { id: 'mnist', trainSize: 400, testSize: 100 },
  methods: [{ id: 'sgd', lr: 0.05, momentum: 0.9 }],
  seeds: [3],
  epochs: 8,
};

/** A run long enough never to end before a test stops it (a CLI start takes seconds here). */
const endless = { ...long, name: 'slurm-cancel', epochs: 200 };

/** What must be equal between two runs of the same spec, seed and backend. */
const comparable = (r: Record<string, any>) => ({
  method: r.method,
  seed: r.seed,
  epoch: r.epoch,
  val: r.val,
  train: r.train,
  moves: r.moves,
  temperature: r.temperature,
  epsilon: r.epsilon,
  lr: r.lr,
  forward: r.counters.forward,
  backward: r.counters.backward,
  updates: r.counters.updates,
  best: r.best,
});
const byRun = (a: Record<string, any>, b: Record<string, any>) =>
  a.method.localeCompare(b.method) || a.seed - b.seed || a.epoch - b.epoch;

function stored(dataDir: string) {
  const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
  try {
    const runs = db.prepare('SELECT id, status, error, environment FROM runs').all() as any[];
    const rows = db.prepare('SELECT run_id, epoch, record FROM epochs ORDER BY run_id, epoch').all() as any[];
    return {
      runs: runs.map((r) => ({ ...r, environment: r.environment ? JSON.parse(r.environment) : null })),
      epochs: rows.map((r) => JSON.parse(r.record) as Record<string, any>),
      integrity: db.pragma('integrity_check', { simple: true }),
    };
  } finally {
    db.close();
  }
}

const jobRecord = (dataDir: string, runId: string) =>
  JSON.parse(readFileSync(join(dataDir, 'checkpoints', runId, 'slurm', 'job.json'), 'utf8')) as {
    jobId: string;
  };

interface Host {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** `annealab run --json` through Slurm, resolved once it has reported `epochs` epochs. */
function startHost(args: string[], env: NodeJS.ProcessEnv, epochs: number): Promise<Host> {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const host: Host = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((r) => child.on('exit', (code) => r(code))),
  };
  child.stderr!.on('data', (d) => (host.stderr += d));
  return new Promise((resolve, reject) => {
    let seen = 0;
    child.stdout!.on('data', (d) => {
      const before = host.stdout.length;
      host.stdout += d;
      const lines = host.stdout.slice(before).split('\n');
      for (const l of lines) if (l.includes('"type":"epoch"') && ++seen === epochs) resolve(host);
    });
    void host.exited.then(() => reject(new Error(`the host ended before epoch ${epochs}: ${host.stderr}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable)('the Slurm executor on a one-node cluster', () => {
  let cluster: SlurmCluster;
  let localGrid: Record<string, any>[];
  let localLong: Record<string, any>[];
  const slurmArgs = ['--executor', 'slurm', '--partition', PARTITION, '--time', '0:10:00'];

  beforeAll(async () => {
    cluster = await startSlurmCluster();
    // The references: the same specs run by local trainer processes.
    const dir = tempDir();
    const g = await runCli([
      'run',
      writeSpec(dir, grid, 'grid.json'),
      '--json',
      '--data-dir',
      join(dir, 'data'),
    ]);
    expect(g.code, g.stderr).toBe(0);
    localGrid = jsonLines(g.stdout).filter((e) => e.type === 'epoch');
    const l = await runCli([
      'run',
      writeSpec(dir, long, 'long.json'),
      '--json',
      '--data-dir',
      join(dir, 'data'),
    ]);
    expect(l.code, l.stderr).toBe(0);
    localLong = jsonLines(l.stdout).filter((e) => e.type === 'epoch');
  }, 600_000);

  /** The job's state once Slurm has finished ending it (the run may end before Slurm has). */
  async function settledState(jobId: string): Promise<string> {
    for (;;) {
      const state = cluster.client('squeue', ['-h', '-t', 'all', '-j', jobId, '-o', '%T']).trim();
      if (state !== 'COMPLETING') return state;
      await sleep(200);
    }
  }

  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs a grid as one job array, number for number the same as local trainers', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const r = await runCli(
      ['run', writeSpec(dir, grid), '--json', '--data-dir', dataDir, ...slurmArgs],
      cluster.env,
    );
    expect(r.code, `${r.stderr}\n${cluster.logs()}`).toBe(0);
    const epochs = jsonLines(r.stdout).filter((e) => e.type === 'epoch');
    expect(epochs).toHaveLength(8);
    expect(epochs.map(comparable).sort(byRun)).toEqual(localGrid.map(comparable).sort(byRun));

    const s = stored(dataDir);
    expect(s.integrity).toBe('ok');
    expect(s.runs.map((x) => x.status)).toEqual(['finished', 'finished', 'finished', 'finished']);
    expect(s.epochs.map(comparable).sort(byRun)).toEqual(localGrid.map(comparable).sort(byRun));
    // One submission for the grid: four tasks of one array, each run's job recorded with it.
    const jobIds = s.runs.map((x) => x.environment.slurm.jobId as string);
    const arrays = new Set(jobIds.map((id) => id.split('_')[0]));
    expect(arrays.size).toBe(1);
    expect(jobIds.map((id) => id.split('_')[1]).sort()).toEqual(['0', '1', '2', '3']);
    // squeue shows which task is which run: each task carries its run's id in its name.
    const [arrayId] = [...arrays];
    const names = cluster.client('squeue', ['-h', '-r', '-t', 'all', '-j', arrayId!, '-o', '%i %j']);
    for (const run of s.runs) {
      expect(names).toContain(`${run.environment.slurm.jobId} annealab-${run.id.slice(0, 8)}`);
    }
    for (const run of s.runs) {
      expect(run.environment.slurm).toEqual({
        jobId: jobRecord(dataDir, run.id).jobId,
        node: NODE_NAME,
        partition: PARTITION,
        restarts: 0,
      });
    }
  });

  it('gives an auto run the job’s CPUs as its threads (SLURM_CPUS_PER_TASK), on wasm', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const one = { ...grid, name: 'slurm-threads', methods: [{ id: 'sgd' }], seeds: [1], epochs: 1 };
    const r = await runCli(
      [
        'run',
        writeSpec(dir, { ...one, backend: 'wasm' }),
        '--json',
        '--data-dir',
        dataDir,
        ...slurmArgs,
        '--sbatch-arg=--cpus-per-task=2',
      ],
      cluster.env,
    );
    expect(r.code, `${r.stderr}\n${cluster.logs()}`).toBe(0);
    const [run] = stored(dataDir).runs;
    expect(run.environment.threads).toEqual({
      count: 2,
      reason: "auto: the Slurm job's 2 CPUs (SLURM_CPUS_PER_TASK)",
    });
  });

  it('a running job cancelled with scancel ends its run cancelled', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const host = await startHost(
      ['run', writeSpec(dir, endless), '--json', '--data-dir', dataDir, ...slurmArgs],
      cluster.env,
      1,
    );
    const run = stored(dataDir).runs[0];
    const { jobId } = jobRecord(dataDir, run.id);
    cluster.client('scancel', [jobId]);
    expect(await host.exited).toBe(1);
    const s = stored(dataDir);
    expect(s.runs[0].status).toBe('cancelled');
    expect(s.epochs.length).toBeGreaterThanOrEqual(1);
    expect(s.epochs.length).toBeLessThan(endless.epochs);
    expect(jsonLines(host.stdout).some((e) => e.type === 'run-cancelled')).toBe(true);
    expect(await settledState(jobId)).toBe('CANCELLED');
  });

  it('annealab queue cancel stops the run through scancel', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const host = await startHost(
      ['run', writeSpec(dir, endless), '--json', '--data-dir', dataDir, ...slurmArgs],
      cluster.env,
      1,
    );
    const runId = stored(dataDir).runs[0].id;
    const { jobId } = jobRecord(dataDir, runId);
    const cancel = await runCli(['queue', 'cancel', runId.slice(0, 8), '--data-dir', dataDir], cluster.env);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(await host.exited).toBe(1);
    expect(stored(dataDir).runs[0].status).toBe('cancelled');
    expect(await settledState(jobId)).toBe('CANCELLED');
  });

  it("a job Slurm refuses fails its run with sbatch's reason", async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    // This cluster has no GPUs configured: sbatch refuses the request.
    const r = await runCli(
      ['run', writeSpec(dir, grid), '--json', '--data-dir', dataDir, ...slurmArgs, '--gres', 'gpu:1'],
      cluster.env,
    );
    expect(r.code).toBe(1);
    const s = stored(dataDir);
    expect(s.runs.map((x) => x.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    for (const run of s.runs)
      expect(run.error).toMatch(/^Slurm refused the job: sbatch .*--gres=gpu:1.*: .*gres/is);
    expect(jsonLines(r.stdout).filter((e) => e.type === 'run-failed')).toHaveLength(4);
  });

  it('a host killed while its job runs re-attaches on restart and records every epoch once', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const host = await startHost(
      ['run', writeSpec(dir, long), '--json', '--data-dir', dataDir, ...slurmArgs],
      cluster.env,
      2,
    );
    host.child.kill('SIGKILL');
    await host.exited;
    const runId = stored(dataDir).runs[0].id;
    const { jobId } = jobRecord(dataDir, runId);
    // The job trains on without its host.
    expect(cluster.client('squeue', ['-h', '-j', jobId, '-o', '%T']).trim()).toMatch(
      /RUNNING|COMPLETING|COMPLETED/,
    );
    await sleep(1500); // let it get an epoch or more ahead of the store

    const resumed = await runCli(['queue', 'resume', '--json', '--data-dir', dataDir], cluster.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `re-attached to the Slurm jobs of 1 run still in Slurm: ${runId.slice(0, 8)} (job ${jobId})`,
    );
    const s = stored(dataDir);
    expect(s.integrity).toBe('ok');
    expect(s.runs[0].status).toBe('finished');
    expect(s.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.epochs.map(comparable)).toEqual(localLong.map(comparable));
    // Nothing was submitted again: the run's job is still the first one.
    expect(jobRecord(dataDir, runId).jobId).toBe(jobId);
    expect(s.runs[0].environment.slurm.jobId).toBe(jobId);
  });

  it('a job requeued with scontrol requeue resumes from its checkpoint and ends as if never stopped', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const host = await startHost(
      ['run', writeSpec(dir, long), '--json', '--data-dir', dataDir, ...slurmArgs],
      cluster.env,
      2,
    );
    const runId = stored(dataDir).runs[0].id;
    const { jobId } = jobRecord(dataDir, runId);
    cluster.client('scontrol', ['requeue', jobId]);
    const requeuedAt = Date.now();
    // Slurm holds a requeued job back for a while (BeginTime); let it start again now. Not
    // within the second of the requeue: slurmd revoked the first attempt's credential then, and
    // compares times in whole seconds, so a start in that second is killed ("Job credential
    // revoked", seen here), which a real requeue's delay never meets.
    for (let i = 0; i < 300; i++) {
      const state = cluster.client('squeue', ['-h', '-j', jobId, '-o', '%T']).trim();
      if (state === 'PENDING' && Date.now() - requeuedAt > 2000) {
        cluster.client('scontrol', ['update', `JobId=${jobId}`, 'StartTime=now']);
        break;
      }
      await sleep(200);
    }
    const code = await host.exited;
    const folder = join(dataDir, 'checkpoints', runId, 'slurm');
    const why = () =>
      `${host.stderr}\n${JSON.stringify(stored(dataDir).runs)}\n${readFileSync(join(folder, 'events.jsonl'), 'utf8')}\n` +
      `${readFileSync(join(folder, 'trainer.log'), 'utf8')}\nstdout: ${host.stdout}\n` +
      `slurm: ${cluster.client('bash', ['-c', `cat ${join(dataDir, 'slurm')}/*.out; ls -la ${folder}`])}\n${cluster.logs()}`;
    expect(code, why()).toBe(0);
    const s = stored(dataDir);
    expect(s.runs[0].status).toBe('finished');
    expect(s.runs[0].environment.slurm.restarts).toBe(1);
    expect(s.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(s.epochs.map(comparable)).toEqual(localLong.map(comparable));
    const events = readFileSync(join(dataDir, 'checkpoints', runId, 'slurm', 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const resumed = events.find((e) => e.type === 'resumed');
    expect(resumed?.fromEpoch).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.type === 'started')).toHaveLength(2);
  });
});
