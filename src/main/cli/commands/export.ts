// `annealab export` and `annealab figure`: the comparison of one or more experiments.
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunResult } from '../../../shared/results';
import { ContractError } from '../../../shared/contract';
import {
  exportFigure,
  FIGURE_FORMATS,
  FIGURE_KINDS,
  TABLE_FORMATS,
  type FigureFormat,
  type FigureKind,
  type TableFormat,
} from '../../export';
import { tableText } from '../../services/exports';
import { experimentResults } from '../../services/runs';
import { UserError } from '../errors';
import { describeDiskError } from '../../store/disk-errors';
import { withStore } from '../store';

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UserError(`${what} "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function loadRuns(dataDir: string, experiments: readonly string[]): RunResult[] {
  return withStore(dataDir, (store) =>
    experiments.flatMap((key) => {
      try {
        return experimentResults(store, key);
      } catch (err) {
        if (!(err instanceof ContractError) || err.code !== 'not-found') throw err;
        // Say where we looked and what is there: a typo in a name is the usual cause.
        const known = store.experiments
          .list()
          .slice(0, 10)
          .map((x) => x.name);
        throw new UserError(
          `no experiment "${key}" in ${dataDir}${known.length ? `; recent ones: ${known.join(', ')}` : ' (it holds none yet)'}`,
        );
      }
    }),
  );
}

/**
 * Refuse an --out whose folder is missing before any work, so the user hears it at once and
 * nothing is half-written; a write that fails anyway is still theirs to fix, not a stack trace.
 */
function checkOut(out: string | undefined): void {
  if (!out) return;
  const dir = dirname(resolve(out));
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // Missing, or under a file: the same advice.
  }
  if (!isDir)
    throw new UserError(`--out ${out}: the folder ${dir} does not exist; create it or choose another path`);
}

function output(text: string | Buffer, out?: string): void {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(out, text);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    // A full or read-only disk says which device and how much room is left.
    throw new UserError(
      describeDiskError(err, resolve(out)) ??
        `--out ${out}: cannot write it (${code}); choose a path you can write`,
    );
  }
}

export interface ExportCommandOptions {
  dataDir: string;
  format: string;
  stat: string;
  norm: string;
  baseline?: string;
  test: string;
  target?: number;
  perSeed?: boolean;
  out?: string;
}

export function exportCommand(experiments: string[], o: ExportCommandOptions): number {
  const format = oneOf<TableFormat>(o.format, TABLE_FORMATS, '--format');
  const options = {
    stat: oneOf(o.stat, ['best', 'final'] as const, '--stat'),
    norm: oneOf(o.norm, ['mean', 'thesis'] as const, '--norm'),
    baseline: o.baseline,
    test: oneOf(o.test, ['welch', 'paired', 'mannwhitney'] as const, '--test'),
    timeToTarget: o.target,
    csv: { perSeed: o.perSeed },
  };
  checkOut(o.out);
  const runs = loadRuns(o.dataDir, experiments);
  // The table model names what was wrong (an unknown baseline, say): the user's to fix.
  output(tableText(runs, format, options), o.out);
  return 0;
}

export interface FigureCommandOptions {
  dataDir: string;
  kind: string;
  format: string;
  out?: string;
}

export async function figureCommand(experiments: string[], o: FigureCommandOptions): Promise<number> {
  const kind = oneOf<FigureKind>(o.kind, FIGURE_KINDS, '--kind');
  const format = oneOf<FigureFormat>(o.format, FIGURE_FORMATS, '--format');
  if (format === 'png' && !o.out && process.stdout.isTTY) {
    throw new UserError('a PNG is binary: give --out FILE (or redirect stdout)');
  }
  checkOut(o.out);
  const runs = loadRuns(o.dataDir, experiments);
  output(await exportFigure(runs, kind, format as 'svg'), o.out);
  return 0;
}
