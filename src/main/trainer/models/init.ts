// Weight initialisation. The default follows PyTorch's layer defaults, which the thesis's
// code used: Kaiming-uniform with a = √5 for weights, i.e. U(±1/√fan_in), and biases U(±1/√fan_in).
import type { Rng } from '../../../shared/rng';
import type { ParamSpec } from './network';

export type InitScheme = 'pytorch' | 'glorot';

export function initialValues(params: readonly ParamSpec[], rng: Rng, scheme: InitScheme): Float32Array[] {
  return params.map((p) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const out = new Float32Array(size);
    if (scheme === 'glorot') {
      // Glorot-uniform weights, zero biases (Keras's defaults).
      if (p.kind === 'bias') return out;
      const limit = Math.sqrt(6 / (p.fanIn + p.fanOut));
      return rng.fillUniform(out, -limit, limit);
    }
    const bound = 1 / Math.sqrt(p.fanIn);
    return rng.fillUniform(out, -bound, bound);
  });
}
