// The thesis's reduced AlexNet for CIFAR ("AlexNetReduced" in its published code): AlexNet's five
// convolutions with an 11×11/4 first layer padded by 5, three 2×2 max-pools, and a single linear
// classifier on 256 features: 2,472,266 parameters on 32×32×3 with 10 classes.
//
// Other input sizes: a max-pool whose window no longer fits the map is skipped (on 28×28 the last
// one meets a 1×1 map, where PyTorch would fail), and the classifier takes whatever the features
// flatten to (256 on 28×28 and 32×32). Flattening is channels-last, so PyTorch weights would need
// their classifier columns permuted; nothing here loads them.
import { defineNetwork, type Ops } from './graph';
import type { InputShape, Network } from './network';

/** A 2×2 max-pool, or nothing when the map is already smaller than its window. */
export function poolIfFits<T>(o: Ops<T>, x: T): T {
  const [h, w] = o.shape(x);
  return h! >= 2 && w! >= 2 ? o.maxPool(x, { k: 2 }) : x;
}

export function alexnet(input: InputShape, numClasses: number): Network {
  return defineNetwork('alexnet', input, numClasses, (o, x) => {
    let t = o.relu(o.conv(x, 'features.0', { out: 64, k: 11, stride: 4, pad: 5 }));
    t = poolIfFits(o, t);
    t = o.relu(o.conv(t, 'features.3', { out: 192, k: 5, pad: 2 }));
    t = poolIfFits(o, t);
    t = o.relu(o.conv(t, 'features.6', { out: 384, k: 3, pad: 1 }));
    t = o.relu(o.conv(t, 'features.8', { out: 256, k: 3, pad: 1 }));
    t = o.relu(o.conv(t, 'features.10', { out: 256, k: 3, pad: 1 }));
    t = poolIfFits(o, t);
    return o.dense(o.flatten(t), 'classifier', numClasses);
  });
}
