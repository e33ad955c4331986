// The webgpu backend on SwiftShader (Vulkan on the CPU, from the chromium package): every thesis
// network's loss and gradients against the cpu backend's, every method a few steps against cpu,
// and no tensor leaks. Skipped only where the machine has no SwiftShader ICD; where it has one,
// webgpu must come up on it (initBackend('webgpu') throws rather than fall back, and the test
// checks the active backend too), so a silent fallback fails here.
//
// SwiftShader is slow (a resnet18 step at 32×32×3, batch 16, takes over a minute): tiny inputs
// (smallInput), batch 2, inference mode (batch-norm over the few values per channel
// that tiny images leave turns float32 rounding into percent-level gradient differences in
// training mode: networks-backends.test.ts), a 48-image synthetic split for the methods.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_IDS, type ModelId } from '../../src/shared/ids';
import type { EpochRecord } from '../../src/shared/records';
import { Rng } from '../../src/shared/rng';
import { initBackend, type BackendInfo } from '../../src/main/trainer/backend/select';
import { findSwiftShaderIcd } from '../../src/main/trainer/backend/webgpu-adapter';
import { trainRun, type RunPlan } from '../../src/main/trainer/loop';
import { crossEntropy } from '../../src/main/trainer/objective';
import { buildNetwork, initialBuffers, initialValues, type InputShape } from '../../src/main/trainer/models';
import { syntheticSplit, tinySpec } from '../helpers/tiny-training';

const icd = findSwiftShaderIcd();
/**
 * Per network: about 3 CPU minutes for the whole file on this machine, but SwiftShader's threads
 * and the cpu backend share the cores with whatever else runs; a timeout is no speed test.
 */
const NETWORK_TIMEOUT_MS = 900_000;
const skipReason =
  'no SwiftShader Vulkan ICD on this machine (install chromium, or set ANNEALAB_SWIFTSHADER_ICD)';

/**
 * Small inputs that still exercise every layer: each network accepts 1×1 but lenet5 (16×16),
 * convnet (4×4) and squeezenet (8×8); at 4×4 the first 3×3 convolutions see every tap of their
 * kernels (at 1×1 only the centre one would, and the others' gradients would agree trivially).
 */
function smallInput(id: ModelId): InputShape {
  if (id === 'lenet5') return { height: 16, width: 16, channels: 1 };
  if (id === 'mlp' || id === 'convnet') return { height: 4, width: 4, channels: 1 };
  const side = id === 'squeezenet' ? 8 : 4;
  return { height: side, width: side, channels: 3 };
}

interface Pass {
  loss: number;
  grads: Float32Array[];
}

/** Loss and every parameter's gradient of `id` at seeded weights and images, on the active backend. */
async function pass(id: ModelId): Promise<Pass> {
  const input = smallInput(id);
  const batch = 2;
  const net = buildNetwork(id, input, 10);
  const values = initialValues(net.params, Rng.fromSeed(1, 'init'), 'pytorch');
  const pixels = Rng.fromSeed(2, 'x').fillNormal(
    new Float32Array(batch * input.height * input.width * input.channels),
    1,
  );
  const params = values.map((v, i) => tf.tensor(v, net.params[i]!.shape));
  const buffers = initialBuffers(net);
  const x = tf.tensor4d(pixels, [batch, input.height, input.width, input.channels]);
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10), 'float32')) as tf.Tensor2D;
  const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
    crossEntropy(net.apply(ws, x, false, { buffers, onRunningStats: () => {} }), y),
  )(params);
  const result = {
    loss: (await value.data())[0]!,
    grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
  };
  tf.dispose([value, ...grads, ...params, ...buffers, x, y]);
  return result;
}

/** max |a − b| and that over max |b| (the gradient's own scale), over all the arrays. */
function difference(a: Float32Array[], b: Float32Array[]): { abs: number; rel: number } {
  let abs = 0;
  let scale = 0;
  a.forEach((ai, k) =>
    ai.forEach((v, j) => {
      const w = b[k]![j]!;
      abs = Math.max(abs, Math.abs(v - w));
      scale = Math.max(scale, Math.abs(w));
    }),
  );
  return { abs, rel: scale > 0 ? abs / scale : abs };
}

