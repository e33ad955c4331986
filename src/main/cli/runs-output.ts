// How `annealab queue list`, `runs list` and `runs show` find and print runs: one line per run
// (or one JSON object), and the store's refusals as messages for the user.
import { ContractError } from '../../shared/contract';
import { runEta } from '../../shared/results';
import { findRun as findRunOrThrow, withLiveStatus } from '../services/runs';
import { StoreRefusal, type RunRow, type Store } from '../store';
import { UserError } from './errors';
import { fmtDuration, fmtEta } from './format';

/** A run by id or prefix; a miss says where to look. */
export function findRun(store: Store, key: string): RunRow {
  try {
    return findRunOrThrow(store, key);
  } catch (err) {
    throw new UserError(`${(err as Error).message} (see \`annealab queue list\`)`);
  }
}

/**
 * The store's and the services' refusals (a run that is not queued, say) are the user's to act
 * on: their message alone. Anything else is a bug and keeps its stack, as in the UI.
 */
export function refused<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof StoreRefusal || (err instanceof ContractError && err.code !== 'internal')) {
      throw new UserError(err.message);
    }
    throw err;
  }
}

export function describeRun(run: RunRow, experimentName: string): Record<string, unknown> {
  return {
    id: run.id,
    experiment: experimentName,
    status: run.status,
    method: run.method,
    label: run.label,
    model: run.model,
    seed: run.seed,
    progress: run.progress,
    etaSeconds: runEta(run),
    checkpointEpoch: run.checkpointEpoch,
    attempts: run.attempts,
    error: run.error,
  };
}

/**
 * One line (or JSON object) per run; with `results`, also its best validation accuracy and its
 * duration (the run's training clock at its last recorded epoch), as `runs list` shows them.
 */
export function printRuns(
  store: Store,
  stored: RunRow[],
  json: boolean,
  options: { results?: boolean } = {},
): void {
  // A run whose host died shows interrupted, not running, until the next executor marks it so.
  const runs = withLiveStatus(store, stored);
  const names = new Map(store.experiments.list().map((e) => [e.id, e.name]));
  const standing = options.results ? store.epochs.standingByRun() : null;
  const results = (r: RunRow) => {
    const s = standing?.get(r.id);
    return {
      bestValAccuracy: r.summary?.bestValAccuracy ?? s?.bestValAccuracy ?? null,
      durationSeconds: r.summary?.seconds ?? s?.seconds ?? null,
    };
  };
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        runs.map((r) => ({
          ...describeRun(r, names.get(r.experimentId) ?? '?'),
          ...(standing ? results(r) : {}),
        })),
      )}\n`,
    );
    return;
  }
  if (runs.length === 0) {
    process.stdout.write('no runs\n');
    return;
  }
  for (const r of runs) {
    const p = r.progress;
    const where =
      r.status === 'running' && p
        ? `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} ${fmtEta(runEta(r))}`
        : '';
    const extra =
      r.status === 'failed'
        ? (r.error ?? '')
        : r.status === 'interrupted'
          ? `checkpoint at epoch ${r.checkpointEpoch ?? 0}`
          : where;
    let figures = '';
    if (standing) {
      const { bestValAccuracy: best, durationSeconds: secs } = results(r);
      const acc = best === null ? '–' : `${(best * 100).toFixed(2)}%`;
      figures = `best ${acc.padStart(7)}  ${(secs === null ? '–' : fmtDuration(secs)).padStart(7)}  `;
    }
    process.stdout.write(
      `${r.id.slice(0, 8)}  ${r.status.padEnd(11)} ${(names.get(r.experimentId) ?? '?').padEnd(16)} ${figures}${r.label} · ${r.model} · seed ${r.seed}  ${extra}\n`,
    );
  }
}
