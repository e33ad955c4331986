// What a run leaves on disk besides its rows: one folder per run under the data dir's
// checkpoints/ (its last checkpoint, its best-on-validation weights, its recorded diagnostics),
// and the best-weights file its summary names. Deleting a run removes these, never anything
// outside the data dir.
import { existsSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { RunRow } from '../store';
import { checkpointPath } from '../trainer/checkpoint';

/** The paths (relative to the data dir) that hold a run's files. */
export function runFilePaths(dataDir: string, run: RunRow): string[] {
  const paths = new Set([relative(dataDir, dirname(checkpointPath(dataDir, run.id)))]);
  const best = run.summary?.bestWeightsPath;
  if (best && insideDataDir(dataDir, best)) paths.add(best);
  return [...paths];
}

function insideDataDir(dataDir: string, path: string): boolean {
  const rel = relative(resolve(dataDir), resolve(dataDir, path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** Remove a run's files; returns the paths that existed (relative to the data dir). */
export function removeRunFiles(dataDir: string, run: RunRow): string[] {
  const removed: string[] = [];
  for (const path of runFilePaths(dataDir, run)) {
    const abs = join(dataDir, path);
    if (!existsSync(abs)) continue;
    rmSync(abs, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
