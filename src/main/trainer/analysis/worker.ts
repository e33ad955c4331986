// `annealab analyze estimate-error` in its own process (TensorFlow.js never loads in a host):
// a job as JSON in argv, one JSON line with the table on stdout, a reason on stderr and exit 1
// when it cannot.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../../shared/rng';
import type { ExperimentSpec } from '../../../shared/spec';
import type { ModelId } from '../../../shared/ids';
import type { ResolvedBackendRequest } from '../backend/backend-request';
import { initBackend } from '../backend/select';
import { disposeSplit } from '../data/batches';
import { prepareData } from '../data/prepare';
import { bindBuffers, buildNetwork } from '../models';
import { readTensorFile } from '../tensor-file';
import { estimateErrorTable } from './estimate-error';

export interface EstimateErrorJob {
  dataDir: string;
  dataset: ExperimentSpec['dataset'];
  model: ModelId;
  batchSize: number;
  seed: number;
  /** A best-weights file (parameters) or a checkpoint (parameters, then batch-norm buffers). */
  weightsPath: string;
  weightsKind: 'best' | 'last';
  batches: number[];
  trials: number;
  backend: ResolvedBackendRequest;
}

async function main(job: EstimateErrorJob): Promise<void> {
  const backend = await initBackend(job.backend);
  const { data } = await prepareData(job.dataDir, job.dataset);
  try {
    const net = buildNetwork(job.model, data.input, data.numClasses);
    const saved = readTensorFile<unknown>(job.weightsPath).groups.params ?? [];
    const expected = net.params.length + (job.weightsKind === 'last' ? net.buffers.length : 0);
    if (saved.length !== expected) {
      throw new Error(
        `${job.weightsPath} holds ${saved.length} tensors; ${job.model} needs ${expected} from a ${job.weightsKind} file`,
      );
    }
    if (job.weightsKind === 'best' && net.buffers.length > 0) {
      throw new Error(
        `${job.model} has batch-norm, and a best-weights file holds no running statistics; use --weights last (a run with a checkpoint)`,
      );
    }
    const tensors = saved.map((t) => tf.tensor(t.values, t.shape));
    const params = tensors.slice(0, net.params.length);
    const buffers = tensors.slice(net.params.length).map((t) => tf.variable(t, false));
    const bound = buffers.length ? bindBuffers(net, buffers) : net;
    const table = estimateErrorTable(bound, params, data.train, {
      batchSize: job.batchSize,
      batches: job.batches,
      trials: job.trials,
      rng: Rng.fromSeed(job.seed, 'estimate-error'),
    });
    process.stdout.write(`${JSON.stringify({ ...table, backend: backend.backend })}\n`);
    tf.dispose([...tensors, ...buffers]);
  } finally {
    disposeSplit(data.train);
    disposeSplit(data.test);
  }
}

main(JSON.parse(process.argv[2]!) as EstimateErrorJob).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
