import type { MethodSpec } from '../../../shared/spec';
import type { MethodContext, TrainingMethod } from './method';
import { GradientMethod } from './gradient';
import { RestartMethod } from './restart';
import { SgdSaMethod } from './sgd-sa';
import { SsaMethod } from './ssa';

export type {
  MethodContext,
  MethodEpochFields,
  MethodState,
  SavedTensor,
  TrainingMethod,
  ComputeCounters,
  MetropolisPlacement,
} from './method';
export { metropolisPlacement } from './device-metropolis';

export function createMethod(ctx: MethodContext, spec: MethodSpec): TrainingMethod {
  switch (spec.id) {
    case 'sgd':
    case 'scheduled-sgd':
    case 'adam':
    case 'adamw':
    case 'rmsprop':
    case 'adagrad':
      return new GradientMethod(ctx, spec);
    case 'restart':
      return new RestartMethod(ctx, spec);
    case 'ssa':
      return new SsaMethod(ctx, spec);
    case 'sgd-sa':
      return new SgdSaMethod(ctx, spec);
  }
}
