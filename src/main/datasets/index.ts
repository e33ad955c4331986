// The datasets service: what the hosts, the CLI and the trainer import.
export type { DatasetArrays, ImageSplit, Normalization, StoredDataset } from './types';
export {
  DATASET_FILE_EXTENSION,
  DatasetFileError,
  FORMAT_VERSION,
  readDatasetFile,
  readDatasetHeader,
  writeDatasetFile,
  type DatasetFileHeader,
  type DatasetToWrite,
} from './cache-format';
export { datasetFilePath, datasetsDir, listDatasets, loadDataset } from './catalog';
export {
  BUILTIN_DATASETS,
  BUILTIN_TRAIN_COUNTS,
  FASHION_MNIST_CLASSES,
  isBuiltinDatasetId,
  type BuiltinDataset,
} from './builtin';
export { stratifiedSubset } from './subset';
export { normalizationFor, toNormalizedFloat32 } from './normalization';
