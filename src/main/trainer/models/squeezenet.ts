// SqueezeNet 1.0 as torchvision defines it (squeezenet1_0, which the thesis's code imports):
// a 7×7/2 stem of 96 channels, eight Fire modules (1×1 squeeze, then 1×1 and 3×3 expands
// concatenated) between ceil-mode 3×3/2 max-pools, dropout 0.5, a 1×1 conv to the classes with
// ReLU, and an average pool over whatever spatial size is left: 740,554 parameters with 10 classes
// (on 32×32 and 28×28 alike: the pools take 13→6→3→1 and 11→5→2→1).
// torchvision initialises it itself: Kaiming-uniform (a = 0) convolutions, N(0, 0.01²) for the
// last one, zero biases; the `pytorch` scheme follows that.
import { defineNetwork, type Ops } from './graph';
import { ceilPoolSize, type InputShape, type InitOverride, type Network } from './network';

const ZERO: InitOverride = { dist: 'constant', value: 0 };
/** torchvision's init.kaiming_uniform_ with its defaults: U(±√(6 / fan_in)). */
const kaiming = (fanIn: number): InitOverride => ({ dist: 'uniform', bound: Math.sqrt(6 / fanIn) });

function conv<T>(o: Ops<T>, x: T, name: string, out: number, k: number, stride = 1, pad = 0): T {
  const fanIn = k * k * o.shape(x)[2]!;
  return o.relu(o.conv(x, name, { out, k, stride, pad, init: { weight: kaiming(fanIn), bias: ZERO } }));
}

function fire<T>(o: Ops<T>, x: T, name: string, squeeze: number, expand1: number, expand3: number): T {
  const s = conv(o, x, `${name}.squeeze`, squeeze, 1);
  return o.concat([
    conv(o, s, `${name}.expand1x1`, expand1, 1),
    conv(o, s, `${name}.expand3x3`, expand3, 3, 1, 1),
  ]);
}

export function squeezenet(input: InputShape, numClasses: number): Network {
  return defineNetwork('squeezenet', input, numClasses, (o, x) => {
    // A pool that would leave nothing (a 1×1 map; PyTorch fails there) is skipped, for small inputs.
    const pool = (t: typeof x) => {
      const [h, w] = o.shape(t);
      const fits = ceilPoolSize(h!, 3, 2).out > 0 && ceilPoolSize(w!, 3, 2).out > 0;
      return fits ? o.maxPool(t, { k: 3, stride: 2, ceil: true }) : t;
    };
    let t = pool(conv(o, x, 'features.0', 96, 7, 2));
    t = fire(o, t, 'features.3', 16, 64, 64);
    t = fire(o, t, 'features.4', 16, 64, 64);
    t = fire(o, t, 'features.5', 32, 128, 128);
    t = pool(t);
    t = fire(o, t, 'features.7', 32, 128, 128);
    t = fire(o, t, 'features.8', 48, 192, 192);
    t = fire(o, t, 'features.9', 48, 192, 192);
    t = fire(o, t, 'features.10', 64, 256, 256);
    t = pool(t);
    t = fire(o, t, 'features.12', 64, 256, 256);
    t = o.dropout(t, 0.5);
    const std = { dist: 'normal', std: 0.01 } as const;
    t = o.relu(o.conv(t, 'classifier.1', { out: numClasses, k: 1, init: { weight: std, bias: ZERO } }));
    return o.globalAvgPool(t);
  });
}
