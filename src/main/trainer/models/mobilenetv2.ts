// MobileNetV2, CIFAR variant (kuangliu/pytorch-cifar, which the thesis's code uses): stem and
// second stage at stride 1 instead of 2; inverted residual blocks of 1×1 expansion, 3×3 depthwise
// and 1×1 projection convolutions, each with batch-norm (ReLU after the first two); a residual
// connection on every stride-1 block, through a 1×1 conv with BN where the channels change;
// 1×1 conv to 1280, global average pooling, one linear layer (2,296,922 parameters on 32×32×3
// with 10 classes). The published code pools with a fixed 4×4 window, global on 32×32 and 28×28.
import { defineNetwork, type Ops } from './graph';
import type { InputShape, Network } from './network';

/** (expansion, output channels, blocks, stride of the first block). */
const CONFIG: [number, number, number, number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 1],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

function block<T>(o: Ops<T>, x: T, name: string, expansion: number, outPlanes: number, stride: number): T {
  const inPlanes = o.shape(x)[2]!;
  const planes = expansion * inPlanes;
  let out = o.conv(x, `${name}.conv1`, { out: planes, k: 1, bias: false });
  out = o.batchNorm(out, `${name}.bn1`, { relu: true });
  out = o.depthwiseConv(out, `${name}.conv2`, { k: 3, stride, pad: 1, bias: false });
  out = o.batchNorm(out, `${name}.bn2`, { relu: true });
  out = o.conv(out, `${name}.conv3`, { out: outPlanes, k: 1, bias: false });
  if (stride !== 1) return o.batchNorm(out, `${name}.bn3`);
  let shortcut = x;
  if (inPlanes !== outPlanes) {
    shortcut = o.conv(x, `${name}.shortcut.0`, { out: outPlanes, k: 1, bias: false });
    shortcut = o.batchNorm(shortcut, `${name}.shortcut.1`);
  }
  // bn3(conv3(out)) + shortcut as one operation (see resnet.ts).
  return o.batchNorm(out, `${name}.bn3`, { add: shortcut });
}

export function mobilenetv2(input: InputShape, numClasses: number): Network {
  return defineNetwork('mobilenetv2', input, numClasses, (o, x) => {
    let t = o.conv(x, 'conv1', { out: 32, k: 3, pad: 1, bias: false });
    t = o.batchNorm(t, 'bn1', { relu: true });
    let index = 0;
    for (const [expansion, outPlanes, count, stride] of CONFIG) {
      for (let b = 0; b < count; b++) {
        t = block(o, t, `layers.${index++}`, expansion, outPlanes, b === 0 ? stride : 1);
      }
    }
    t = o.conv(t, 'conv2', { out: 1280, k: 1, bias: false });
    t = o.batchNorm(t, 'bn2', { relu: true });
    return o.dense(o.globalAvgPool(t), 'linear', numClasses);
  });
}
