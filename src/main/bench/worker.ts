// One benchmark measurement in its own process, so that its peak memory is its own and
// backends never share a process: `{model, backend, batchSize}` in, JSON lines out.
// Uses the real networks and the real methods on a fixed random batch. Every read-back is
// awaited: the webgpu backend cannot read synchronously in Node.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../shared/rng';
import { validateSpec } from '../../shared/spec';
import type { ModelId } from '../../shared/ids';
import { kernelThreads, setKernelThreads } from '../trainer/backend/kernel-threads';
import { describeDevice, initBackend } from '../trainer/backend/select';
import { uploadSplit, gatherBatch, disposeBatch, type Batch } from '../trainer/data/batches';
import { createMethod, metropolisPlacement, type MethodContext } from '../trainer/methods';
import { buildNetwork, initialValues, type InputShape } from '../trainer/models';
import { crossEntropy } from '../trainer/objective';
import { estimateTraining, estimateTrainingAsync } from '../trainer/evaluate';
import '../trainer/gradients';

export interface BenchJob {
  model: ModelId;
  backend: 'wasm' | 'cpu' | 'tensorflow' | 'webgpu';
  batchSize: number;
  /** The images' shape; MNIST's 28×28×1 when absent. */
  input?: InputShape;
  /** Timed repetitions (the median is reported) after one warm-up repetition. */
  repeats: number;
  /** Minimum seconds per repetition: steps are added until a repetition lasts this long. */
  minSeconds: number;
  methods: boolean;
  /** Threads for the SIMD kernels (wasm only; 1 when absent), set before anything is timed. */
  threads?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A timed step: it returns once its work is done (what it read back has arrived). */
type Step = () => void | Promise<void>;

/** Calls of `step` needed for one repetition to last `minSeconds` (after one warm-up call). */
async function callsFor(step: Step, minSeconds: number): Promise<number> {
  await step(); // warm-up: kernels compile, buffers allocate
  let calls = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await step();
    const s = (performance.now() - t0) / 1000;
    if (s >= minSeconds || calls >= 4096) return calls;
    calls *= 2;
  }
}

/**
 * Seconds per call of `step` in one repetition of `calls` calls. `settle` runs before the clock
 * stops: a step that reads nothing back (the device-side Metropolis decision) has only queued its
 * work on a GPU when it returns.
 */
async function seconds(step: Step, calls: number, settle?: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await step();
  await settle?.();
  return (performance.now() - t0) / 1000 / calls;
}

/** Median seconds per call of `step`, each repetition long enough to time well. */
async function timePerCall(step: Step, repeats: number, minSeconds: number): Promise<number> {
  const calls = await callsFor(step, minSeconds);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) times.push(await seconds(step, calls));
  return median(times);
}

/**
 * Seconds per call of `passes(sets)`, where each call gets `fresh` sets of weights that no pass
 * has seen: a method's passes run on new weights (w ± Δ, the weights after an update), and
 * backends cache per-weight work (wasm's matmul packs its weights once per tensor), so passes
 * over the same weights again would be a baseline no method gets. Each call's copies are made
 * right before it (as a method makes its candidates: still in cache) and off the clock.
 */
async function secondsFresh(
  passes: (sets: tf.Tensor[][]) => void | Promise<void>,
  params: readonly tf.Tensor[],
  fresh: number,
  calls: number,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < calls; i++) {
    const sets = Array.from({ length: fresh }, () => params.map((p) => tf.add(p, 0)));
    const t0 = performance.now();
    await passes(sets);
    total += performance.now() - t0;
    tf.dispose(sets.flat());
  }
  return total / 1000 / calls;
}

/**
 * A method's step against the passes it needs, timed in alternation so that both see the same
 * machine (load, clock, heap): the median of the per-repetition ratios is the overhead.
 */
async function timeAgainst(
  method: Step,
  passes: (sets: tf.Tensor[][]) => void | Promise<void>,
  params: readonly tf.Tensor[],
  fresh: number,
  repeats: number,
  minSeconds: number,
): Promise<{ perStep: number; ratio: number }> {
  // Reading back the smallest parameter waits for everything queued before it.
  const smallest = params.reduce((a, b) => (b.size < a.size ? b : a));
  const settle = async () => void (await smallest.data());
  const mCalls = await callsFor(method, minSeconds / 2);
  const pCalls = Math.max(1, Math.round(mCalls * 1.2));
  const steps: number[] = [];
  const ratios: number[] = [];
  await secondsFresh(passes, params, fresh, 1); // warm-up
  // A ratio of two noisy times is noisier than either: at least 9 pairs for its median.
  for (let r = 0; r < Math.max(repeats, 9); r++) {
    const m = await seconds(method, mCalls, settle);
    const p = await secondsFresh(passes, params, fresh, pCalls);
    steps.push(m);
    ratios.push(m / p);
  }
  return { perStep: median(steps), ratio: median(ratios) };
}

