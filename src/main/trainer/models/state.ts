// Batch-norm's running statistics in a run: the loop keeps them as variables beside the parameters
// and binds them to the network it lends the method and the evaluation. Methods decide which
// training-mode pass's statistics to keep (METHODS.md): an SGD step keeps its own; SSA and SGD-SA
// evaluate candidates with minibatch statistics and keep only those of the weights they end with.
import * as tf from '@tensorflow/tfjs-core';
import type { ApplyOptions, Network } from './network';

/** The starting values of a network's buffers (running mean 0, running variance 1). */
export function initialBuffers(net: Pick<Network, 'buffers'>): tf.Tensor[] {
  return net.buffers.map((b) => tf.fill(b.shape, b.initial));
}

/**
 * The network with `values` as its running statistics: `apply` reads them in inference mode and
 * reports their update in training mode, unless the caller passes others. A network without
 * buffers is returned as it is.
 */
export function bindBuffers(net: Network, values: readonly tf.Variable[]): Network {
  if (values.length !== net.buffers.length) {
    throw new Error(`${net.id} has ${net.buffers.length} buffers, got ${values.length} values`);
  }
  if (values.length === 0) return net;
  return {
    ...net,
    bufferValues: values,
    apply: (params, x, training, options) =>
      net.apply(params, x, training, { ...options, buffers: options?.buffers ?? values }),
  };
}

/**
 * Collects the running statistics that training-mode passes report, one slot per pass, so that a
 * method can keep the ones of the weights it accepts and drop the rest. For a network without
 * batch-norm it collects nothing and costs nothing.
 */
/** A slot, or a choice between two made on the device by a bool scalar tensor. */
export type SlotChoice = number | { if: tf.Tensor; then: SlotChoice; else: SlotChoice };

export class RunningStats {
  private readonly slots = new Map<number, tf.Tensor[]>();

  constructor(private readonly net: Network) {}

  /** True when the bound network has running statistics to maintain. */
  get active(): boolean {
    return (this.net.bufferValues?.length ?? 0) > 0;
  }

  /** Options for a training-mode pass whose updated statistics go to `slot`. */
  capture(slot: number, extra: ApplyOptions = {}): ApplyOptions {
    if (!this.active) return extra;
    return {
      ...extra,
      onRunningStats: (updated) => {
        const old = this.slots.get(slot);
        if (old) tf.dispose(old);
        this.slots.set(slot, updated);
      },
    };
  }

  /**
   * Make the chosen slot's statistics the running statistics (null: keep them as they are), drop
   * the rest. A choice may be decided on the device: `{ if, then, else }` picks with tf.where on a
   * bool scalar tensor, so that no read-back is needed to know which candidate was kept.
   */
  commit(choice: SlotChoice | null): void {
    const values = this.net.bufferValues;
    if (choice !== null && values) {
      tf.tidy(() => values.forEach((v, i) => v.assign(this.pick(choice, i))));
    }
    this.clear();
  }

  private pick(choice: SlotChoice, index: number): tf.Tensor {
    if (typeof choice !== 'number') {
      return tf.where(choice.if, this.pick(choice.then, index), this.pick(choice.else, index));
    }
    const captured = this.slots.get(choice);
    if (!captured) throw new Error(`no running statistics were captured in slot ${choice}`);
    return captured[index]!;
  }

  /** Drop whatever was captured. */
  clear(): void {
    for (const tensors of this.slots.values()) tf.dispose(tensors);
    this.slots.clear();
  }
}
