// A run's best weights are saved with their batch-norm running statistics in the weights file
// (docs/weights-format.md), and loading that file into buildNetwork's model gives the run's
// recorded best validation result on the same data. Real training (the tiny-training helper's
// synthetic data, a real batch-norm network from the model list), real files.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBestWeights } from '../../src/main/trainer/best-weights';
import { validate } from '../../src/main/trainer/evaluate';
import { loadWeights } from '../../src/main/trainer/load-weights';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import { writeTensorFile } from '../../src/main/trainer/tensor-file';
import { readStoredWeights, readWeightsFile, writeWeightsFile } from '../../src/main/trainer/weights-file';
import type { ModelId } from '../../src/shared/ids';
import type { EpochRecord } from '../../src/shared/records';
import { syntheticData, tinySpec } from '../helpers/tiny-training';

describe('the weights file', () => {
  let dir: string;
  // On wasm for speed, as batchnorm.test.ts: the cpu backend's filter gradient is far too slow for
  // MobileNetV2 even on 8×8 images.
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    const { registerWasmKernels } = await import('../../src/main/trainer/backend/wasm-kernels');
    registerWasmKernels();
    dir = mkdtempSync(join(tmpdir(), 'annealab-weights-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function trainAndSave(model: ModelId, epochs: number) {
    const spec = tinySpec([{ id: 'sgd', lr: 0.05 }], { epochs, batchSize: 32 });
    const data = syntheticData(64, 32);
    const records: EpochRecord[] = [];
    const plan: RunPlan = { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model, seed: 3 };
    const outcome = await trainRun(plan, data, { onEpoch: (r) => void records.push(r) });
    const path = join(dir, `${model}.weights`);
    await writeBestWeights(path, model, data, { ...outcome, bestWeights: outcome.bestWeights! });
    tf.dispose([...outcome.bestWeights!, ...(outcome.bestBuffers ?? [])]);
    const best = records.find((r) => r.epoch === outcome.bestEpoch)!;
    return { path, data, best, net: outcome.net };
  }

  it('holds a batch-norm network’s running statistics, and reloads to the recorded best result', async () => {
    const { path, data, best, net } = await trainAndSave('mobilenetv2', 2);
    const file = readWeightsFile(path);
    expect(file.meta).toMatchObject({
      format: 'annealab-weights',
      model: 'mobilenetv2',
      input: { height: 8, width: 8, channels: 1 },
      numClasses: 4,
      kind: 'best',
      epoch: best.epoch,
      validation: { accuracy: best.val.accuracy, loss: best.val.loss },
      buffers: 'included',
    });
    expect(file.buffers.map((b) => b.name)).toEqual(net.buffers.map((b) => b.name));
    expect(file.params.map((p) => [p.name, p.shape])).toEqual(net.params.map((p) => [p.name, p.shape]));

    const loaded = loadWeights(path);
    expect(loaded.notes).toEqual([]);
    const again = validate(loaded.net, loaded.params, data.test, 32);
    expect(again.accuracy).toBe(best.val.accuracy);
    expect(again.loss).toBeCloseTo(best.val.loss, 5);
    loaded.dispose();

    // Without the statistics (a file of the older kind) it still loads, says so, and is not the same net.
    const bare = join(dir, 'bare.weights');
    writeWeightsFile(bare, { ...file, meta: { ...file.meta, buffers: 'not-saved' }, buffers: [] });
    const fallback = loadWeights(bare);
    expect(fallback.notes.join(' ')).toMatch(/no batch-norm running statistics.*mean 0, variance 1/);
    const off = validate(fallback.net, fallback.params, data.test, 32);
    // A barely trained net (loss ≈ ln 4): the statistics move its loss by ~5e-4; the same
    // statistics would give the same loss to ~1e-7.
    expect(Math.abs(off.loss - best.val.loss)).toBeGreaterThan(1e-5);
    fallback.dispose();
    tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
  });

  it('reads a best-weights file of the older kind, and refuses to load one that does not fit', async () => {
    const { path, data } = await trainAndSave('mlp', 1);
    const file = readWeightsFile(path);
    expect(file.buffers).toEqual([]);
    // What a trainer wrote before: `{ epoch, model }` and the parameters alone.
    const old = join(dir, 'old.weights');
    writeTensorFile(old, { epoch: 1, model: 'mlp' }, { params: file.params });
    const stored = readStoredWeights(old);
    expect(stored.kind).toBe('legacy');
    expect(stored.kind === 'legacy' && stored.params.length).toBe(file.params.length);
    expect(() => readWeightsFile(old)).toThrow(/older Annealab .*annealab runs export-weights/);
    // Given the shape its header lacks, it loads: an MLP has no running statistics to miss.
    const legacy = loadWeights(old, { input: { height: 8, width: 8, channels: 1 }, numClasses: 4 });
    expect(legacy.meta.buffers).toBe('not-saved');
    expect(legacy.notes).toEqual([]);
    const fromNew = loadWeights(path);
    expect(validate(legacy.net, legacy.params, data.test, 32)).toEqual(
      validate(fromNew.net, fromNew.params, data.test, 32),
    );
    legacy.dispose();
    fromNew.dispose();
    // Tensors of one network under the name of another.
    const wrong = join(dir, 'wrong.weights');
    writeWeightsFile(wrong, { ...file, meta: { ...file.meta, numClasses: 5 } });
    expect(() => loadWeights(wrong)).toThrow(
      /does not fit the network it names: #\d+ is \S+ \[128×4\], expected \S+ \[128×5\]/,
    );
    // Not a weights file at all.
    const junk = join(dir, 'junk.weights');
    writeTensorFile(junk, { hello: 1 }, {});
    expect(() => readStoredWeights(junk)).toThrow(/is not an Annealab weights file \(format: /);
    expect(readFileSync(path).subarray(0, 19).toString()).toBe('ANNEALAB-TENSORS 1\n');
    tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
  });
});
