// `annealab queue resume` and `queue retry` through the real CLI, on a real SQLite file with
// real trainer processes: a run that diverges in its second epoch is the failure, because it
// fails the same way every time and leaves a checkpoint of its first epoch.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { submitExperiment } from '../../src/main/services/experiments';
import { Store } from '../../src/main/store';
import { validateSpec } from '../../src/shared/spec';
import { jsonLines, runCli, tempDir, writeSpec } from '../helpers/cli';

const spec = {
  name: 'diverges',
  dataset: { id: 'mnist', trainSize: 100, testSize: 50 },
  models: ['mlp'],
  // η = 10⁶ gives a finite loss after epoch 1 and NaN in epoch 2.
  methods: [{ id: 'sgd', lr: 1e6 }],
  epochs: 2,
  batchSize: 50,
};

function stored(dataDir: string) {
  const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
  try {
    const runs = db.prepare('SELECT id, status, checkpoint_epoch AS checkpoint FROM runs').all() as {
      id: string;
      status: string;
      checkpoint: number | null;
    }[];
    const epochs = db.prepare('SELECT COUNT(*) AS n FROM epochs').get() as { n: number };
    return { runs, epochs: epochs.n };
  } finally {
    db.close();
  }
}

describe('annealab queue resume and retry', () => {
  let dir: string;
  let dataDir: string;
  let runId: string;
  beforeAll(async () => {
    dir = tempDir();
    dataDir = join(dir, 'data');
    const r = await runCli(['run', writeSpec(dir, spec), '--json', '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(1);
    const { runs } = stored(dataDir);
    expect(runs).toHaveLength(1);
    expect(runs).toMatchObject([{ status: 'failed', checkpoint: 1 }]);
    runId = runs[0]!.id;
  });

  it('says "nothing to do" and exits 0 when nothing is queued, whatever failed before', async () => {
    const r = await runCli(['queue', 'resume', '--data-dir', dataDir]);
    expect(r.stderr).toBe(
      'nothing to do: no run is queued, running or interrupted (annealab queue list shows them all)\n',
    );
    expect(r.code).toBe(0);
  });

  it('exits 0 when what it ran finished, though another run failed before', async () => {
    // Queued as the UI's submit would (the real store and service), for resume to execute.
    const good = validateSpec({ ...spec, name: 'fine', methods: [{ id: 'sgd', lr: 0.1 }], epochs: 1 });
    if (!good.ok) throw new Error(JSON.stringify(good.problems));
    const store = Store.open(dataDir);
    try {
      submitExperiment(store, good.spec);
    } finally {
      store.close();
    }
    const r = await runCli(['queue', 'resume', '--data-dir', dataDir]);
    expect(r.stderr).toContain('1 run to run; all from the start\n');
    expect(r.stderr).toMatch(/1 run done\n$/);
    expect(r.code, r.stderr).toBe(0);
    expect(
      stored(dataDir)
        .runs.map((x) => x.status)
        .sort(),
    ).toEqual(['failed', 'finished']);
  });

  it('retries every failed run from its checkpoint in one command, and resume says from where', async () => {
    const retry = await runCli(['queue', 'retry', '--failed', '--resume', '--data-dir', dataDir]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toBe(
      `queued 1 run again: ${runId.slice(0, 8)} after epoch 1 (nothing executes the queue now: annealab queue resume)\n`,
    );
    const resume = await runCli(['queue', 'resume', '--json', '--data-dir', dataDir]);
    expect(resume.stderr).toContain(
      `1 run to run; continuing from checkpoints: ${runId.slice(0, 8)} after epoch 1\n`,
    );
    // It ran epoch 2 only, which diverges again: a failure of what this resume ran.
    const events = jsonLines(resume.stdout);
    expect(events.find((e) => e.type === 'run-started')).toMatchObject({ runId, resumedFromEpoch: 1 });
    expect(events.find((e) => e.type === 'run-failed')).toMatchObject({
      reason: expect.stringMatching(/diverged in epoch 2/),
    });
    expect(resume.stderr).toMatch(/1 of 1 runs failed \(annealab queue list says why\)\n$/);
    expect(resume.code).toBe(1);
  });

  it('retries an experiment by name from the start, and refuses what names nothing', async () => {
    const none = await runCli(['queue', 'retry', 'no-such', '--data-dir', dataDir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'annealab: no run or experiment "no-such"; give a run id, an experiment name or id (annealab queue list, runs list)\n',
    );
    const bare = await runCli(['queue', 'retry', '--data-dir', dataDir]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe(
      'annealab: say which runs: a run, an experiment, or --failed for every failed run\n',
    );
    const r = await runCli(['queue', 'retry', 'diverges', '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^queued 1 run again from the start: ${runId.slice(0, 8)} \\(`));
    expect(stored(dataDir).runs.find((x) => x.id === runId)).toMatchObject({
      status: 'queued',
      checkpoint: null,
    });
    const again = await runCli(['queue', 'retry', 'diverges', '--failed', '--data-dir', dataDir]);
    expect(again.stdout).toBe('nothing to retry: no failed run in "diverges"\n');
    // An experiment's id prefix names it too (a run's would be "no run or experiment" otherwise).
    const db = new Database(join(dataDir, 'annealab.db'), { readonly: true });
    const { id } = db.prepare("SELECT id FROM experiments WHERE name = 'diverges'").get() as { id: string };
    db.close();
    const byPrefix = await runCli(['queue', 'retry', id.slice(0, 8), '--data-dir', dataDir]);
    expect(byPrefix.stdout).toBe(
      `nothing to retry: no failed, cancelled or interrupted run in "${id.slice(0, 8)}"\n`,
    );
  });
});
