// 1. SGD (Algorithm 2) and 2. scheduled SGD: η multiplied by γ at each milestone epoch.
import type { LossAccuracy } from '../../../shared/records';
import type { MethodSpecOf } from '../../../shared/spec';
import type { Batch } from '../data/batches';
import { z } from 'zod';
import {
  NO_METHOD_FIELDS,
  parseScalars,
  type MethodContext,
  type MethodEpochFields,
  type MethodState,
  type TrainingMethod,
} from './method';
import { SgdStepper } from './sgd-step';

/** Learning rate in force during `epoch` (1-based): η·γ^(number of milestones before it). */
export function scheduledLr(lr: number, milestones: readonly number[], gamma: number, epoch: number): number {
  const passed = milestones.filter((m) => epoch > m).length;
  return lr * gamma ** passed;
}

/** No scalars: the rate is derived from the epoch (beginEpoch) and the buffers are tensors. */
const sgdState = z.strictObject({});

export class SgdMethod implements TrainingMethod {
  private readonly stepper: SgdStepper;
  private lr: number;

  constructor(
    ctx: MethodContext,
    private readonly spec: MethodSpecOf<'sgd'> | MethodSpecOf<'scheduled-sgd'>,
  ) {
    this.stepper = new SgdStepper(ctx, spec);
    this.lr = spec.lr;
  }

  beginEpoch(epoch: number): void {
    const s = this.spec;
    this.lr = s.id === 'scheduled-sgd' ? scheduledLr(s.lr, s.milestones, s.gamma, epoch) : s.lr;
  }

  step(batch: Batch, _step: number): void {
    this.stepper.step(batch, this.lr);
  }

  endEpoch(_epoch: number, _train: LossAccuracy): MethodEpochFields {
    return { ...NO_METHOD_FIELDS, lr: this.lr };
  }

  saveState(): MethodState {
    // The rate is derived from the epoch (beginEpoch), so the buffers are the whole state.
    return { scalars: {}, tensors: this.stepper.saveTensors() };
  }

  loadState(state: MethodState): void {
    parseScalars(sgdState, state, 'SGD');
    this.stepper.loadTensors(state.tensors);
  }

  dispose(): void {
    this.stepper.dispose();
  }
}
