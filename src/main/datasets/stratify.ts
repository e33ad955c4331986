// Class-stratified sampling, shared by the training-size subsets and MNIST's train/test split:
// a sample keeps the class proportions of what it is drawn from, so a 500-image subset of an
// unbalanced split is unbalanced in the same way, not by chance.
import type { Rng } from '../../shared/rng';
import type { ImageSplit } from './types';

/**
 * Splits `total` among groups in proportion to `sizes`, rounding with the largest-remainder
 * method so the parts add up to exactly `total`. Ties go to the lower group index, so the
 * result depends on nothing but the inputs.
 */
export function allocateByLargestRemainder(sizes: readonly number[], total: number): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (total > sum) throw new RangeError(`cannot take ${total} from groups holding ${sum}`);
  if (sum === 0) return sizes.map(() => 0);
  const exact = sizes.map((size) => (size * total) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((value, group) => ({ group, remainder: value - Math.floor(value) }))
    .sort((a, b) => b.remainder - a.remainder || a.group - b.group);
  for (const { group } of byRemainder) {
    if (left === 0) break;
    parts[group]! += 1;
    left -= 1;
  }
  return parts;
}

/** Indices of the examples of each class, in order. */
export function indicesByClass(labels: Uint8Array, numClasses: number): number[][] {
  const groups: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const group = groups[labels[i]!];
    if (!group)
      throw new RangeError(`label ${labels[i]} at index ${i} is out of range (${numClasses} classes)`);
    group.push(i);
  }
  return groups;
}

/**
 * Draws `size` example indices so that each class contributes in proportion to its share,
 * then shuffles them so classes are interleaved. `picked` is the sample in that shuffled
 * order; `rest` is everything else, also shuffled.
 */
export function stratifiedPick(
  labels: Uint8Array,
  numClasses: number,
  size: number,
  rng: Rng,
): { picked: Int32Array; rest: Int32Array } {
  const groups = indicesByClass(labels, numClasses);
  const quotas = allocateByLargestRemainder(
    groups.map((group) => group.length),
    size,
  );
  const chosen = new Uint8Array(labels.length);
  const picked = new Int32Array(size);
  let n = 0;
  groups.forEach((group, c) => {
    for (const position of rng.sampleWithoutReplacement(group.length, quotas[c]!)) {
      const index = group[position]!;
      chosen[index] = 1;
      picked[n++] = index;
    }
  });
  const rest = new Int32Array(labels.length - size);
  let m = 0;
  for (let i = 0; i < labels.length; i++) if (!chosen[i]) rest[m++] = i;
  rng.shuffle(picked);
  rng.shuffle(rest);
  return { picked, rest };
}

/** The examples at `indices`, in that order, copied into a new split. */
export function gatherSplit(split: ImageSplit, indices: ArrayLike<number>): ImageSplit {
  const imageBytes = split.count === 0 ? 0 : split.images.length / split.count;
  const images = new Uint8Array(indices.length * imageBytes);
  const labels = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    images.set(split.images.subarray(i * imageBytes, (i + 1) * imageBytes), k * imageBytes);
    labels[k] = split.labels[i]!;
  }
  return { images, labels, count: indices.length };
}
