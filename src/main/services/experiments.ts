// Experiments: validating a spec against the datasets this data dir has, submitting it with its
// grid of queued runs, finding one by id or name, and the summaries the Experiments view lists.
import {
  ContractError,
  type Deletion,
  type ExperimentDetail,
  type ExperimentRename,
  type ExperimentSummary,
  type ValidationResult,
} from '../../shared/contract';
import type { RunnerEvent } from '../../shared/events';
import { RUN_STATUSES, type RunStatus } from '../../shared/results';
import {
  methodLabel,
  specSchema,
  validateSpec,
  type ExperimentSpec,
  type SpecResult,
} from '../../shared/spec';
import {
  BUILTIN_TRAIN_COUNTS,
  datasetFilePath,
  isBuiltinDatasetId,
  listDatasets,
  readDatasetHeader,
} from '../datasets';
import type { ExperimentRow, RunRow, Store } from '../store';
import { deleteRuns, type DeleteOptions } from './deletion';
import { experimentGrid } from './grid';
import { withLiveStatus } from './live-status';

export type ExperimentFinished = Extract<RunnerEvent, { type: 'experiment-finished' }>;

export interface ValidateOptions {
  /** More than MAX_RUNS_PER_SPEC runs are meant (the CLI's `--allow-large`). */
  allowLarge?: boolean;
}

/**
 * Validate a spec (any JSON) against the schema and the datasets in `dataDir`, including its
 * batch size against the size of the dataset's training split.
 */
export async function validateExperiment(
  dataDir: string,
  spec: unknown,
  options: ValidateOptions = {},
): Promise<SpecResult> {
  const datasets = await listDatasets(dataDir);
  const id = (spec as { dataset?: { id?: unknown } } | null)?.dataset?.id;
  const trainCounts: Record<string, number> = {};
  if (typeof id === 'string' && datasets.includes(id)) {
    const count = await trainCount(dataDir, id);
    if (count !== undefined) trainCounts[id] = count;
  }
  return validateSpec(spec, { datasets, trainCounts, allowLarge: options.allowLarge });
}

/** The built-ins' from their converters' constants, an imported dataset's from its file's header. */
async function trainCount(dataDir: string, id: string): Promise<number | undefined> {
  if (isBuiltinDatasetId(id)) return BUILTIN_TRAIN_COUNTS[id];
  try {
    return (await readDatasetHeader(datasetFilePath(dataDir, id))).trainCount;
  } catch {
    // An unreadable file is reported when a run loads it, with its reason; not a spec problem.
    return undefined;
  }
}

export async function checkExperiment(dataDir: string, spec: unknown): Promise<ValidationResult> {
  const result = await validateExperiment(dataDir, spec);
  return result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems };
}

/** The experiment's row and its whole grid of queued runs, in one transaction. */
export function submitExperiment(
  store: Store,
  spec: ExperimentSpec,
): { experiment: ExperimentRow; runs: RunRow[] } {
  return store.transaction(() => {
    const experiment = store.experiments.insert(spec);
    const runs = store.runs.insertAll(experiment.id, experimentGrid(spec));
    return { experiment, runs };
  });
}

