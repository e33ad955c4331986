// The weights file (docs/weights-format.md): a network's parameters and batch-norm running
// statistics, with what it takes to rebuild the network (model id, input shape, classes) and
// where they came from. It is an Annealab tensor file (tensor-file.ts) whose header's `meta`
// follows `weightsMetaSchema`: the trainer writes a run's best weights in it, and
// `annealab runs export-weights` copies them (or a last checkpoint's) out with the run's
// identity. tfjs-free, so that a host can read and write it; `load-weights.ts` loads one into
// `buildNetwork`'s model.
import { z } from 'zod';
import { MODEL_IDS, type ModelId } from '../../shared/ids';
import type { SavedTensor } from './methods/method';
import { encodeTensorFile, readTensorFile, writeTensorFile } from './tensor-file';

export const WEIGHTS_FORMAT = 'annealab-weights';

export const weightsMetaSchema = z.object({
  format: z.literal(WEIGHTS_FORMAT),
  version: z.literal(1),
  model: z.enum(MODEL_IDS),
  /** One example's shape, NHWC without the batch axis. */
  input: z.object({
    height: z.number().int().min(1),
    width: z.number().int().min(1),
    channels: z.number().int().min(1),
  }),
  numClasses: z.number().int().min(1),
  dtype: z.literal('float32'),
  byteOrder: z.literal('little-endian'),
  /** 'best': the best-on-validation weights of a run; 'last': its last checkpoint's. */
  kind: z.enum(['best', 'last']),
  /** The epoch after which these weights were taken. */
  epoch: z.number().int().min(1).nullable(),
  /** Their validation result in the run (best weights), null when not known. */
  validation: z.object({ accuracy: z.number(), loss: z.number() }).nullable(),
  /**
   * 'included': the `buffers` group holds every running statistic of the network (none for a
   * network without batch-norm). 'not-saved': the weights come from a best-weights file written
   * before Annealab kept the statistics with them.
   */
  buffers: z.enum(['included', 'not-saved']),
  /** The run they come from; absent in the file a trainer stores beside its run. */
  run: z
    .object({
      runId: z.string(),
      experimentId: z.string(),
      experimentName: z.string(),
      method: z.string(),
      label: z.string(),
      seed: z.number().int(),
      dataset: z.string(),
    })
    .optional(),
  notes: z.array(z.string()),
});
export type WeightsMeta = z.infer<typeof weightsMetaSchema>;

export interface WeightsFile {
  meta: WeightsMeta;
  /** In the order of the network's `params` (PyTorch state_dict names, our layouts). */
  params: SavedTensor[];
  /** In the order of the network's `buffers`. */
  buffers: SavedTensor[];
}

export function writeWeightsFile(path: string, file: WeightsFile): void {
  writeTensorFile(path, weightsMetaSchema.parse(file.meta), { params: file.params, buffers: file.buffers });
}

/** The file's bytes, for a download (the `runs.exportWeights` route). */
export function encodeWeightsFile(file: WeightsFile): Buffer {
  return encodeTensorFile(weightsMetaSchema.parse(file.meta), { params: file.params, buffers: file.buffers });
}

/** A best-weights file as a run stored it: this format, or the one before it (parameters only). */
export type StoredWeights =
  | { kind: 'current'; file: WeightsFile }
  | { kind: 'legacy'; model: ModelId; epoch: number | null; params: SavedTensor[] };

/** What a best-weights file of an older version recorded: `{ epoch, model }` and the parameters. */
const legacyMetaSchema = z.object({ epoch: z.number().int().nullable(), model: z.enum(MODEL_IDS) });

export function readStoredWeights(path: string): StoredWeights {
  const { meta, groups } = readTensorFile<unknown>(path);
  const current = weightsMetaSchema.safeParse(meta);
  if (current.success) {
    return {
      kind: 'current',
      file: { meta: current.data, params: groups.params ?? [], buffers: groups.buffers ?? [] },
    };
  }
  const legacy = legacyMetaSchema.safeParse(meta);
  if (legacy.success && !(meta as { format?: unknown }).format) {
    return {
      kind: 'legacy',
      model: legacy.data.model,
      epoch: legacy.data.epoch,
      params: groups.params ?? [],
    };
  }
  const problems = current.error.issues.map((i) => `${i.path.map(String).join('.') || 'meta'}: ${i.message}`);
  throw new Error(`${path} is not an Annealab weights file (${problems.slice(0, 3).join('; ')})`);
}

/** A weights file in the current format, or why not (what a loader accepts). */
export function readWeightsFile(path: string): WeightsFile {
  const stored = readStoredWeights(path);
  if (stored.kind === 'legacy') {
    throw new Error(
      `${path} is a best-weights file of an older Annealab (no input shape in its header): ` +
        'export it with `annealab runs export-weights RUN --out FILE`, or pass loadWeights the input shape and classes',
    );
  }
  return stored.file;
}

/** Batch-norm running statistics by their PyTorch names; a checkpoint keeps them after the parameters. */
export const isBufferName = (name: string) => /(^|\.)running_(mean|var)$/.test(name);
