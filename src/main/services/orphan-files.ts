// Temporary files of checkpoint and best-weights writes (tensor-file.ts writes PATH.PID.tmp,
// then renames it) that a kill in the middle of a write left behind: removed when an executor
// starts, so that a crash-and-resume cycle does not leave a run's size on disk behind each time.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store';

const TEMPORARY = /\.(\d+)\.tmp$/;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove `checkpoints/<run>/*.tmp` of runs that no process runs now: not 'running', and whose
 * writer (the pid in the name) is gone from this machine. A trainer still alive (that of a host
 * that lost the queue while frozen, or a Slurm job's on another node, whose run is 'running')
 * keeps its file. Returns the paths removed.
 */
export function removeOrphanTemporaries(store: Store, dataDir: string): string[] {
  const root = join(dataDir, 'checkpoints');
  let runs: string[];
  try {
    runs = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const runId of runs) {
    let names: string[];
    try {
      names = readdirSync(join(root, runId)).filter((n) => TEMPORARY.test(n));
    } catch {
      continue;
    }
    if (names.length === 0 || store.runs.get(runId)?.status === 'running') continue;
    for (const name of names) {
      if (pidAlive(Number(TEMPORARY.exec(name)![1]))) continue;
      const path = join(root, runId, name);
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}
