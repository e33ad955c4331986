// ResNet18/34, CIFAR variant (kuangliu/pytorch-cifar, which the thesis's code uses): a 3×3/1
// stem of 64 channels without max-pool, four stages of BasicBlocks (conv-BN-ReLU-conv-BN plus a
// shortcut, a 1×1/s conv with BN where the shape changes), global average pooling, one linear
// layer: 11,173,962 / 21,282,122 parameters on 32×32×3 with 10 classes.
//
// The published code pools with a fixed 4×4 window, which is global on 32×32 and 28×28 inputs;
// pooling globally keeps other input sizes working too.
import { defineNetwork, type Ops } from './graph';
import type { InputShape, Network } from './network';

function basicBlock<T>(o: Ops<T>, x: T, name: string, planes: number, stride: number): T {
  const inPlanes = o.shape(x)[2]!;
  let out = o.conv(x, `${name}.conv1`, { out: planes, k: 3, stride, pad: 1, bias: false });
  out = o.batchNorm(out, `${name}.bn1`, { relu: true });
  out = o.conv(out, `${name}.conv2`, { out: planes, k: 3, pad: 1, bias: false });
  let shortcut = x;
  if (stride !== 1 || inPlanes !== planes) {
    shortcut = o.conv(x, `${name}.shortcut.0`, { out: planes, k: 1, stride, bias: false });
    shortcut = o.batchNorm(shortcut, `${name}.shortcut.1`);
  }
  // relu(bn2(conv2(out)) + shortcut) as one operation, so the shortcut comes first and bn2's
  // parameters follow it in the list (batch-norm draws nothing: the initial weights are PyTorch's order).
  return o.batchNorm(out, `${name}.bn2`, { add: shortcut, relu: true });
}

export function resnet(id: 'resnet18' | 'resnet34', blocks: [number, number, number, number]) {
  return (input: InputShape, numClasses: number): Network =>
    defineNetwork(id, input, numClasses, (o, x) => {
      let t = o.conv(x, 'conv1', { out: 64, k: 3, pad: 1, bias: false });
      t = o.batchNorm(t, 'bn1', { relu: true });
      const planes = [64, 128, 256, 512];
      blocks.forEach((count, stage) => {
        for (let b = 0; b < count; b++) {
          const stride = stage > 0 && b === 0 ? 2 : 1;
          t = basicBlock(o, t, `layer${stage + 1}.${b}`, planes[stage]!, stride);
        }
      });
      return o.dense(o.globalAvgPool(t), 'linear', numClasses);
    });
}
