// The `trainSize` / `testSize` of an experiment spec: a smaller split with the same class
// proportions, the same for every method and model run with that seed, so that a comparison
// between methods is made on identical data.
import { Rng } from '../../shared/rng';
import { gatherSplit, stratifiedPick } from './stratify';
import type { ImageSplit } from './types';

/** The stream of the run seed that picks subsets (see `Rng`: one stream per consumer). */
const SUBSET_STREAM = 'dataset-subset';

/**
 * A seeded, class-stratified subset of `split` with exactly `size` examples, in a seeded
 * shuffled order (classes interleaved). Returns `split` itself, unchanged, when `size` is
 * undefined or not smaller than it: a spec asking for more than exists gets everything, and
 * it is the caller's job to report that.
 */
export function stratifiedSubset(
  split: ImageSplit,
  size: number | undefined,
  seed: number,
  numClasses: number,
): ImageSplit {
  if (size === undefined || size >= split.count) return split;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`subset size must be a whole number >= 1, got ${size}`);
  }
  const { picked } = stratifiedPick(split.labels, numClasses, size, Rng.fromSeed(seed, SUBSET_STREAM));
  return gatherSplit(split, picked);
}
