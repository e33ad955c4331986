// The gradient methods: 1. SGD (Algorithm 2), 2. scheduled SGD (η·γ at each milestone), and the
// adaptive baselines Adam, AdamW, RMSprop and Adagrad with PyTorch's semantics and defaults. One
// gradient step per minibatch with the method's update rule, at the rate its schedule gives the
// epoch. State: the rule's buffers (tensors) and step count; the rate is derived from the epoch.
import type { LossAccuracy } from '../../../shared/records';
import type { MethodId } from '../../../shared/ids';
import type { Batch } from '../data/batches';
import {
  NO_METHOD_FIELDS,
  parseScalars,
  type MethodContext,
  type MethodEpochFields,
  type MethodState,
  type TrainingMethod,
} from './method';
import { GradientStepper } from './gradient-step';
import { epochLr } from './schedule';
import { updateRuleFor, type GradientSpec } from './update-rules';

/** How a checkpoint error names the method. */
const NAMES: Partial<Record<MethodId, string>> = {
  sgd: 'SGD',
  'scheduled-sgd': 'SGD',
  adam: 'Adam',
  adamw: 'AdamW',
  rmsprop: 'RMSprop',
  adagrad: 'Adagrad',
};

export class GradientMethod implements TrainingMethod {
  readonly stepper: GradientStepper;
  private lr: number;

  constructor(
    ctx: MethodContext,
    private readonly spec: GradientSpec,
  ) {
    this.stepper = new GradientStepper(ctx, updateRuleFor(spec));
    this.lr = spec.lr;
  }

  beginEpoch(epoch: number): void {
    this.lr = epochLr(this.spec, epoch);
  }

  step(batch: Batch, _step: number): void {
    this.stepper.step(batch, this.lr);
  }

  endEpoch(_epoch: number, _train: LossAccuracy): MethodEpochFields {
    return { ...NO_METHOD_FIELDS, lr: this.lr };
  }

  async saveState(): Promise<MethodState> {
    const { rule } = this.stepper;
    return { scalars: rule.saveScalars(), tensors: await rule.saveTensors() };
  }

  loadState(state: MethodState): void {
    const { rule } = this.stepper;
    rule.loadScalars(parseScalars(rule.scalarSchema, state, NAMES[this.spec.id]!));
    this.stepper.loadTensors(state.tensors);
  }

  dispose(): void {
    this.stepper.dispose();
  }
}
