// The one training loop all five methods share (METHODS.md, "Shared loop"): seeded
// shuffles, minibatch steps by the method, then per epoch validation, the training
// estimate, the method's own statistics and the best-on-validation weights.
import * as tf from '@tensorflow/tfjs-core';
import './gradients';
import type { ModelId } from '../../shared/ids';
import type { EpochRecord, LossAccuracy } from '../../shared/records';
import { Rng } from '../../shared/rng';
import {
  DEFAULT_SNAPSHOT_ENSEMBLE,
  methodLabel,
  type ExperimentSpec,
  type MethodSpec,
} from '../../shared/spec';
import { augmentImages, thesisAugmentation } from './data/augment';
import { disposeBatch, epochBatches, gatherBatch, sequentialBatches, type DeviceSplit } from './data/batches';
import { estimateTraining, estimateTrainingAsync, evaluateBatchesAsync, validateAsync } from './evaluate';
import {
  createMethod,
  metropolisPlacement,
  type ComputeCounters,
  type MethodContext,
  type MethodEpochFields,
  type SavedTensor,
  type TrainingMethod,
} from './methods';
import { BestWeights } from './best-weights';
import { EarlyStopping } from './early-stopping';
import { bindBuffers, buildNetwork, initialBuffers, initialValues, type Network } from './models';
import type { Checkpoint } from './checkpoint';
import { minibatchGradient, moveHistogram } from './move-histogram';
import { endsSgdrCycle, keepsSnapshots, SnapshotEnsemble } from './snapshot-ensemble';

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
  onEpoch(record: EpochRecord, checkpoint: () => Promise<Checkpoint>): void | Promise<void>;
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

/** A run's live state between two epochs: what startRun builds and the epochs advance. */
interface RunSession {
  net: Network;
  /** The network bound to `buffers`: what the method and the evaluation see. */
  runNet: Network;
  params: tf.Variable[];
  /** Batch-norm's running statistics (none without batch-norm). */
  buffers: tf.Variable[];
  /** Every named random stream the run has drawn from, by name, for the checkpoint. */
  streams: Map<string, Rng>;
  counters: ComputeCounters;
  ctx: MethodContext;
  method: TrainingMethod;
  shuffleRng: Rng;
  augmenter: { rng: Rng; options: ReturnType<typeof thesisAugmentation> } | null;
  best: BestWeights;
  /** The method's early stopping, when it has one. */
  stopping: EarlyStopping | null;
  /** Restart and SGDR runs: the snapshots taken before restarts, scored as an ensemble. */
  ensemble: SnapshotEnsemble | null;
  /** The epoch under way, and whether its end's snapshot is taken (a cold restart then takes none). */
  clock: { epoch: number; snapshotAtEnd: boolean };
  /** performance.now() at which the run would have started had it never stopped. */
  started: number;
  epochsDone: number;
}

/** Train one run; with `resume`, continue after the checkpoint's epoch exactly as if never stopped. */
export async function trainRun(
  plan: RunPlan,
  data: PreparedData,
  hooks: LoopHooks,
  resume?: Checkpoint,
): Promise<TrainOutcome> {
  const run = startRun(plan, data, resume);
  let status: TrainOutcome['status'] = 'finished';
  try {
    // A run that stopped early stays stopped when resumed from its last checkpoint.
    for (let epoch = run.epochsDone + 1; epoch <= plan.spec.epochs && !run.stopping?.stopped; epoch++) {
      if ((await trainEpoch(run, plan, data, epoch, hooks)) === 'cancelled') {
        status = 'cancelled';
        break;
      }
      const { val, estimate, trainExact } = await evaluateEpoch(run, plan, data, epoch);
      // The record describes the weights that were validated, so note "best" before the
      // method acts on the epoch's end (a restart re-draws them).
      const isBest = run.best.consider(epoch, val, run.params, run.buffers);
      await run.method.settle?.(true);
      // SGDR restarts the rate after the last epoch of a cycle: these weights are its snapshot.
      if (run.ensemble && endsSgdrCycle(methodOf(plan), epoch)) {
        run.ensemble.take(run.params, run.buffers, epoch);
        run.clock.snapshotAtEnd = true;
      }
      // The gradient of the weights just validated, before the method acts on the epoch's end.
      const histogram = plan.spec.moveHistogram?.epochs.includes(epoch) ? plan.spec.moveHistogram : null;
      const gradient = histogram
        ? await minibatchGradient(
            run.runNet,
            run.params,
            data.train,
            plan.spec.batchSize,
            run.ctx.rng('move-histogram'),
          )
        : null;
      const fields = run.method.endEpoch(epoch, estimate);
      const earlyStopping = run.stopping?.observe(val.accuracy);
      run.epochsDone = epoch;
      const record = epochRecord(run, plan, epoch, {
        val,
        train: { loss: estimate.loss, accuracy: estimate.accuracy },
        trainExact,
        fields,
        isBest,
        earlyStopping,
        ensemble: await run.ensemble?.result(data.test, plan.spec.batchSize),
        // SSA's ε in force during the epoch unless the option names one.
        moveHistogram:
          histogram && gradient
            ? moveHistogram(
                gradient,
                { ...histogram, epsilon: histogram.epsilon ?? fields.epsilon ?? 0.01 },
                run.ctx.rng('move-histogram'),
              )
            : undefined,
      });
      await hooks.onEpoch(record, () => assembleCheckpoint(run, epoch, record));
    }
  } catch (err) {
    run.best.dispose();
    throw err;
  } finally {
    run.ensemble?.dispose();
    run.method.dispose();
    tf.dispose(run.params);
    tf.dispose(run.buffers);
  }
  const { best, net, started, epochsDone } = run;
  return {
    status,
    epochs: epochsDone,
    bestEpoch: best.bestEpoch,
    best: best.best,
    minValLoss: best.minValLoss,
    minValLossThesis: best.minValLossThesis,
    seconds: (performance.now() - started) / 1000,
    net: best.buffers ? bindBuffers(net, best.buffers) : net,
    bestWeights: best.weights,
    bestBuffers: best.buffers,
  };
}

