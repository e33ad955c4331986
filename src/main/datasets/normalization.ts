// Input normalisation as the thesis's published code does it (METHODS.md, "Normalisation"):
// pixels scaled to [0, 1], then per channel (x − mean) / std. Using the same constants keeps
// our losses comparable with the thesis's tables.
import type { Normalization } from './types';

const KNOWN: Record<string, Normalization> = {
  mnist: { mean: [0.1307], std: [0.3081] },
  fashionmnist: { mean: [0.5], std: [0.5] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261] },
  cifar100: { mean: [0.5071, 0.4865, 0.4409], std: [0.267, 0.256, 0.276] },
};

/**
 * The thesis's constants for MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100 (an imported
 * "CIFAR-10", "cifar10" or "cifar_10" counts as CIFAR-10); 0.5 / 0.5 per channel for anything
 * else, which maps [0, 1] onto [−1, 1].
 */
export function normalizationFor(id: string, channels: number): Normalization {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`channels must be a whole number >= 1, got ${channels}`);
  }
  const known = KNOWN[id.toLowerCase().replace(/[^a-z0-9]/g, '')];
  if (!known)
    return { mean: new Array<number>(channels).fill(0.5), std: new Array<number>(channels).fill(0.5) };
  // A known name with another channel count is not that dataset as the thesis used it;
  // guessing per-channel constants would silently change the comparison.
  if (known.mean.length !== channels) {
    throw new Error(
      `dataset "${id}" has ${channels} channel(s), but its normalisation constants are for ${known.mean.length}`,
    );
  }
  return { mean: [...known.mean], std: [...known.std] };
}

/** (x / 255 − mean[c]) / std[c] for every byte of HWC images, where c = index % channels. */
export function toNormalizedFloat32(images: Uint8Array, norm: Normalization, channels: number): Float32Array {
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new Error(
      `normalisation has ${norm.mean.length} mean(s) and ${norm.std.length} std(s) for ${channels} channel(s)`,
    );
  }
  if (images.length % channels !== 0) {
    throw new Error(`${images.length} bytes are not whole pixels of ${channels} channel(s)`);
  }
  // Folded into one multiply-add per byte: x · scale[c] + offset[c].
  const scale = new Float64Array(channels);
  const offset = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = 1 / (255 * norm.std[c]!);
    offset[c] = -norm.mean[c]! / norm.std[c]!;
  }
  const out = new Float32Array(images.length);
  const n = images.length;
  if (channels === 1) {
    const s = scale[0]!;
    const o = offset[0]!;
    for (let i = 0; i < n; i++) out[i] = images[i]! * s + o;
    return out;
  }
  for (let i = 0; i < n; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = images[i + c]! * scale[c]! + offset[c]!;
  }
  return out;
}
