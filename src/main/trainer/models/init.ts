// Weight initialisation. The default follows PyTorch's layer defaults, which the thesis's
// code used: Kaiming-uniform with a = √5 for weights, i.e. U(±1/√fan_in), and biases U(±1/√fan_in);
// batch-norm's scale 1 and shift 0. A definition that initialises itself (torchvision's SqueezeNet)
// says so per parameter (`pytorchInit`). Glorot is Keras's default: Glorot-uniform weights, zero
// biases, and batch-norm's scale 1 and shift 0 as well.
import type { Rng } from '../../../shared/rng';
import type { ParamSpec } from './network';

export type InitScheme = 'pytorch' | 'glorot';

export function initialValues(params: readonly ParamSpec[], rng: Rng, scheme: InitScheme): Float32Array[] {
  return params.map((p) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(size);
    // Batch-norm draws nothing, so adding it to a network does not shift the other layers' draws.
    if (p.kind === 'gamma') return out.fill(1);
    if (p.kind === 'beta') return out;
    if (scheme === 'glorot') {
      if (p.kind === 'bias') return out;
      const limit = Math.sqrt(6 / (p.fanIn + p.fanOut));
      return rng.fillUniform(out, -limit, limit);
    }
    const own = p.pytorchInit;
    if (own?.dist === 'constant') return out.fill(own.value);
    if (own?.dist === 'normal') return rng.fillNormal(out, own.std);
    const bound = own?.dist === 'uniform' ? own.bound : 1 / Math.sqrt(p.fanIn);
    return rng.fillUniform(out, -bound, bound);
  });
}
