// Plain (momentum) SGD with PyTorch's semantics, as restart and the SGD parity bench use it: the
// gradient step with SGD's update rule (backend/sgd-update.ts).
import type { MethodContext } from './method';
import { GradientStepper } from './gradient-step';
import { SgdRule } from './update-rules';

export interface SgdOptions {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

export class SgdStepper extends GradientStepper {
  constructor(ctx: MethodContext, options: SgdOptions) {
    super(ctx, new SgdRule(options));
  }
}
