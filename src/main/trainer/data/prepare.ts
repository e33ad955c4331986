// From a dataset in the data dir to normalised tensors on the device: the same subset for
// every run of an experiment (drawn with the dataset seed, not the run seed).
import { loadDataset, normalizationFor, stratifiedSubset, toNormalizedFloat32 } from '../../datasets';
import type { ExperimentSpec } from '../../../shared/spec';
import type { PreparedData } from '../loop';
import { uploadSplit } from './batches';

export interface PreparedDataInfo {
  trainCount: number;
  testCount: number;
  /** A requested size larger than the split, said once so the user knows. */
  notes: string[];
}

export async function prepareData(
  dataDir: string,
  dataset: ExperimentSpec['dataset'],
  onProgress?: (message: string) => void,
): Promise<{ data: PreparedData; info: PreparedDataInfo }> {
  const full = await loadDataset(dataDir, dataset.id, onProgress);
  const numClasses = full.classes.length;
  const notes: string[] = [];
  for (const [name, size, split] of [
    ['trainSize', dataset.trainSize, full.train],
    ['testSize', dataset.testSize, full.test],
  ] as const) {
    if (size !== undefined && size > split.count) {
      notes.push(`${name} ${size} is larger than the ${split.count} examples available; using all of them`);
    }
  }
  const train = stratifiedSubset(full.train, dataset.trainSize, dataset.seed, numClasses);
  const test = stratifiedSubset(full.test, dataset.testSize, dataset.seed + 1, numClasses);
  const norm = normalizationFor(full.id, full.channels);
  const shape = { height: full.height, width: full.width, channels: full.channels };
  const data: PreparedData = {
    train: uploadSplit(
      toNormalizedFloat32(train.images, norm, full.channels),
      train.labels,
      shape,
      numClasses,
    ),
    test: uploadSplit(toNormalizedFloat32(test.images, norm, full.channels), test.labels, shape, numClasses),
    input: shape,
    numClasses,
    // torchvision pads with zeros before normalising; on normalised data that is −mean/std.
    padValue: norm.mean.map((m, c) => -m / norm.std[c]!),
  };
  return { data, info: { trainCount: train.count, testCount: test.count, notes } };
}
