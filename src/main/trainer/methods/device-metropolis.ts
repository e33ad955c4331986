// The Metropolis decision kept on the device (issue 6): on a GPU, reading the losses back to the
// host every minibatch stalls the device once per step. Here the decision is tensor ops, the
// weights are chosen with tf.where, and the host reads the step records once per chunk of steps
// (and at the epoch's end) to count moves, keep the acceptance probabilities and find a NaN.
//
// Same decisions as the host rule (metropolis.ts), from the same random stream: the host draws a
// uniform only for a worsening move, so the device cannot know ahead which draw a step uses. It
// gets the next CHUNK draws of a copy of the stream, and a device counter of worsening moves picks
// the one a step uses; at the flush the real stream advances by the number of worsening moves.
// The only difference left is where exp(−Δ/T) is rounded (float32 on the device, float64 on the
// host), which can change a decision whose uniform lies within ~1e-7 of its probability.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../shared/rng';
import type { ComputeCounters, MetropolisPlacement } from './method';
import type { MoveDecision, MoveStats } from './metropolis';

/** Steps between two read-backs; bounds the records held on the device. */
export const DEVICE_CHUNK = 512;

/** Per-step record columns: objective before, objective of the candidate, worsening?, taken? */
const RECORD_WIDTH = 4;

export class DeviceMetropolis {
  private uniforms: tf.Tensor1D | null = null;
  /** Worsening moves so far in this chunk: the index of the next uniform. */
  private readonly worseSoFar = tf.tidy(() => tf.variable(tf.scalar(0, 'int32'), false, undefined, 'int32'));
  private records: tf.Tensor1D[] = [];

  /**
   * Read-backs add the moves to `stats` and the taken ones to `counters.updates`. `chunk`: steps
   * between read-backs, and uniforms uploaded at a time.
   */
  constructor(
    private readonly rng: Rng,
    private readonly stats: MoveStats,
    private readonly counters: ComputeCounters,
    private readonly chunk = DEVICE_CHUNK,
  ) {}

  /**
   * The decision for one step as a bool scalar tensor: take the candidate whose objective is
   * `candidate` over the current one (`current`) at temperature `temperature`. Call inside a
   * tf.tidy; the step's record is kept until the next flush.
   */
  decide(current: tf.Scalar, candidate: tf.Scalar, temperature: number): tf.Scalar {
    // A full chunk has used every uniform on the device: read it back before the next step.
    if (this.records.length >= this.chunk) this.flush(temperature);
    if (this.uniforms === null) {
      // The draws a host run would make next, from a copy: the stream itself moves at the flush.
      const copy = Rng.fromState(this.rng.getState());
      const draws = new Float32Array(this.chunk);
      for (let i = 0; i < this.chunk; i++) draws[i] = copy.uniform();
      this.uniforms = tf.keep(tf.tensor1d(draws));
    }
    const worsening = tf.sub(candidate, current);
    // Not "≤ 0" is worsening, so a NaN objective counts as a worsening move, is rejected (u < NaN
    // is false) and is reported at the flush, as the host rule refuses it at once.
    const worse = tf.logicalNot(tf.lessEqual(worsening, 0));
    const u = tf.gather(this.uniforms, this.worseSoFar);
    const probability = tf.exp(tf.div(tf.neg(worsening), temperature));
    const taken = tf.logicalOr(tf.logicalNot(worse), tf.less(u.reshape([]), probability));
    this.worseSoFar.assign(tf.add(this.worseSoFar, tf.cast(worse, 'int32')));
    this.records.push(
      tf.keep(
        tf.stack([current, candidate, tf.cast(worse, 'float32'), tf.cast(taken, 'float32')]) as tf.Tensor1D,
      ),
    );
    return taken as tf.Scalar;
  }

  /** True when the chunk's uniforms are used up: the next decide would have to read back first. */
  get full(): boolean {
    return this.records.length >= this.chunk;
  }

  /**
   * Read the pending records (one host sync) into the move statistics and the update counter, and
   * move the random stream past the uniforms they used. Call it at the epoch's end; `temperature`
   * is the one the records were decided at (it changes only between epochs, after a flush).
   * Synchronous: for the backends that can read so (not webgpu); flushAsync reads the same.
   */
  flush(temperature: number): void {
    const all = this.takeRecords();
    if (all === null) return;
    const values = all.dataSync() as Float32Array;
    all.dispose();
    this.account(values, temperature);
  }

  /** flush, with the read-back awaited (the loop's way: webgpu cannot read synchronously). */
  async flushAsync(temperature: number): Promise<void> {
    const all = this.takeRecords();
    if (all === null) return;
    const values = (await all.data()) as Float32Array;
    all.dispose();
    this.account(values, temperature);
  }

  /** The pending records as one tensor, and the chunk's device state cleared; null if none. */
  private takeRecords(): tf.Tensor1D | null {
    if (this.records.length === 0) return null;
    const all = tf.concat(this.records);
    tf.dispose(this.records);
    this.records = [];
    tf.dispose(this.uniforms!);
    this.uniforms = null;
    tf.tidy(() => this.worseSoFar.assign(tf.scalar(0, 'int32')));
    return all;
  }

  private account(values: Float32Array, temperature: number): void {
    let taken = 0;
    let worse = 0;
    let nan = false;
    for (let i = 0; i < values.length; i += RECORD_WIDTH) {
      const worsening = values[i + 1]! - values[i]!;
      if (Number.isNaN(worsening)) nan = true;
      const isWorse = values[i + 2] === 1;
      const wasTaken = values[i + 3] === 1;
      if (isWorse) worse++;
      if (wasTaken) taken++;
      const decision: MoveDecision = !isWorse
        ? { kind: 'better', probability: null }
        : // The probability as the host rule records it: float64 from the float32 objectives.
          {
            kind: wasTaken ? 'acceptedWorse' : 'rejectedWorse',
            probability: Math.exp(-worsening / temperature),
          };
      this.stats.record(decision);
    }
    for (let i = 0; i < worse; i++) this.rng.uniform();
    this.counters.updates += taken;
    if (nan) throw new Error('the objective is NaN: the weights have diverged');
  }

  /** Drop what is pending (a cancelled epoch) and the device buffers. */
  dispose(): void {
    tf.dispose(this.records);
    this.records = [];
    if (this.uniforms) this.uniforms.dispose();
    this.uniforms = null;
    this.worseSoFar.dispose();
  }
}

/** The backends whose tensors live on a GPU: a read-back per minibatch stalls the device. */
const DEVICE_BACKENDS = new Set(['tensorflow', 'webgpu']);

/**
 * Where SSA and SGD-SA decide: on the device on the `tensorflow` and `webgpu` backends (a GPU,
 * where a read-back per minibatch stalls it), on the host on wasm and cpu (their tensors are in
 * the host's memory, a read-back is a copy of three floats, and the host rule saves the where
 * over every weight). ANNEALAB_METROPOLIS=host|device overrides, to measure one against the other.
 */
export function metropolisPlacement(
  backend: string,
  env: NodeJS.ProcessEnv = process.env,
): MetropolisPlacement {
  const override = env.ANNEALAB_METROPOLIS;
  if (override === 'host' || override === 'device') return override;
  if (override !== undefined && override !== '' && override !== 'auto') {
    throw new Error(`ANNEALAB_METROPOLIS is "${override}"; expected host, device or auto`);
  }
  return DEVICE_BACKENDS.has(backend) ? 'device' : 'host';
}
