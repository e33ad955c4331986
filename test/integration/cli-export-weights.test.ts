// `annealab runs export-weights` through the real CLI, on runs a real `annealab run` trained
// (real trainer processes, a real SQLite file): the exported best weights, loaded back into
// buildNetwork's model, give the run's recorded best validation result on the same data; every
// refusal exits 2 with a message and writes nothing.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { submitExperiment } from '../../src/main/services/experiments';
import { Store } from '../../src/main/store';
import '../../src/main/trainer/gradients';
import { prepareData } from '../../src/main/trainer/data/prepare';
import { validate } from '../../src/main/trainer/evaluate';
import { loadWeights } from '../../src/main/trainer/load-weights';
import { readWeightsFile } from '../../src/main/trainer/weights-file';
import { ContractError, createRegistry, routes } from '../../src/shared/contract';
import type { RunRecord } from '../../src/shared/results';
import { validateSpec } from '../../src/shared/spec';
import { runCli, tempDir, writeSpec } from '../helpers/cli';

const trains = {
  name: 'trains',
  dataset: { id: 'mnist', trainSize: 200, testSize: 100 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 0.1 }],
  seeds: [1],
  epochs: 2,
  batchSize: 50,
  backend: 'cpu',
};
// As in cli-queue.test.ts: η = 10⁶ gives a finite loss after epoch 1 and NaN in epoch 2, so the
// run fails with a checkpoint of its first epoch.
const diverges = {
  name: 'diverges',
  dataset: { id: 'mnist', trainSize: 100, testSize: 50 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 1e6 }],
  epochs: 2,
  batchSize: 50,
};

describe('annealab runs export-weights', () => {
  let dir: string;
  let dataDir: string;
  let finished: RunRecord;
  let failed: RunRecord;
  let queued: RunRecord[];

  beforeAll(async () => {
    dir = tempDir('annealab-export-weights-');
    dataDir = join(dir, 'data');
    const r = await runCli([
      'run',
      writeSpec(dir, trains, 'a.json'),
      writeSpec(dir, diverges, 'b.json'),
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(r.code, r.stderr).toBe(1);
    // Runs that never ran, enough of them that two ids share their first hex digit.
    const many = validateSpec({
      ...trains,
      name: 'queued',
      seeds: Array.from({ length: 17 }, (_, i) => i + 1),
    });
    if (!many.ok) throw new Error(JSON.stringify(many.problems));
    const store = Store.open(dataDir);
    try {
      submitExperiment(store, many.spec);
      const all = store.runs.all();
      finished = all.find((x) => x.status === 'finished')!;
      failed = all.find((x) => x.status === 'failed')!;
      queued = all.filter((x) => x.status === 'queued');
    } finally {
      store.close();
    }
    expect(failed.checkpointEpoch, failed.error ?? '').toBe(1);
  }, 300_000);

  const exportWeights = (...args: string[]) =>
    runCli(['runs', 'export-weights', ...args, '--data-dir', dataDir]);

  it('writes the best weights, which reload to the run’s recorded best validation result', async () => {
    const out = join(dir, 'best.weights');
    const r = await exportWeights(finished.id.slice(0, 8), '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^wrote the best weights of run ${finished.id.slice(0, 8)} \\(mlp, epoch [12], val accuracy [\\d.]+% loss [\\d.]+\\) to ${out}\\n$`,
      ),
    );
    const file = readWeightsFile(out);
    expect(file.meta).toMatchObject({
      model: 'mlp',
      input: { height: 28, width: 28, channels: 1 },
      numClasses: 10,
      kind: 'best',
      epoch: finished.summary!.bestEpoch,
      buffers: 'included',
      run: { runId: finished.id, experimentName: 'trains', method: 'sgd', seed: 1, dataset: 'mnist' },
    });

    // The same data the run validated on, on the backend it ran on.
    expect(finished.environment!.backend).toBe('cpu');
    await tf.setBackend('cpu');
    const resolved = validateSpec(trains);
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    const { data } = await prepareData(dataDir, resolved.spec.dataset);
    const loaded = loadWeights(out);
    const again = validate(loaded.net, loaded.params, data.test, trains.batchSize);
    expect(again.accuracy).toBe(finished.summary!.bestValAccuracy);
    expect(file.meta.validation!.accuracy).toBe(finished.summary!.bestValAccuracy);
    expect(again.loss).toBeCloseTo(file.meta.validation!.loss, 6);
    loaded.dispose();
  });

  it('offers the same file as a download through the runs.exportWeights route', async () => {
    const out = join(dir, 'for-route.weights');
    expect((await exportWeights(finished.id, '--out', out)).code).toBe(0);
    const app = AnnealabApp.start({ dataDir, host: 'web', role: 'test', execute: false });
    try {
      // The registry the web host builds, checking the output against its schema.
      const registry = createRegistry(routes, app.handlers, 'web', { checkOutputs: true });
      const file = (await registry.invoke('runs.exportWeights', { runId: finished.id.slice(0, 6) })) as {
        filename: string;
        encoding: string;
        content: string;
      };
      expect(file.filename).toBe(`mlp-seed1-${finished.id.slice(0, 8)}-best.weights`);
      expect(file.encoding).toBe('base64');
      expect(Buffer.from(file.content, 'base64').equals(readFileSync(out))).toBe(true);
      const refused = await registry
        .invoke('runs.exportWeights', { runId: failed.id })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ContractError);
      expect((refused as ContractError).code).toBe('not-found');
      expect((refused as ContractError).message).toMatch(/has no best weights/);
    } finally {
      await app.close();
    }
  });

  it('writes the last checkpoint’s weights of a run that did not finish, with --last and --json', async () => {
    const out = join(dir, 'last.weights');
    const r = await exportWeights(failed.id, '--out', out, '--last', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      path: out,
      runId: failed.id,
      kind: 'last',
      epoch: 1,
      buffers: 'included',
    });
    const loaded = loadWeights(out);
    expect(loaded.params).toHaveLength(4);
    loaded.dispose();
  });

  it('refuses, exits 2 and writes nothing', async () => {
    const out = join(dir, 'refused.weights');
    const cases: [string[], RegExp][] = [
      [['zzzz', '--out', out], /^annealab: no run "zzzz"/],
      [
        [sharedPrefix([finished, failed, ...queued]), '--out', out],
        /names more than one run; give more of its id/,
      ],
      [
        [failed.id, '--out', out],
        /has no best weights: it failed before any were saved; --last exports its last checkpoint/,
      ],
      [[queued[0]!.id, '--out', out], /has no best weights: it is queued/],
      [
        [finished.id, '--out', out, '--last'],
        /has no last checkpoint: a finished run keeps only its best weights/,
      ],
      [
        [finished.id, '--out', join(dir, 'missing', 'w.weights')],
        /the folder .*missing does not exist: create it, or choose another --out/,
      ],
      [[finished.id, '--out', dir], /is a folder: name a file to write/],
      [[finished.id], /required option '--out <file>'/],
    ];
    for (const [args, message] of cases) {
      const r = await exportWeights(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stdout).toBe('');
      expect(existsSync(out)).toBe(false);
    }
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });
});

/** A first hex digit that two of the runs' ids share (17 of 19 ids guarantee one). */
function sharedPrefix(runs: RunRecord[]): string {
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.id[0]!)) return r.id[0]!;
    seen.add(r.id[0]!);
  }
  throw new Error('no shared prefix');
}
