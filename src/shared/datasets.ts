// What every part of the app says about a dataset: the store's row, the import's report, the
// preview and the UI's views all extend these, so the fields are named and documented once.

/** The images and their classes: what a network and a preview need to know. */
export interface DatasetShape {
  height: number;
  width: number;
  channels: number;
  classes: string[];
  trainCount: number;
  testCount: number;
}

/** An imported dataset as recorded. */
export interface DatasetSummary extends DatasetShape {
  name: string;
  /** idx, cifar10, cifar100, image-folder or csv. */
  format: string;
  /** How train and test came about: "source" or "seeded 80/20 …". */
  split: string;
}
