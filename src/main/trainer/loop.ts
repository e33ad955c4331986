// The one training loop all five methods share (METHODS.md, "Shared loop"): seeded
// shuffles, minibatch steps by the method, then per epoch validation, the training
// estimate, the method's own statistics and the best-on-validation weights.
import * as tf from '@tensorflow/tfjs-core';
import './gradients';
import type { ModelId } from '../../shared/ids';
import type { EpochRecord, LossAccuracy } from '../../shared/records';
import { Rng } from '../../shared/rng';
import { methodLabel, type ExperimentSpec, type MethodSpec } from '../../shared/spec';
import { augmentImages, thesisAugmentation } from './data/augment';
import { disposeBatch, epochBatches, gatherBatch, sequentialBatches, type DeviceSplit } from './data/batches';
import { estimateTraining, evaluateBatches, validate } from './evaluate';
import { createMethod, metropolisPlacement, type ComputeCounters, type MethodContext } from './methods';
import { bindBuffers, buildNetwork, initialBuffers, initialValues, type Network } from './models';
import type { Checkpoint } from './checkpoint';

export interface RunPlan {
  experimentId: string;
  runId: string;
  spec: ExperimentSpec;
  methodIndex: number;
  model: ModelId;
  seed: number;
}

export interface PreparedData {
  train: DeviceSplit;
  test: DeviceSplit;
  input: { height: number; width: number; channels: number };
  numClasses: number;
  /** Per channel, the normalised value of a black pixel: what augmentation pads with (0 if absent). */
  padValue?: number[];
}

export interface Progress {
  epoch: number;
  step: number;
  steps: number;
}

export interface LoopHooks {
  /**
   * After each epoch. `checkpoint()` captures the run's whole state at that point; the loop
   * waits for the returned promise, so a checkpoint is on disk before the next epoch starts.
   */
  onEpoch(record: EpochRecord, checkpoint: () => Checkpoint): void | Promise<void>;
  onProgress?(progress: Progress): void;
  /** Checked between minibatches: a cancelled run stops within one step. */
  shouldStop?(): boolean;
}

export interface TrainOutcome {
  status: 'finished' | 'cancelled';
  epochs: number;
  bestEpoch: number | null;
  best: { accuracy: number; loss: number } | null;
  minValLoss: number | null;
  minValLossThesis: number | null;
  seconds: number;
  /** The network, bound to `bestBuffers` when it has batch-norm, so it evaluates `bestWeights`. */
  net: Network;
  /** Best-on-validation weights; the caller saves and disposes them. */
  bestWeights: tf.Tensor[] | null;
  /** Their batch-norm running statistics (null without batch-norm); the caller disposes them. */
  bestBuffers: tf.Variable[] | null;
}

export class DivergedError extends Error {}

export function methodOf(plan: RunPlan): MethodSpec {
  const m = plan.spec.methods[plan.methodIndex];
  if (!m) throw new Error(`the spec has no method at index ${plan.methodIndex}`);
  return m;
}