async function run(job: BenchJob): Promise<void> {
  const info = await initBackend(job.backend);
  if (info.backend === 'wasm') {
    await setKernelThreads(job.threads ?? 1);
    info.device = describeDevice('wasm');
  }
  const input = job.input ?? { height: 28, width: 28, channels: 1 };
  const net = buildNetwork(job.model, input, 10);
  const rng = Rng.fromSeed(1, 'bench');
  const count = job.batchSize * 4;
  const pixels = rng.fillNormal(new Float32Array(count * input.height * input.width * input.channels), 1);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  const split = uploadSplit(pixels, labels, input, 10);
  const batch: Batch = gatherBatch(
    split,
    Int32Array.from({ length: job.batchSize }, (_, i) => i),
  );
  const params = tf.tidy(() =>
    initialValues(net.params, rng, 'pytorch').map((v, i) => tf.variable(tf.tensor(v, net.params[i]!.shape))),
  );
  /** `compute`'s result read back (so its work is done), then disposed. */
  const readBack = async (compute: () => tf.Tensor) => {
    const t = tf.tidy(compute);
    await t.data();
    t.dispose();
  };

  // Forward: what SSA does three times per minibatch, in training mode as SSA's are (batch-norm
  // on the batch's statistics, dropout on; as PyTorch's reference). One read-back so the work is done.
  const forward = await timePerCall(
    () => readBack(() => crossEntropy(net.apply(params, batch.x, true), batch.y)),
    job.repeats,
    job.minSeconds,
  );
  // Training step: forward, backward, plain SGD update, and a read-back to finish the work.
  const train = await timePerCall(
    () =>
      readBack(() => {
        const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) =>
          crossEntropy(net.apply(ws, batch.x, true), batch.y),
        )(params);
        params.forEach((w, i) => w.assign(tf.sub(w, tf.mul(grads[i]!, 0.01))));
        return value;
      }),
    job.repeats,
    job.minSeconds,
  );
  // The peak of a process that trains (and evaluates) the network, before the method
  // measurements below add their own copies of the weights.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const out: Record<string, unknown> = {
    type: 'bench',
    model: job.model,
    backend: info.backend,
    device: info.device,
    ...(info.backend === 'wasm' ? { threads: kernelThreads() } : {}),
    batchSize: job.batchSize,
    input: `${input.height}x${input.width}x${input.channels}`,
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
    // The passes each method needs and nothing else, as the methods run them (training mode):
    // SSA three forwards (two on new weights w ± Δ, one on w), SGD-SA forward + backward on w
    // and a forward on w − ηg, the gradient methods forward + backward on the updated weights.
    const forwardPass = (ws: readonly tf.Tensor[]) => crossEntropy(net.apply(ws, batch.x, true), batch.y);
    const backwardPass = (ws: readonly tf.Tensor[]) =>
      tf.valueAndGrads((...v: tf.Tensor[]) => crossEntropy(net.apply(v, batch.x, true), batch.y))([...ws]);
    const passesOf: Record<string, { fresh: number; run: (sets: tf.Tensor[][]) => void | Promise<void> }> = {
      ssa: {
        fresh: 2,
        run: ([a, b]) => readBack(() => tf.stack([forwardPass(params), forwardPass(a!), forwardPass(b!)])),
      },
      'sgd-sa': {
        fresh: 1,
        run: ([a]) => readBack(() => tf.stack([backwardPass(params).value, forwardPass(a!)])),
      },
      // Read back too: on a GPU backend the passes are only queued until something waits for them
      // (the methods' steps are timed to a read-back at the end of each repetition).
      gradient: { fresh: 1, run: ([a]) => readBack(() => backwardPass(a!).value) },
    };
    const methods: Record<string, { minibatchesPerSec: number; overheadPct: number }> = {};
    const decisions = metropolisPlacement(info.backend);
    for (const m of specs.spec.methods) {
      const streams = new Map<string, Rng>();
      const ctx: MethodContext = {
        net,
        params,
        counters: { forward: 0, backward: 0, updates: 0 },
        rng: (name) => streams.get(name) ?? streams.set(name, Rng.fromSeed(1, name)).get(name)!,
        reinitialize: () => undefined,
        estimateTrain: () => estimateTraining(net, params, split, job.batchSize, 1, Rng.fromSeed(1, 'e')),
        estimateTrainAsync: () =>
          estimateTrainingAsync(net, params, split, job.batchSize, 1, Rng.fromSeed(1, 'e')),
        // As in the loop: a step's read-backs wait for settle, which is awaited.
        asyncReads: true,
        decisions,
      };
      const method = createMethod(ctx, m);
      method.beginEpoch(1);
      let step = 0;
      const passes = passesOf[m.id] ?? passesOf.gradient!;
      const { perStep, ratio } = await timeAgainst(
        async () => {
          method.step(batch, ++step);
          await method.settle?.(false);
        },
        passes.run,
        params,
        passes.fresh,
        job.repeats,
        job.minSeconds,
      );
      method.dispose();
      methods[m.id] = { minibatchesPerSec: 1 / perStep, overheadPct: 100 * (ratio - 1) };
    }
    out.methods = methods;
    out.metropolis = decisions;
  }
  disposeBatch(batch);
  out.peakRssMb = peakRssMb;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const job = JSON.parse(process.argv[2] ?? '{}') as BenchJob;
run(job).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