/** Validate, then submit; an invalid spec is refused with every problem by path. */
export async function submitSpec(
  store: Store,
  dataDir: string,
  spec: unknown,
): Promise<{ experiment: ExperimentRow; runs: RunRow[] }> {
  const result = await validateExperiment(dataDir, spec);
  if (!result.ok) {
    throw new ContractError(
      `not a valid experiment spec: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      'bad-input',
      result.problems,
    );
  }
  return submitExperiment(store, result.spec);
}

/**
 * An experiment by its id, its name, or a unique prefix of its id (as git takes commits), in
 * that order. Names need not be unique: a name that several experiments share is refused with
 * the candidates listed, each with its id and date, so the user can pick one by id.
 */
export function findExperiment(store: Store, key: string): ExperimentRow {
  const byId = store.experiments.get(key);
  if (byId) return byId;
  const named = store.experiments.named(key);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw ambiguous(store, `"${key}" names ${named.length} experiments`, named);
  const prefixed = store.experiments.withIdPrefix(key);
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1)
    throw ambiguous(store, `"${key}" begins the ids of ${prefixed.length} or more experiments`, prefixed);
  throw new ContractError(`no experiment "${key}"`, 'not-found');
}

function ambiguous(store: Store, what: string, candidates: readonly ExperimentRow[]): ContractError {
  const lines = candidates.map(
    (e) =>
      `  ${e.id.slice(0, 8)}  ${e.createdAt.slice(0, 16).replace('T', ' ')}  ${String(store.runs.forExperiment(e.id).length).padStart(4)} runs  ${e.name}`,
  );
  return new ContractError(
    `${what}; give one's id or a unique prefix of it:\n${lines.join('\n')}`,
    'bad-input',
  );
}

/** One experiment as `experiments show` prints it: what it is for, its tags, its runs. */
export function experimentDetail(store: Store, key: string): ExperimentDetail {
  const e = findExperiment(store, key);
  const runs = store.runs.forExperiment(e.id);
  const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
  for (const r of runs) counts[r.status]++;
  return {
    id: e.id,
    name: e.name,
    description: e.spec.description ?? null,
    tags: e.spec.tags ?? [],
    createdAt: e.createdAt,
    dataset: e.spec.dataset.id,
    models: [...e.spec.models],
    methods: e.spec.methods.map((m) => methodLabel(m)),
    seeds: [...e.spec.seeds],
    epochs: e.spec.epochs,
    counts,
    runs: runs.map((r) => {
      const epochs = store.epochs.forRun(r.id);
      return {
        id: r.id,
        label: r.label,
        model: r.model,
        seed: r.seed,
        status: r.status,
        bestValAccuracy: epochs.length ? Math.max(...epochs.map((x) => x.val.accuracy)) : null,
        seconds: epochs.at(-1)?.counters.seconds ?? null,
      };
    }),
    spec: e.spec as unknown as Record<string, unknown>,
  };
}

/** A new name, bounded as a spec's name is; the id stays, so ids and prefixes keep working. */
export function renameExperiment(store: Store, key: string, name: string): ExperimentRename {
  const problem = validateName(name);
  if (problem) throw new ContractError(`cannot rename to ${JSON.stringify(name)}: ${problem}`, 'bad-input');
  const e = findExperiment(store, key);
  store.experiments.rename(e.id, name);
  return { id: e.id, from: e.name, to: name };
}

function validateName(name: string): string | null {
  const r = specSchema.shape.name.safeParse(name);
  return r.success ? null : r.error.issues[0]!.message;
}

/**
 * Delete an experiment: its row, its runs and their epochs, and every run's files (checkpoints,
 * best weights). Refused, changing nothing, while a run of it is running, unless `cancel`.
 */
export function deleteExperiment(
  store: Store,
  dataDir: string,
  key: string,
  options: DeleteOptions = {},
): Promise<Deletion> {
  const e = findExperiment(store, key);
  const runIds = store.runs.forExperiment(e.id).map((r) => r.id);
  return deleteRuns(store, dataDir, e, runIds, {
    ...options,
    whole: true,
    what: `experiment "${e.name}" (${e.id.slice(0, 8)})`,
  });
}

/** Experiments carrying `tag` (all of them without one), newest first, as the list shows them. */
export function experimentSummariesTagged(store: Store, tag?: string): ExperimentSummary[] {
  const all = experimentSummaries(store);
  return tag === undefined ? all : all.filter((e) => (e.spec.tags ?? []).includes(tag));
}

/** The event that ends an experiment once none of its runs is queued or running; null before. */
export function experimentFinished(store: Store, experimentId: string): ExperimentFinished | null {
  const runs = store.runs.forExperiment(experimentId);
  if (runs.some((r) => r.status === 'queued' || r.status === 'running')) return null;
  const count = (s: RunRow['status']) => runs.filter((r) => r.status === s).length;
  return {
    type: 'experiment-finished',
    experimentId,
    name: store.experiments.get(experimentId)?.name ?? '?',
    finished: count('finished'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    interrupted: count('interrupted'),
  };
}

/** Every experiment, newest first, with run counts by status, progress and its best method. */
export function experimentSummaries(store: Store): ExperimentSummary[] {
  const counts = store.epochs.countsByRun();
  return store.experiments.list().map((e) => {
    const runs = withLiveStatus(store, store.runs.forExperiment(e.id));
    const byStatus = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
    for (const r of runs) byStatus[r.status]++;
    const planned = runs.length * e.spec.epochs;
    const done = runs.reduce(
      (sum, r) =>
        sum + (r.status === 'finished' ? e.spec.epochs : Math.min(counts.get(r.id) ?? 0, e.spec.epochs)),
      0,
    );
    const present = RUN_STATUSES.filter((s) => byStatus[s] > 0);
    const status: ExperimentSummary['status'] =
      byStatus.running > 0
        ? 'running'
        : present.length === 1
          ? present[0]!
          : byStatus.queued > 0
            ? 'queued'
            : 'mixed';
    const byLabel = new Map<string, number[]>();
    for (const r of runs) {
      const acc = r.status === 'finished' ? r.summary?.bestValAccuracy : null;
      if (acc == null) continue;
      byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), acc]);
    }
    let best: ExperimentSummary['best'] = null;
    for (const [label, accs] of byLabel) {
      const accuracy = accs.reduce((a, b) => a + b, 0) / accs.length;
      if (!best || accuracy > best.accuracy) best = { label, accuracy, runs: accs.length };
    }
    return {
      id: e.id,
      name: e.name,
      createdAt: e.createdAt,
      spec: e.spec,
      runs: runs.length,
      counts: byStatus,
      progress: planned > 0 ? done / planned : 0,
      status,
      best,
    };
  });
}
