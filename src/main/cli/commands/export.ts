// `annealab export` and `annealab figure`: the comparison of one or more experiments.
import { writeFileSync } from 'node:fs';
import type { RunResult } from '../../../shared/results';
import {
  exportFigure,
  exportTable,
  FIGURE_FORMATS,
  FIGURE_KINDS,
  TABLE_FORMATS,
  type FigureFormat,
  type FigureKind,
  type TableFormat,
} from '../../export';
import { Store } from '../../store';
import { UserError } from '../errors';

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UserError(`${what} "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function loadRuns(dataDir: string, experiments: readonly string[]): RunResult[] {
  const store = Store.open(dataDir);
  try {
    return experiments.flatMap((key) => {
      const e = store.experiments.find(key);
      if (!e) {
        const known = store.experiments
          .list()
          .slice(0, 10)
          .map((x) => x.name);
        throw new UserError(
          `no experiment "${key}" in ${dataDir}${known.length ? `; recent ones: ${known.join(', ')}` : ' (it holds none yet)'}`,
        );
      }
      return store.results(e);
    });
  } finally {
    store.close();
  }
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
  let text: string;
  try {
    text = exportTable(runs, format, options);
  } catch (err) {
    // The table model names what was wrong (an unknown baseline, say): that is the user's to fix.
    throw new UserError((err as Error).message);
  }
  output(text, o.out);
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
