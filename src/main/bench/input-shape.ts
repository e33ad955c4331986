// `--input 32x32x3`: the images' shape for `annealab bench` and scripts/gpu-check.
import type { InputShape } from '../trainer/models';

/** "32x32x3" → { height: 32, width: 32, channels: 3 }; throws saying what is wrong otherwise. */
export function parseInputShape(text: string): InputShape {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(text);
  const [height, width, channels] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  if (!m || height < 1 || width < 1 || channels < 1) {
    throw new Error(
      `--input is "${text}": give height x width x channels, e.g. 32x32x3 (CIFAR) or 28x28x1 (MNIST)`,
    );
  }
  return { height, width, channels };
}
