// Runs an experiment's grid in trainer processes, N at a time, and writes every event to
// the store as it arrives (the host is the store's only writer). Callers watch the events.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import type { EpochRecord, RunEnvironment, RunSummary } from '../../shared/records';
import type { ExperimentSpec } from '../../shared/spec';
import type { ModelId } from '../../shared/ids';
import type { ExperimentRow, RunRow, Store } from '../store';
import { resolveBackendRequest } from '../trainer/backend/select';
import { experimentGrid } from './grid';
import { startTrainer, type TrainerHandle } from './trainer-process';

interface RunIdentity {
  experimentId: string;
  runId: string;
  method: string;
  label: string;
  model: string;
  seed: number;
}

export type RunnerEvent =
  | ({
      type: 'run-started';
      environment: RunEnvironment;
      trainCount: number;
      testCount: number;
      notes: string[];
    } & RunIdentity)
  | ({ type: 'log'; message: string } & RunIdentity)
  | ({ type: 'progress'; epoch: number; step: number; steps: number; epochs: number } & RunIdentity)
  | EpochRecord
  | ({ type: 'run-finished'; summary: RunSummary } & RunIdentity)
  | ({ type: 'run-cancelled'; summary: RunSummary | null } & RunIdentity)
  | ({ type: 'run-failed'; reason: string } & RunIdentity)
  | {
      type: 'experiment-finished';
      experimentId: string;
      name: string;
      finished: number;
      failed: number;
      cancelled: number;
    };

export interface RunnerOptions {
  dataDir: string;
  /** Parallel trainer processes; default: one per core on wasm/cpu, one per GPU on tensorflow. */
  concurrency?: number;
  /** --backend flag (takes precedence over ANNEALAB_BACKEND and the spec). */
  backendFlag?: string;
  /** Stop the experiment: running runs are cancelled within one minibatch, queued ones too. */
  signal?: AbortSignal;
}

/** The default number of parallel runs for a backend request. */
export function defaultConcurrency(request: ExperimentSpec['backend']): number {
  const cores = Math.max(1, availableParallelism());
  if (request === 'wasm' || request === 'cpu') return cores;
  // One GPU run at a time; with no GPU package installed, 'auto' falls back to wasm.
  return tfjsNodeGpuInstalled() ? 1 : request === 'tensorflow' ? 1 : cores;
}

function tfjsNodeGpuInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}

/** Create the experiment and its runs, then run them; resolves when every run has ended. */
export async function runExperiment(
  store: Store,
  spec: ExperimentSpec,
  options: RunnerOptions,
  onEvent: (event: RunnerEvent) => void,
): Promise<{ experiment: ExperimentRow; runs: RunRow[] }> {
  const backend = resolveBackendRequest(spec.backend === 'auto' ? null : spec.backend, options.backendFlag);
  const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency(backend.request));
  const experiment = store.db.transaction(() => {
    const e = store.experiments.insert(spec);
    store.runs.insertAll(e.id, experimentGrid(spec));
    return e;
  })();
  const queue = store.runs.forExperiment(experiment.id);
  const active = new Set<TrainerHandle>();
  const counts = { finished: 0, failed: 0, cancelled: 0 };
  const onAbort = () => active.forEach((h) => h.cancel());
  options.signal?.addEventListener('abort', onAbort);

  const runOne = async (run: RunRow): Promise<void> => {
    const id: RunIdentity = {
      experimentId: experiment.id,
      runId: run.id,
      method: run.method,
      label: run.label,
      model: run.model,
      seed: run.seed,
    };
    if (options.signal?.aborted) {
      store.runs.markEnded(run.id, 'cancelled', null, null);
      counts.cancelled++;
      onEvent({ type: 'run-cancelled', summary: null, ...id });
      return;
    }
    store.runs.markRunning(run.id);
    const handle = startTrainer(
      {
        type: 'start',
        experimentId: experiment.id,
        runId: run.id,
        spec,
        methodIndex: run.methodIndex,
        model: run.model as ModelId,
        seed: run.seed,
        dataDir: options.dataDir,
        backend,
      },
      (event) => {
        switch (event.type) {
          case 'started':
            store.runs.markStarted(run.id, event.environment, event.notes);
            onEvent({ ...id, ...event, type: 'run-started' });
            break;
          case 'log':
            onEvent({ ...id, ...event });
            break;
          case 'progress':
            onEvent({ ...id, ...event, epochs: spec.epochs });
            break;
          case 'epoch':
            store.epochs.insert(event.record);
            onEvent(event.record);
            break;
          case 'finished':
            store.runs.markEnded(run.id, 'finished', event.summary, null);
            counts.finished++;
            onEvent({ ...id, type: 'run-finished', summary: event.summary });
            break;
          case 'cancelled':
            store.runs.markEnded(run.id, 'cancelled', event.summary, null);
            counts.cancelled++;
            onEvent({ ...id, type: 'run-cancelled', summary: event.summary });
            break;
          case 'failed':
            store.runs.markEnded(run.id, 'failed', null, event.reason);
            counts.failed++;
            onEvent({ ...id, type: 'run-failed', reason: event.reason });
            break;
        }
      },
    );
    active.add(handle);
    if (options.signal?.aborted) handle.cancel();
    await handle.done;
    active.delete(handle);
  };

  let next = 0;
  const worker = async () => {
    while (next < queue.length) await runOne(queue[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  options.signal?.removeEventListener('abort', onAbort);
  onEvent({ type: 'experiment-finished', experimentId: experiment.id, name: spec.name, ...counts });
  return { experiment, runs: store.runs.forExperiment(experiment.id) };
}
