// One benchmark measurement in its own process, so that its peak memory is its own and
// backends never share a process: `{model, backend, batchSize}` in, JSON lines out.
// Uses the real networks and the real methods on a fixed random batch.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../shared/rng';
import { validateSpec } from '../../shared/spec';
import type { ModelId } from '../../shared/ids';
import { initBackend } from '../trainer/backend/select';
import { uploadSplit, gatherBatch, disposeBatch, type Batch } from '../trainer/data/batches';
import { createMethod, type MethodContext } from '../trainer/methods';
import { buildNetwork, initialValues } from '../trainer/models';
import { crossEntropy } from '../trainer/objective';
import { estimateTraining } from '../trainer/evaluate';
import '../trainer/gradients';

export interface BenchJob {
  model: ModelId;
  backend: 'wasm' | 'cpu' | 'tensorflow';
  batchSize: number;
  /** Timed repetitions (the median is reported) after one warm-up repetition. */
  repeats: number;
  /** Minimum seconds per repetition: steps are added until a repetition lasts this long. */
  minSeconds: number;
  methods: boolean;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median seconds per call of `step`, each repetition long enough to time well. */
function timePerCall(step: () => void, repeats: number, minSeconds: number): number {
  step(); // warm-up: kernels compile, buffers allocate
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) step();
    const s = (performance.now() - t0) / 1000;
    if (s >= minSeconds || calls >= 4096) break;
    calls *= 2;
  }
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) step();
    samples.push((performance.now() - t0) / 1000 / calls);
  }
  return median(samples);
}

async function run(job: BenchJob): Promise<void> {
  const info = await initBackend(job.backend);
  const input = { height: 28, width: 28, channels: 1 };
  const net = buildNetwork(job.model, input, 10);
  const rng = Rng.fromSeed(1, 'bench');
  const count = job.batchSize * 4;
  const pixels = rng.fillNormal(new Float32Array(count * 784), 1);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const split = uploadSplit(pixels, labels, input, 10);
  const batch: Batch = gatherBatch(
    split,
    Int32Array.from({ length: job.batchSize }, (_, i) => i),
  );
  const params = tf.tidy(() =>
    initialValues(net.params, rng, 'pytorch').map((v, i) => tf.variable(tf.tensor(v, net.params[i]!.shape))),
  );
  const sync = (t: tf.Tensor) => t.dataSync();

  // Forward: what SSA does three times per minibatch. One read-back so the work is done.
  const forward = timePerCall(
    () => tf.tidy(() => sync(crossEntropy(net.apply(params, batch.x, false), batch.y))),
    job.repeats,
    job.minSeconds,
  );
  // Training step: forward, backward, plain SGD update, and a read-back to finish the work.
  const train = timePerCall(
    () =>
      tf.tidy(() => {
        const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
          crossEntropy(net.apply(ws, batch.x, true), batch.y),
        )(params);
        params.forEach((w, i) => w.assign(tf.sub(w, tf.mul(grads[i]!, 0.01))));
        sync(value);
      }),
    job.repeats,
    job.minSeconds,
  );
  const out: Record<string, unknown> = {
    type: 'bench',
    model: job.model,
    backend: info.backend,
    device: info.device,
    batchSize: job.batchSize,
    trainImagesPerSec: job.batchSize / train,
    forwardImagesPerSec: job.batchSize / forward,
  };

  if (job.methods) {
    const specs = validateSpec({
      name: 'bench',
      dataset: { id: 'bench' },
      models: [job.model],
      methods: [
        { id: 'sgd' },
        { id: 'scheduled-sgd' },
        { id: 'restart', restartEpsilon: 1e-12 },
        { id: 'ssa' },
        { id: 'sgd-sa' },
      ],
      batchSize: job.batchSize,
    });
    if (!specs.ok) throw new Error(JSON.stringify(specs.problems));
    const methods: Record<string, { minibatchesPerSec: number; overheadPct: number }> = {};
    for (const m of specs.spec.methods) {
      const streams = new Map<string, Rng>();
      const ctx: MethodContext = {
        net,
        params,
        counters: { forward: 0, backward: 0, updates: 0 },
        rng: (name) => streams.get(name) ?? streams.set(name, Rng.fromSeed(1, name)).get(name)!,
        reinitialize: () => undefined,
        estimateTrain: () => estimateTraining(net, params, split, job.batchSize, 1, Rng.fromSeed(1, 'e')),
      };
      const method = createMethod(ctx, m);
      method.beginEpoch(1);
      let step = 0;
      const perBatch = timePerCall(() => method.step(batch, ++step), job.repeats, job.minSeconds);
      method.dispose();
      // The passes a method needs anyway: SSA 3 forward; SGD-SA 2 forward + 1 backward
      // (≈ train + forward); the gradient methods one training step.
      const passes = m.id === 'ssa' ? 3 * forward : m.id === 'sgd-sa' ? train + forward : train;
      methods[m.id] = { minibatchesPerSec: 1 / perBatch, overheadPct: (100 * (perBatch - passes)) / passes };
    }
    out.methods = methods;
  }
  disposeBatch(batch);
  out.peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const job = JSON.parse(process.argv[2] ?? '{}') as BenchJob;
run(job).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
