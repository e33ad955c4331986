// The threads a run gets, decided by the host as it starts the run: `--threads`, else the spec's
// `threads`, else "auto". "auto" for local runs is the cores shared out among the runs the queue
// runs at once (its concurrency, or fewer when fewer runs are there: queue.ts runsAtOnce); a
// Slurm job's trainer resolves it on its node, where its allocation is known.
import { availableParallelism } from 'node:os';
import type { ExecutorKind } from '../../shared/executor';
import { autoThreads, type ThreadsRequest } from '../../shared/threads';
import type { StartCommand } from '../trainer/protocol';

export type ThreadsForRun = NonNullable<StartCommand['threads']>;

export interface ThreadsContext {
  /** The spec's `threads` (undefined in a spec stored before the setting: "auto"). */
  spec: ThreadsRequest | undefined;
  /** `annealab run --threads`, over the spec. */
  flag?: ThreadsRequest;
  executor: ExecutorKind;
  /** Runs training at once with this one: the concurrency, or fewer when fewer are there to run. */
  runsAtOnce: number;
  cores?: number;
}

export function threadsForRun(c: ThreadsContext): ThreadsForRun {
  const asked = c.flag ?? c.spec ?? 'auto';
  // The reason names where a number came from; "auto" says what it was worked out from.
  if (asked !== 'auto')
    return { count: asked, reason: c.flag !== undefined ? '--threads' : "the spec's threads" };
  if (c.executor === 'slurm') return { count: 'auto', reason: 'auto' };
  const cores = c.cores ?? Math.max(1, availableParallelism());
  const runs = c.runsAtOnce;
  return {
    count: autoThreads(cores, runs),
    reason: `auto: ${cores} core${cores === 1 ? '' : 's'} ÷ ${runs} run${runs === 1 ? '' : 's'} at once`,
  };
}
