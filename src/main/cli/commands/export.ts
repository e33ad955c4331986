// `annealab export` and `annealab figure`: the comparison of one or more experiments.
import { writeFileSync } from 'node:fs';
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

function output(text: string | Buffer, out?: string): void {
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
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
  const runs = loadRuns(o.dataDir, experiments);
  output(await exportFigure(runs, kind, format as 'svg'), o.out);
  return 0;
}
