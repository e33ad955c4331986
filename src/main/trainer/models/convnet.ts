// The thesis's "LeNet-like" net: conv 32@5×5 and 64@5×5 (padding 2) each followed by 2×2
// max-pooling, a 1000-unit hidden layer, then the classes: 3,199,106 parameters on 28×28×1.
// As the published src/ConvNet.py defines it, nothing stands between the 1000-unit layer and
// the output (no ReLU): the two dense layers compose to one linear map, but their product's
// rank, initialisation and gradients are what the thesis's chapter 3 trained.
import { defineNetwork } from './graph';
import type { InputShape, Network } from './network';

export function convnet(input: InputShape, numClasses: number): Network {
  if (input.height < 4 || input.width < 4)
    throw new Error(`convnet needs inputs of at least 4×4, got ${input.height}×${input.width}`);
  return defineNetwork('convnet', input, numClasses, (o, x) => {
    let t = o.maxPool(o.relu(o.conv(x, 'conv1', { out: 32, k: 5, pad: 2 })), { k: 2 });
    t = o.maxPool(o.relu(o.conv(t, 'conv2', { out: 64, k: 5, pad: 2 })), { k: 2 });
    const hidden = o.dense(o.flatten(t), 'fc1', 1000);
    return o.dense(hidden, 'fc2', numClasses);
  });
}
