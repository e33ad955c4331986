// What every part of the app says about an imported dataset: the store's row, the import's
// report and the UI's views all extend this, so the fields are named and documented once.

export interface DatasetSummary {
  name: string;
  /** idx, cifar10, cifar100, image-folder or csv. */
  format: string;
  height: number;
  width: number;
  channels: number;
  classes: string[];
  trainCount: number;
  testCount: number;
  /** How train and test came about: "source" or "seeded 80/20 …". */
  split: string;
}