/** Lets a host message (cancel) through between minibatches without slowing the steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Train one run; with `resume`, continue after the checkpoint's epoch exactly as if never stopped. */
export async function trainRun(
  plan: RunPlan,
  data: PreparedData,
  hooks: LoopHooks,
  resume?: Checkpoint,
): Promise<TrainOutcome> {
  const { spec, seed } = plan;
  const methodSpec = methodOf(plan);
  const label = methodLabel(methodSpec);
  const net = buildNetwork(plan.model, data.input, data.numClasses);
  const streams = new Map<string, Rng>(
    Object.entries(resume?.state.rng ?? {}).map(([name, state]) => [name, Rng.fromState(state)]),
  );
  const rng = (name: string) => {
    let r = streams.get(name);
    if (!r) streams.set(name, (r = Rng.fromSeed(seed, name)));
    return r;
  };
  const initRng = rng('init');
  // A checkpoint's tensors are the parameters, then the batch-norm running statistics.
  const saved = net.params.length + net.buffers.length;
  if (resume && resume.params.length !== saved) {
    throw new Error(
      `the checkpoint holds ${resume.params.length} tensors; ${plan.model} has ${net.params.length} ` +
        `parameters${net.buffers.length ? ` and ${net.buffers.length} batch-norm buffers` : ''}`,
    );
  }
  // Variables survive tidy; the initial-value tensors they copy do not.
  const startValues = resume
    ? resume.params.slice(0, net.params.length).map((p) => p.values)
    : initialValues(net.params, initRng, spec.init);
  const params = tf.tidy(() =>
    startValues.map((values, i) => tf.variable(tf.tensor(values, net.params[i]!.shape), true)),
  );
  // Batch-norm's running statistics live beside the parameters; the method and the evaluation get
  // the network bound to them.
  const buffers = tf.tidy(() =>
    (resume ? loadTensors(resume.params.slice(net.params.length)) : initialBuffers(net)).map((t) =>
      tf.variable(t, false),
    ),
  );
  const runNet = bindBuffers(net, buffers);
  const counters: ComputeCounters = resume
    ? { ...resume.state.counters }
    : { forward: 0, backward: 0, updates: 0 };
  const estimateRng = rng('estimate');
  const ctx: MethodContext = {
    net: runNet,
    params,
    counters,
    rng,
    reinitialize() {
      tf.tidy(() => {
        initialValues(net.params, initRng, spec.init).forEach((values, i) =>
          params[i]!.assign(tf.tensor(values, net.params[i]!.shape)),
        );
        initialBuffers(net).forEach((values, i) => buffers[i]!.assign(values));
      });
    },
    estimateTrain: () =>
      estimateTraining(runNet, params, data.train, spec.batchSize, spec.estimateBatches, estimateRng),
    decisions: metropolisPlacement(tf.getBackend()),
  };
  const method = createMethod(ctx, methodSpec);
  if (resume) method.loadState({ scalars: resume.state.method, tensors: resume.methodTensors });
  const shuffleRng = rng('shuffle');
  const augmenter = spec.augment
    ? {
        rng: rng('augment'),
        options: thesisAugmentation(data.padValue ?? new Array<number>(data.input.channels).fill(0)),
      }
    : null;
  const batchNorm: EpochRecord['batchNorm'] =
    net.buffers.length === 0
      ? undefined
      : methodSpec.id === 'ssa' || methodSpec.id === 'sgd-sa'
        ? 'accepted-weights'
        : 'training-steps';
  const started = performance.now() - (resume?.state.seconds ?? 0) * 1000;
  let bestWeights: tf.Tensor[] | null =
    resume && resume.bestWeights.length > 0
      ? resume.bestWeights.slice(0, net.params.length).map((w) => tf.keep(tf.tensor(w.values, w.shape)))
      : null;
  let bestBuffers: tf.Variable[] | null =
    resume && resume.bestWeights.length > 0 && net.buffers.length > 0
      ? tf.tidy(() =>
          loadTensors(resume.bestWeights.slice(net.params.length)).map((t) => tf.variable(t, false)),
        )
      : null;
  let best: { accuracy: number; loss: number } | null = resume?.state.best ?? null;
  let bestEpoch: number | null = resume?.state.best?.epoch ?? null;
  let minValLoss: number | null = resume?.state.minValLoss ?? null;
  let minValLossThesis: number | null = resume?.state.minValLossThesis ?? null;
  let epochsDone = resume?.state.epoch ?? 0;
  let status: TrainOutcome['status'] = 'finished';

  try {
    for (let epoch = epochsDone + 1; epoch <= spec.epochs; epoch++) {
      method.beginEpoch(epoch);
      const batches = epochBatches(data.train.count, spec.batchSize, shuffleRng, spec.dropLast);
      for (let s = 0; s < batches.length; s++) {
        if (hooks.shouldStop?.()) {
          status = 'cancelled';
          break;
        }
        let batch = gatherBatch(data.train, batches[s]!);
        if (augmenter) {
          const x = augmentImages(batch.x, augmenter.rng, augmenter.options);
          batch.x.dispose();
          batch = { ...batch, x };
        }
        try {
          method.step(batch, s + 1);
        } finally {
          disposeBatch(batch);
        }
        hooks.onProgress?.({ epoch, step: s + 1, steps: batches.length });
        await yieldToEventLoop();
      }
      if (status === 'cancelled') break;

      const val = validate(runNet, params, data.test, spec.batchSize);
      const estimate = ctx.estimateTrain();
      const train: LossAccuracy = { loss: estimate.loss, accuracy: estimate.accuracy };
      const trainExact = spec.exactTrainLoss
        ? (({ loss, accuracy }) => ({ loss, accuracy }))(
            evaluateBatches(runNet, params, data.train, sequentialBatches(data.train.count, spec.batchSize)),
          )
        : null;
      if (!Number.isFinite(val.loss) || !Number.isFinite(train.loss)) {
        throw new DivergedError(
          `training diverged in epoch ${epoch}: the ${Number.isFinite(val.loss) ? 'training' : 'validation'} ` +
            `loss is ${Number.isFinite(val.loss) ? train.loss : val.loss}. Try a smaller learning rate.`,
        );
      }
      // The record describes the weights that were validated, so note "best" before the
      // method acts on the epoch's end (a restart re-draws them).
      const isBest =
        best === null ||
        val.accuracy > best.accuracy ||
        (val.accuracy === best.accuracy && val.loss < best.loss);
      if (isBest) {
        if (bestWeights) tf.dispose(bestWeights);
        bestWeights = params.map((p) => tf.keep(p.clone()));
        if (net.buffers.length > 0) {
          if (bestBuffers) tf.dispose(bestBuffers);
          bestBuffers = tf.tidy(() => buffers.map((b) => tf.variable(b.clone(), false)));
        }
        best = { accuracy: val.accuracy, loss: val.loss };
        bestEpoch = epoch;
      }
      minValLoss = minValLoss === null ? val.loss : Math.min(minValLoss, val.loss);
      minValLossThesis =
        minValLossThesis === null ? val.lossThesis : Math.min(minValLossThesis, val.lossThesis);
      const fields = method.endEpoch(epoch, estimate);
      epochsDone = epoch;
      const record: EpochRecord = {
        type: 'epoch',
        experimentId: plan.experimentId,
        runId: plan.runId,
        method: methodSpec.id,
        label,
        model: plan.model,
        seed,
        epoch,
        val,
        train,
        trainExact,
        counters: { seconds: (performance.now() - started) / 1000, ...counters },
        ...fields,
        best: isBest,
        ...(batchNorm ? { batchNorm } : {}),
      };
      const seconds = record.counters.seconds;
      await hooks.onEpoch(record, () => {
        const methodState = method.saveState();
        return {
          state: {
            epoch,
            record,
            rng: Object.fromEntries([...streams].map(([name, r]) => [name, r.getState()])),
            counters: { ...counters },
            seconds,
            best: best && bestEpoch !== null ? { ...best, epoch: bestEpoch } : null,
            minValLoss,
            minValLossThesis,
            method: methodState.scalars,
          },
          params: [...saveTensors(net.params, params), ...saveTensors(net.buffers, buffers)],
          bestWeights: bestWeights
            ? [...saveTensors(net.params, bestWeights), ...saveTensors(net.buffers, bestBuffers ?? [])]
            : [],
          methodTensors: methodState.tensors,
        };
      });
    }
  } catch (err) {
    if (bestWeights) tf.dispose(bestWeights);
    if (bestBuffers) tf.dispose(bestBuffers);
    throw err;
  } finally {
    method.dispose();
    tf.dispose(params);
    tf.dispose(buffers);
  }
  return {
    status,
    epochs: epochsDone,
    bestEpoch,
    best,
    minValLoss,
    minValLossThesis,
    seconds: (performance.now() - started) / 1000,
    net: bestBuffers ? bindBuffers(net, bestBuffers) : net,
    bestWeights,
    bestBuffers,
  };
}

function saveTensors(specs: readonly { name: string }[], tensors: readonly tf.Tensor[]) {
  return tensors.map((t, i) => ({
    name: specs[i]!.name,
    shape: [...t.shape],
    values: t.dataSync() as Float32Array,
  }));
}

function loadTensors(saved: readonly { shape: number[]; values: Float32Array }[]): tf.Tensor[] {
  return saved.map((t) => tf.tensor(t.values, t.shape));
}