/** The network, weights, random streams, method and best-so-far of a fresh or resumed run. */
function startRun(plan: RunPlan, data: PreparedData, resume: Checkpoint | undefined): RunSession {
  const { spec, seed } = plan;
  const methodSpec = methodOf(plan);
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
  const clock = { epoch: resume?.state.epoch ?? 0, snapshotAtEnd: false };
  const ensemble = keepsSnapshots(methodSpec)
    ? SnapshotEnsemble.resumed(
        net,
        ('snapshotEnsemble' in methodSpec ? methodSpec.snapshotEnsemble : undefined) ??
          DEFAULT_SNAPSHOT_ENSEMBLE,
        resume?.state.snapshotEpochs && resume.snapshots
          ? { epochs: resume.state.snapshotEpochs, tensors: resume.snapshots }
          : undefined,
      )
    : null;
  const ctx: MethodContext = {
    net: runNet,
    params,
    counters,
    rng,
    reinitialize() {
      // The weights a cold restart throws away are the ensemble's next snapshot.
      if (ensemble && !clock.snapshotAtEnd) ensemble.take(params, buffers, clock.epoch);
      tf.tidy(() => {
        initialValues(net.params, initRng, spec.init).forEach((values, i) =>
          params[i]!.assign(tf.tensor(values, net.params[i]!.shape)),
        );
        initialBuffers(net).forEach((values, i) => buffers[i]!.assign(values));
      });
    },
    estimateTrain: () =>
      estimateTraining(runNet, params, data.train, spec.batchSize, spec.estimateBatches, estimateRng),
    estimateTrainAsync: () =>
      estimateTrainingAsync(runNet, params, data.train, spec.batchSize, spec.estimateBatches, estimateRng),
    // Every read-back in the loop is awaited: webgpu cannot read synchronously in Node, and the
    // other backends give the same numbers either way.
    asyncReads: true,
    decisions: metropolisPlacement(tf.getBackend()),
  };
  const method = createMethod(ctx, methodSpec);
  if (resume) method.loadState({ scalars: resume.state.method, tensors: resume.methodTensors });
  // The order of the rng() calls above and here names no stream twice; each is its own sequence.
  const shuffleRng = rng('shuffle');
  const augmenter = spec.augment
    ? {
        rng: rng('augment'),
        options: thesisAugmentation(data.padValue ?? new Array<number>(data.input.channels).fill(0)),
      }
    : null;
  return {
    net,
    runNet,
    params,
    buffers,
    streams,
    counters,
    ctx,
    method,
    shuffleRng,
    augmenter,
    best: BestWeights.resumed(net, resume),
    stopping: methodSpec.earlyStopping
      ? new EarlyStopping(methodSpec.earlyStopping, resume?.state.record.earlyStopping)
      : null,
    ensemble,
    clock,
    started: performance.now() - (resume?.state.seconds ?? 0) * 1000,
    epochsDone: resume?.state.epoch ?? 0,
  };
}

/** One pass over the shuffled training split, a method step per minibatch. */
async function trainEpoch(
  run: RunSession,
  plan: RunPlan,
  data: PreparedData,
  epoch: number,
  hooks: LoopHooks,
): Promise<'done' | 'cancelled'> {
  const { spec } = plan;
  run.clock.epoch = epoch;
  run.clock.snapshotAtEnd = false;
  run.method.beginEpoch(epoch);
  const batches = epochBatches(data.train.count, spec.batchSize, run.shuffleRng, spec.dropLast);
  for (let s = 0; s < batches.length; s++) {
    if (hooks.shouldStop?.()) return 'cancelled';
    let batch = gatherBatch(data.train, batches[s]!);
    if (run.augmenter) {
      const x = augmentImages(batch.x, run.augmenter.rng, run.augmenter.options);
      batch.x.dispose();
      batch = { ...batch, x };
    }
    try {
      run.method.step(batch, s + 1);
    } finally {
      disposeBatch(batch);
    }
    // The step's read-backs (a host decision, a full device chunk, a restart's estimate), awaited.
    await run.method.settle?.(false);
    hooks.onProgress?.({ epoch, step: s + 1, steps: batches.length });
    await yieldToEventLoop();
  }
  return 'done';
}

