// The in-memory shape of an image-classification dataset, shared by the cache file, the
// catalog, the subset picker and the trainer's data pipeline.

/** One split: `count` images of H×W×C bytes each, in HWC order, back to back, and their labels. */
export interface ImageSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface DatasetArrays {
  id: string;
  height: number;
  width: number;
  channels: number;
  /** Class names; a label is an index into this list. */
  classes: string[];
  train: ImageSplit;
  test: ImageSplit;
}

/** A dataset as a cache file holds it: the arrays plus where they came from. */
export interface StoredDataset extends DatasetArrays {
  /** Human-readable provenance: package and version, how the split was made. */
  source: string;
  /** ISO 8601 time the file was written. */
  createdAt: string;
}

/** Per channel, on pixels scaled to [0, 1]: x' = (x − mean[c]) / std[c]. */
export interface Normalization {
  mean: number[];
  std: number[];
}
