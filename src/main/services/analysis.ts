// Analyses of a finished (or checkpointed) run from its saved weights, each computed in its own
// process so that TensorFlow.js never loads in a host: the training-loss estimate's error
// against the number of minibatches (the thesis's Table 2.1, Fig. 2.4).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ContractError } from '../../shared/contract';
import type { EstimateErrorTable } from '../../shared/estimate-error';
import type { Store } from '../store';
import { resolveBackendRequest } from '../trainer/backend/backend-request';
import { latestCheckpointPath } from '../trainer/checkpoint';
import { nodeBuildFile } from './app-root';
import { findExperiment } from './experiments';
import { findRun } from './runs';

export const MAX_ESTIMATE_BATCHES = 1000;
export const MAX_TRIALS = 10_000;

export interface EstimateErrorRequest {
  batches: number[];
  trials: number;
  /** `best`: the best-on-validation weights; `last`: the last checkpoint; `auto`: best, else last. */
  weights: 'best' | 'last' | 'auto';
  backend?: string;
}

export interface EstimateErrorResult extends EstimateErrorTable {
  runId: string;
  label: string;
  model: string;
  seed: number;
  dataset: string;
  weights: 'best' | 'last';
  backend: string;
}

/**
 * "1..10", "1,2,5", "3" or a mix ("1..3,8") as a sorted list of distinct whole numbers of
 * minibatches; throws with what is expected.
 */
export function parseBatchList(text: string): number[] {
  const bad = () =>
    new ContractError(
      `--batches ${JSON.stringify(text)}: give whole numbers from 1 to ${MAX_ESTIMATE_BATCHES} as a range or a list, e.g. 1..10 or 1,2,5,10`,
      'bad-input',
    );
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw bad();
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from || to > MAX_ESTIMATE_BATCHES) throw bad();
    for (let k = from; k <= to; k++) out.add(k);
  }
  return [...out].sort((a, b) => a - b);
}

export async function estimateError(
  store: Store,
  dataDir: string,
  key: string,
  request: EstimateErrorRequest,
): Promise<EstimateErrorResult> {
  if (!Number.isInteger(request.trials) || request.trials < 1 || request.trials > MAX_TRIALS)
    throw new ContractError(`--trials must be a whole number from 1 to ${MAX_TRIALS}`, 'bad-input');
  if (request.batches.length === 0)
    throw new ContractError('give at least one number of minibatches', 'bad-input');
  const run = findRun(store, key);
  const experiment = findExperiment(store, run.experimentId);
  const best = run.summary?.bestWeightsPath;
  const bestPath = best ? (isAbsolute(best) ? best : join(dataDir, best)) : null;
  const lastPath = latestCheckpointPath(dataDir, run.id);
  const choice =
    request.weights === 'best' || (request.weights === 'auto' && bestPath && existsSync(bestPath))
      ? { kind: 'best' as const, path: bestPath }
      : { kind: 'last' as const, path: lastPath };
  if (!choice.path || !existsSync(choice.path)) {
    throw new ContractError(
      `run ${run.id.slice(0, 8)} has no ${choice.kind === 'best' ? 'best-weights file' : 'checkpoint'} ` +
        `(it is ${run.status}${run.status === 'finished' ? '' : '; a finished run has its best weights'}); ` +
        (choice.kind === 'best' ? 'try --weights last, or ' : '') +
        'analyse a run that has finished',
      'not-found',
    );
  }
  const job = {
    dataDir,
    dataset: experiment.spec.dataset,
    model: run.model,
    batchSize: experiment.spec.batchSize,
    seed: run.seed,
    weightsPath: choice.path,
    weightsKind: choice.kind,
    batches: request.batches,
    trials: request.trials,
    backend: resolveBackendRequest(experiment.spec.backend, request.backend),
  };
  const table = await runWorker(job);
  return {
    runId: run.id,
    label: run.label,
    model: run.model,
    seed: run.seed,
    dataset: experiment.spec.dataset.id,
    weights: choice.kind,
    ...table,
  };
}

function runWorker(
  job: unknown,
): Promise<Omit<EstimateErrorResult, 'runId' | 'label' | 'model' | 'seed' | 'dataset' | 'weights'>> {
  return new Promise((resolve, reject) => {
    // The worker is built with the CLI and the trainer (scripts/build-node.mjs), run by plain node.
    const node = process.versions.electron ? 'node' : process.execPath;
    const child = spawn(node, [nodeBuildFile('analysis-worker.mjs'), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as never);
      else {
        const why = err
          .trim()
          .split('\n')
          .filter((l) => !/tfjs-node|={5,}|^Hi, looks like/.test(l))
          .slice(-3)
          .join(' ');
        reject(new ContractError(`the analysis could not run: ${why || `exit ${code}`}`, 'conflict'));
      }
    });
  });
}