/** Validation, the training estimate (and the exact training loss when asked); refuses a NaN. */
async function evaluateEpoch(run: RunSession, plan: RunPlan, data: PreparedData, epoch: number) {
  const { spec } = plan;
  const val = await validateAsync(run.runNet, run.params, data.test, spec.batchSize);
  const estimate = await run.ctx.estimateTrainAsync!();
  const trainExact = spec.exactTrainLoss
    ? (({ loss, accuracy }) => ({ loss, accuracy }))(
        await evaluateBatchesAsync(
          run.runNet,
          run.params,
          data.train,
          sequentialBatches(data.train.count, spec.batchSize),
        ),
      )
    : null;
  if (!Number.isFinite(val.loss) || !Number.isFinite(estimate.loss)) {
    throw new DivergedError(
      `training diverged in epoch ${epoch}: the ${Number.isFinite(val.loss) ? 'training' : 'validation'} ` +
        `loss is ${Number.isFinite(val.loss) ? estimate.loss : val.loss}. Try a smaller learning rate.`,
    );
  }
  return { val, estimate, trainExact };
}

function epochRecord(
  run: RunSession,
  plan: RunPlan,
  epoch: number,
  r: {
    val: EpochRecord['val'];
    train: LossAccuracy;
    trainExact: LossAccuracy | null;
    fields: MethodEpochFields;
    isBest: boolean;
    earlyStopping: EpochRecord['earlyStopping'];
    /** Undefined where the run keeps no ensemble (the record then has no such field). */
    ensemble: EpochRecord['ensemble'];
    moveHistogram: EpochRecord['moveHistogram'];
  },
): EpochRecord {
  const methodSpec = methodOf(plan);
  const batchNorm: EpochRecord['batchNorm'] =
    run.net.buffers.length === 0
      ? undefined
      : methodSpec.id === 'ssa' || methodSpec.id === 'sgd-sa'
        ? 'accepted-weights'
        : 'training-steps';
  return {
    type: 'epoch',
    experimentId: plan.experimentId,
    runId: plan.runId,
    method: methodSpec.id,
    label: methodLabel(methodSpec),
    model: plan.model,
    seed: plan.seed,
    epoch,
    val: r.val,
    train: r.train,
    trainExact: r.trainExact,
    counters: { seconds: (performance.now() - run.started) / 1000, ...run.counters },
    ...r.fields,
    best: r.isBest,
    ...(batchNorm ? { batchNorm } : {}),
    ...(r.ensemble !== undefined ? { ensemble: r.ensemble } : {}),
    ...(r.moveHistogram ? { moveHistogram: r.moveHistogram } : {}),
    ...(r.earlyStopping ? { earlyStopping: r.earlyStopping } : {}),
  };
}

/** Everything a resumed run needs to continue exactly after `epoch` (read back from the device). */
async function assembleCheckpoint(run: RunSession, epoch: number, record: EpochRecord): Promise<Checkpoint> {
  const methodState = await run.method.saveState();
  const snapshots = await run.ensemble?.saved(saveTensors);
  return {
    state: {
      epoch,
      record,
      rng: Object.fromEntries([...run.streams].map(([name, r]) => [name, r.getState()])),
      counters: { ...run.counters },
      seconds: record.counters.seconds,
      best: run.best.bestState,
      minValLoss: run.best.minValLoss,
      minValLossThesis: run.best.minValLossThesis,
      method: methodState.scalars,
      ...(snapshots ? { snapshotEpochs: snapshots.epochs } : {}),
    },
    params: [
      ...(await saveTensors(run.net.params, run.params)),
      ...(await saveTensors(run.net.buffers, run.buffers)),
    ],
    bestWeights: await run.best.saved(saveTensors),
    methodTensors: methodState.tensors,
    ...(snapshots?.tensors.length ? { snapshots: snapshots.tensors } : {}),
  };
}

/** The tensors' values, read back asynchronously, under their specs' names. */
export function saveTensors(
  specs: readonly { name: string }[],
  tensors: readonly tf.Tensor[],
): Promise<SavedTensor[]> {
  return Promise.all(
    tensors.map(async (t, i) => ({
      name: specs[i]!.name,
      shape: [...t.shape],
      values: (await t.data()) as Float32Array,
    })),
  );
}

function loadTensors(saved: readonly { shape: number[]; values: Float32Array }[]): tf.Tensor[] {
  return saved.map((t) => tf.tensor(t.values, t.shape));
}
