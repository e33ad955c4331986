// LeNet-5 as the published code defines it: conv 6@5×5, pool, conv 16@5×5, pool, 120, 84, classes;
// ReLU and max-pooling. On 28×28 input it flattens 16×4×4 = 256 features (44,426 parameters).
import { defineNetwork } from './graph';
import { outSize, type InputShape, type Network } from './network';

export function lenet5(input: InputShape, numClasses: number): Network {
  const side = (n: number) => Math.floor(outSize(Math.floor(outSize(n, 5, 1, 0) / 2), 5, 1, 0) / 2);
  if (side(input.height) < 1 || side(input.width) < 1)
    throw new Error(`lenet5 needs inputs of at least 16×16, got ${input.height}×${input.width}`);
  return defineNetwork('lenet5', input, numClasses, (o, x) => {
    let h = o.maxPool(o.relu(o.conv(x, 'conv1', { out: 6, k: 5 })), { k: 2 });
    h = o.maxPool(o.relu(o.conv(h, 'conv2', { out: 16, k: 5 })), { k: 2 });
    let f = o.flatten(h);
    f = o.relu(o.dense(f, 'fc1', 120));
    f = o.relu(o.dense(f, 'fc2', 84));
    return o.dense(f, 'fc3', numClasses);
  });
}