describe.skipIf(!icd)(`webgpu on SwiftShader${icd ? '' : ` (skipped: ${skipReason})`}`, () => {
  let info: BackendInfo;
  const savedIcd = process.env.VK_ICD_FILENAMES;

  beforeAll(async () => {
    process.env.VK_ICD_FILENAMES = icd!;
    info = await initBackend({ request: 'webgpu', source: 'flag' });
  });
  afterAll(async () => {
    if (savedIcd === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = savedIcd;
    await tf.setBackend('cpu');
  });

  it('comes up on webgpu, on the SwiftShader adapter, and says so', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.backend).toBe('webgpu');
    expect(info.device).toMatch(/^SwiftShader \(Vulkan on the CPU/);
    expect(info.reason).toMatch(
      /^requested by the --backend flag \(webgpu\): SwiftShader .*a software adapter/,
    );
    expect(info.versions.backend).toBe('@tensorflow/tfjs-backend-webgpu 4.22.0');
  });

  it('auto does not take a software adapter: it says why and uses wasm', async () => {
    const auto = await initBackend('auto');
    expect(auto.backend).not.toBe('webgpu');
    expect(auto.reason).toContain('webgpu: only a software adapter (SwiftShader); using wasm');
    await tf.setBackend('webgpu');
  });

  for (const id of MODEL_IDS) {
    it(
      `${id}: loss and every gradient as on cpu (inference mode, ${smallInput(id).height}×${smallInput(id).width})`,
      async () => {
        await tf.setBackend('webgpu');
        const gpu = await pass(id);
        await tf.setBackend('cpu');
        const cpu = await pass(id);
        await tf.setBackend('webgpu');
        const lossRel = Math.abs(gpu.loss - cpu.loss) / Math.abs(cpu.loss);
        const grad = difference(gpu.grads, cpu.grads);
        console.info(
          `webgpu-vs-cpu ${id}: loss ${gpu.loss} vs ${cpu.loss} (rel ${lossRel.toExponential(2)}), ` +
            `gradients max abs ${grad.abs.toExponential(2)}, rel ${grad.rel.toExponential(2)}`,
        );
        expect(lossRel).toBeLessThan(1e-5);
        expect(grad.rel).toBeLessThan(1e-4);
      },
      NETWORK_TIMEOUT_MS,
    );
  }

  /** Two epochs of `method` on a 48-image split, on the active backend; numTensors after each. */
  async function train(method: Record<string, unknown>) {
    const spec = tinySpec([method], { epochs: 2, batchSize: 16, estimateBatches: 2 });
    const data = {
      train: syntheticSplit(48, 1),
      test: syntheticSplit(32, 2),
      input: { height: 8, width: 8, channels: 1 },
      numClasses: 4,
    };
    const plan: RunPlan = { experimentId: 'e', runId: 'r', spec, methodIndex: 0, model: 'mlp', seed: 7 };
    const records: EpochRecord[] = [];
    const tensors: number[] = [];
    const outcome = await trainRun(plan, data, {
      onEpoch: async (r, checkpoint) => {
        records.push(r);
        await checkpoint(); // the checkpoint's read-backs must work (asynchronously) too
        tensors.push(tf.memory().numTensors);
      },
    });
    tf.dispose(outcome.bestWeights ?? []);
    tf.dispose([data.train.x, data.train.y, data.train.labels, data.test.x, data.test.y, data.test.labels]);
    return { records, tensors };
  }

  for (const method of [
    { id: 'sgd', lr: 0.1 },
    { id: 'scheduled-sgd', lr: 0.1, milestones: [1], gamma: 0.1 },
    // checkEvery 2 with a large ε: restarts inside the epoch, read back through settle.
    // One snapshot kept (restart runs keep a snapshot ensemble): replaced at each restart, so the
    // tensor count stays flat from epoch to epoch once the first restart has happened.
    { id: 'restart', lr: 0.01, momentum: 0.9, restartEpsilon: 100, checkEvery: 2, snapshotEnsemble: 1 },
    { id: 'ssa', epsilon: 0.05 },
    { id: 'sgd-sa', lrSet: 'H2' },
    { id: 'adam', lr: 0.01 },
  ]) {
    it(`${method.id}: two epochs as on cpu, without leaking tensors`, async () => {
      await tf.setBackend('webgpu');
      const gpu = await train(method);
      await tf.setBackend('cpu');
      const cpu = await train(method);
      await tf.setBackend('webgpu');
      expect(gpu.tensors[1]).toBe(gpu.tensors[0]);
      gpu.records.forEach((r, e) => {
        const c = cpu.records[e]!;
        expect(Math.abs(r.val.loss - c.val.loss) / c.val.loss, `epoch ${r.epoch} val loss`).toBeLessThan(
          1e-4,
        );
        expect(r.val.accuracy).toBe(c.val.accuracy);
        // The same Metropolis decisions (webgpu decides on the device, cpu on the host) and restarts.
        expect(r.moves ?? null).toEqual(c.moves ?? null);
        expect(r.restarts).toBe(c.restarts);
        expect(r.counters.updates).toBe(c.counters.updates);
      });
    });
  }
});
