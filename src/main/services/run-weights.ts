// A run's weights out of the data dir: its best weights (or its last checkpoint's) in the
// weights format (docs/weights-format.md), with the batch-norm running statistics and the run's
// identity, written to a file (`annealab runs export-weights`) or as a download (the
// `runs.exportWeights` route). Both go through `runWeights`, so they refuse the same things.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ContractError, type ExportFile } from '../../shared/contract';
import type { ModelId } from '../../shared/ids';
import type { ExperimentRow, RunRow, Store } from '../store';
import { latestCheckpointPath, readCheckpoint } from '../trainer/checkpoint';
import {
  encodeWeightsFile,
  isBufferName,
  readStoredWeights,
  writeWeightsFile,
  type WeightsFile,
  type WeightsMeta,
} from '../trainer/weights-file';
import { datasetDescription } from './datasets';
import { findExperiment } from './experiments';
import { findRun } from './runs';

/** What `exportWeights` wrote. */
export interface WeightsExport {
  path: string;
  runId: string;
  kind: WeightsMeta['kind'];
  model: string;
  epoch: number | null;
  validation: WeightsMeta['validation'];
  buffers: WeightsMeta['buffers'];
  tensors: number;
  notes: string[];
}

/**
 * Write a run's best weights (or, with `last`, its last checkpoint's) to `out` in the weights
 * format (docs/weights-format.md), with the batch-norm running statistics and the run's
 * identity. Refused, with nothing written: an unknown or ambiguous run, a run without such
 * weights (yet), an `out` whose folder does not exist or that is a folder.
 */
export async function exportWeights(
  store: Store,
  dataDir: string,
  key: string,
  options: { out: string; last?: boolean },
): Promise<WeightsExport> {
  const out = resolve(options.out);
  checkOutPath(out);
  const { file, run } = await runWeights(store, dataDir, key, Boolean(options.last));
  writeWeightsFile(out, file);
  const { meta } = file;
  return {
    path: out,
    runId: run.id,
    kind: meta.kind,
    model: meta.model,
    epoch: meta.epoch,
    validation: meta.validation,
    buffers: meta.buffers,
    tensors: file.params.length + file.buffers.length,
    notes: meta.notes,
  };
}

/** The same file as `exportWeights` writes, as a download (the `runs.exportWeights` route). */
export async function weightsDownload(
  store: Store,
  dataDir: string,
  key: string,
  options: { last: boolean },
): Promise<ExportFile> {
  const { file, run } = await runWeights(store, dataDir, key, options.last);
  return {
    filename: `${run.model}-seed${run.seed}-${run.id.slice(0, 8)}-${file.meta.kind}.weights`,
    mime: 'application/octet-stream',
    content: encodeWeightsFile(file).toString('base64'),
    encoding: 'base64',
  };
}

/** A run's best (or last checkpoint's) weights in the weights format, with its identity. */
async function runWeights(
  store: Store,
  dataDir: string,
  key: string,
  last: boolean,
): Promise<{ file: WeightsFile; run: RunRow }> {
  const run = findRun(store, key);
  const experiment = findExperiment(store, run.experimentId);
  const file = last
    ? await lastCheckpointWeights(store, dataDir, run, experiment)
    : await bestWeights(store, dataDir, run, experiment);
  file.meta.run = {
    runId: run.id,
    experimentId: experiment.id,
    experimentName: experiment.name,
    method: run.method,
    label: run.label,
    seed: run.seed,
    dataset: experiment.spec.dataset.id,
  };
  return { file, run };
}

function checkOutPath(out: string): void {
  const folder = dirname(out);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new ContractError(
      `the folder ${folder} does not exist: create it, or choose another --out`,
      'bad-input',
    );
  }
  if (existsSync(out) && statSync(out).isDirectory()) {
    throw new ContractError(
      `${out} is a folder: name a file to write, e.g. ${join(out, 'weights.bin')}`,
      'bad-input',
    );
  }
}

async function bestWeights(
  store: Store,
  dataDir: string,
  run: RunRow,
  experiment: ExperimentRow,
): Promise<WeightsFile> {
  const relative = run.summary?.bestWeightsPath;
  const path = relative ? join(dataDir, relative) : null;
  if (!path || !existsSync(path)) {
    const why = relative
      ? `its file ${relative} is missing from the data dir`
      : run.status === 'running' || run.status === 'queued'
        ? `it is ${run.status} (they are written when it ends)${run.checkpointEpoch ? '; --last exports its last checkpoint' : ''}`
        : `it ${run.status === 'failed' ? 'failed' : `is ${run.status}`} before any were saved${run.checkpointEpoch ? '; --last exports its last checkpoint' : ''}`;
    throw new ContractError(`run ${run.id} has no best weights: ${why}`, 'not-found');
  }
  const stored = readStoredWeights(path);
  if (stored.kind === 'current')
    return { ...stored.file, meta: { ...stored.file.meta, notes: [...stored.file.meta.notes] } };
  // A file of an older version: parameters only, and no input shape; the run's dataset has it.
  const shape = await datasetShape(store, dataDir, experiment);
  const best = run.summary?.bestValAccuracy ?? null;
  return {
    meta: {
      ...baseMeta(run.model as ModelId, shape),
      kind: 'best',
      epoch: stored.epoch,
      validation: null,
      buffers: 'not-saved',
      notes: [
        `the best weights were stored by an older Annealab without batch-norm running statistics` +
          (best !== null ? ` (recorded best validation accuracy ${best})` : '') +
          ': a batch-norm network loaded from this file normalises with the initial statistics',
      ],
    },
    params: stored.params,
    buffers: [],
  };
}

async function lastCheckpointWeights(
  store: Store,
  dataDir: string,
  run: RunRow,
  experiment: ExperimentRow,
): Promise<WeightsFile> {
  const path = latestCheckpointPath(dataDir, run.id);
  if (!path || !existsSync(path)) {
    throw new ContractError(
      `run ${run.id} has no last checkpoint: ${
        run.status === 'finished'
          ? 'a finished run keeps only its best weights (export those without --last)'
          : `it is ${run.status} and has completed no epoch`
      }`,
      'not-found',
    );
  }
  const checkpoint = readCheckpoint(path);
  const shape = await datasetShape(store, dataDir, experiment);
  const val = checkpoint.state.record.val;
  return {
    meta: {
      ...baseMeta(run.model as ModelId, shape),
      kind: 'last',
      epoch: checkpoint.state.epoch,
      validation: { accuracy: val.accuracy, loss: val.loss },
      buffers: 'included',
      notes: [],
    },
    // A checkpoint keeps the parameters, then the running statistics.
    params: checkpoint.params.filter((t) => !isBufferName(t.name)),
    buffers: checkpoint.params.filter((t) => isBufferName(t.name)),
  };
}

function baseMeta(
  model: ModelId,
  shape: { height: number; width: number; channels: number; classes: string[] },
) {
  return {
    format: 'annealab-weights' as const,
    version: 1 as const,
    model,
    input: { height: shape.height, width: shape.width, channels: shape.channels },
    numClasses: shape.classes.length,
    dtype: 'float32' as const,
    byteOrder: 'little-endian' as const,
  };
}

async function datasetShape(store: Store, dataDir: string, experiment: ExperimentRow) {
  return datasetDescription(dataDir, store, experiment.spec.dataset.id);
}
