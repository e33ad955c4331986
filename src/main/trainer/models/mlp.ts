// One hidden layer of ReLU units (128 in the published code).
import { defineNetwork } from './graph';
import type { InputShape, Network } from './network';

export function mlp(input: InputShape, numClasses: number, hidden = 128): Network {
  return defineNetwork('mlp', input, numClasses, (o, x) => {
    const h = o.relu(o.dense(o.flatten(x), 'fc1', hidden));
    return o.dense(h, 'fc2', numClasses);
  });
}
