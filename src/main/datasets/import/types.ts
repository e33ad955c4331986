// What an importer hands back: the images in the cache file's layout (HWC bytes), the
// classes, the test split if the source has one, and what the metadata should say.
import type { ImageSplit } from '../types';
import type { SourceFile } from './sources';

export const IMPORT_FORMATS = ['idx', 'cifar10', 'cifar100', 'image-folder', 'csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ParsedDataset {
  format: ImportFormat;
  height: number;
  width: number;
  channels: number;
  classes: string[];
  train: ImageSplit;
  /** Null when the source has no test part: the import makes a seeded split. */
  test: ImageSplit | null;
  /** The input files the dataset was made from (for the sources list). */
  used: SourceFile[];
  /** How the data was read, for the metadata ("EMNIST images transposed", "resized to 32×32"). */
  notes: string[];
  /** True when the source's order groups classes together: the import then interleaves them. */
  sortedByClass?: boolean;
}

export interface ImporterContext {
  name: string;
  signal: AbortSignal | undefined;
  /** Items decoded so far out of the total, for the progress callback. */
  onProgress: (done: number, total: number) => void;
  resize: { height: number; width: number } | undefined;
  /** The most bytes the dataset's images may take. */
  maxBytes: number;
}
