// What every part of the app says about a dataset: the store's row, the import's report, the
// preview and the UI's views all extend these, so the fields are named and documented once.
import { z } from 'zod';

/** The images and their classes: what a network and a preview need to know. */
export const datasetShapeSchema = z.object({
  height: z.number().int().min(1),
  width: z.number().int().min(1),
  channels: z.number().int().min(1),
  classes: z.array(z.string()),
  trainCount: z.number().int().min(0),
  testCount: z.number().int().min(0),
});
export type DatasetShape = z.infer<typeof datasetShapeSchema>;

/** An imported dataset as recorded. */
export const datasetSummarySchema = datasetShapeSchema.extend({
  name: z.string(),
  /** idx, cifar10, cifar100, image-folder or csv. */
  format: z.string(),
  /** How train and test came about: "source" or "seeded 80/20 …". */
  split: z.string(),
});
export type DatasetSummary = z.infer<typeof datasetSummarySchema>;
