// VGG11/16/19 as the thesis's code defines them for CIFAR: 3×3 convolutions (padding 1, with bias)
// and ReLU, 2×2 max-pools, one linear classifier on 512 features. No batch-norm (9,225,610 /
// 14,719,818 / 20,029,514 parameters on 32×32×3 with 10 classes); the `-bn` variants put a
// BatchNorm2d between each convolution and its ReLU, as kuangliu/pytorch-cifar does.
//
// Other input sizes: a max-pool whose window no longer fits the map is skipped, which on 28×28
// drops the last one (28→14→7→3→1), as the thesis's Fashion-MNIST VGG16 did; the classifier takes
// whatever the features flatten to (512 on 28×28 and 32×32).
import { poolIfFits } from './alexnet';
import { defineNetwork } from './graph';
import type { InputShape, Network } from './network';

type Layer = number | 'M';

const CONFIGS = {
  vgg11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  vgg16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  vgg19: [
    64,
    64,
    'M',
    128,
    128,
    'M',
    256,
    256,
    256,
    256,
    'M',
    512,
    512,
    512,
    512,
    'M',
    512,
    512,
    512,
    512,
    'M',
  ],
} satisfies Record<string, Layer[]>;

export type VggDepth = keyof typeof CONFIGS;

export function vgg(depth: VggDepth, batchNorm: boolean) {
  const id = batchNorm ? `${depth}-bn` : depth;
  return (input: InputShape, numClasses: number): Network =>
    defineNetwork(id, input, numClasses, (o, x) => {
      let t = x;
      // Indices as in PyTorch's nn.Sequential, so parameter names match a state_dict.
      let index = 0;
      for (const layer of CONFIGS[depth] as Layer[]) {
        if (layer === 'M') {
          t = poolIfFits(o, t);
          index += 1;
          continue;
        }
        t = o.conv(t, `features.${index}`, { out: layer, k: 3, pad: 1 });
        t = batchNorm ? o.batchNorm(t, `features.${index + 1}`, { relu: true }) : o.relu(t);
        index += batchNorm ? 3 : 2;
      }
      return o.dense(o.flatten(t), 'classifier', numClasses);
    });
}
