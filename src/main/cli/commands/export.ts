// `annealab export` and `annealab figure`: the comparison of one or more experiments. The
// choices of every option come from shared/options.ts, the lists the UI and the contract use.
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { RunResult } from '../../../shared/results';
import { ContractError, smoothRuns } from '../../../shared/contract';
import {
  CHART_X_AXES,
  FIGURE_DESCRIPTIONS,
  FIGURE_FORMATS,
  FIGURE_KINDS,
  LOSS_NORMS,
  SIGNIFICANCE_TESTS,
  SMOOTHING,
  TABLE_FORMATS,
  TABLE_STATS,
  X_AXIS_NAMES,
  isOneOf,
  type ChartX,
  type FigureFormat,
  type FigureKind,
  type LossNorm,
  type SignificanceTest,
  type TableFormat,
  type TableStat,
} from '../../../shared/options';
import { selectMethods } from '../../../shared/table';
import { exportFigure } from '../../export';
import { tableText } from '../../services/exports';
import { experimentResults } from '../../services/runs';
import { UserError } from '../errors';
import { DATA_DIR_HELP, DATA_DIR_OPTION, type DataDirResolver } from '../options';
import { describeDiskError } from '../../store/disk-errors';
import { withStore } from '../store';

/** For callers that bypass commander's `.choices()` (tests, scripts): the same refusal. */
function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!isOneOf(allowed, value)) {
    throw new UserError(`${what} "${value}" is not one of ${allowed.join(', ')}`);
  }
  return value;
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

/** Comma-separated values, trimmed, empty ones dropped; a flag given twice adds to the list. */
function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/**
 * The runs that --methods and --runs select: methods by label, label prefix, id or row (as the
 * table numbers them); runs by id or a unique prefix of one. Either refuses what matches
 * nothing, naming what there is.
 */
export function selectRuns(
  runs: readonly RunResult[],
  o: { methods?: string[]; runs?: string[] },
): RunResult[] {
  let chosen = [...runs];
  if (o.runs?.length) {
    const wanted = new Set<RunResult>();
    for (const key of o.runs) {
      const hits = runs.filter((r) => r.runId.startsWith(key));
      if (hits.length === 0) {
        throw new UserError(
          `--runs ${key}: no run of these experiments has an id starting so; see \`annealab runs list\``,
        );
      }
      if (hits.length > 1) {
        throw new UserError(`--runs ${key}: ${hits.length} runs have ids starting so; give more of the id`);
      }
      wanted.add(hits[0]!);
    }
    chosen = chosen.filter((r) => wanted.has(r));
  }
  if (o.methods?.length) {
    try {
      chosen = selectMethods(chosen, o.methods);
    } catch (err) {
      throw new UserError(`--methods: ${(err as Error).message}`);
    }
  }
  return chosen;
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
  methods?: string[];
  runs?: string[];
}

export function exportCommand(experiments: string[], o: ExportCommandOptions): number {
  const format = oneOf<TableFormat>(o.format, TABLE_FORMATS, '--format');
  const options = {
    stat: oneOf<TableStat>(o.stat, TABLE_STATS, '--stat'),
    norm: oneOf<LossNorm>(o.norm, LOSS_NORMS, '--norm'),
    baseline: o.baseline,
    test: oneOf<SignificanceTest>(o.test, SIGNIFICANCE_TESTS, '--test'),
    timeToTarget: o.target,
    csv: { perSeed: o.perSeed },
  };
  checkOut(o.out);
  const runs = selectRuns(loadRuns(o.dataDir, experiments), o);
  // The table model names what was wrong (an unknown baseline, say): the user's to fix.
  output(tableText(runs, format, options), o.out);
  return 0;
}

export interface FigureCommandOptions {
  dataDir: string;
  kind: string;
  format: string;
  out?: string;
  x?: string;
  smoothing?: number;
  norm?: string;
  bands?: boolean;
  logY?: boolean;
  network?: string;
  width?: number;
  height?: number;
  methods?: string[];
  runs?: string[];
  /** Whether stdout is a terminal; the process's own by default (a test passes it). */
  stdoutIsTTY?: boolean;
  /** move-histogram: the epoch to draw. */
  epoch?: number;
}

export async function figureCommand(experiments: string[], o: FigureCommandOptions): Promise<number> {
  const kind = oneOf<FigureKind>(o.kind, FIGURE_KINDS, '--kind');
  const format = oneOf<FigureFormat>(o.format, FIGURE_FORMATS, '--format');
  const x = oneOf<ChartX>(o.x ?? 'epoch', CHART_X_AXES, '--x');
  const norm = oneOf<LossNorm>(o.norm ?? 'mean', LOSS_NORMS, '--norm');
  // Bytes of a PNG would garble the terminal; refuse before reading anything.
  if (format === 'png' && !o.out && (o.stdoutIsTTY ?? process.stdout.isTTY)) {
    throw new UserError(
      'a PNG is binary and stdout is a terminal: give --out FILE.png, or redirect stdout (> FILE.png)',
    );
  }
  checkOut(o.out);
  const selected = selectRuns(loadRuns(o.dataDir, experiments), o);
  const runs = smoothRuns(selected, o.smoothing ?? SMOOTHING.default);
  if (o.epoch !== undefined && kind !== 'move-histogram')
    throw new UserError('--epoch chooses the epoch of --kind move-histogram; other kinds draw every epoch');
  let figure;
  try {
    figure = exportFigure(runs, kind, format, {
      x,
      norm,
      bands: o.bands ?? true,
      logY: o.logY,
      column: o.network,
      width: o.width,
      height: o.height,
      epoch: o.epoch,
    });
  } catch (err) {
    // An unknown --network is named by the chart builder; it is the user's to fix.
    if (err instanceof ContractError) throw err;
    if (o.network && /no runs on/.test((err as Error).message))
      throw new UserError(`--network: ${(err as Error).message}`);
    throw err;
  }
  output(figure, o.out);
  return 0;
}

const fraction = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('must be a fraction in (0, 1], e.g. 0.9');
  return n;
};

const smoothingWeight = (v: string) => {
  const n = Number(v);
  if (!(n >= SMOOTHING.min && n < SMOOTHING.below)) {
    throw new InvalidArgumentError(`must be a weight in [${SMOOTHING.min}, ${SMOOTHING.below}), e.g. 0.6`);
  }
  return n;
};

const pixels = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min && n <= max)) {
    throw new InvalidArgumentError(`must be a whole number of pixels from ${min} to ${max}`);
  }
  return n;
};

const choice = (flags: string, help: string, choices: readonly string[], fallback?: string) => {
  const option = new Option(flags, help).choices(choices);
  return fallback === undefined ? option : option.default(fallback);
};

/** `--help` of `figure`: every kind with what it shows, so no one has to open the README. */
function kindsHelp(): string {
  const width = Math.max(...FIGURE_KINDS.map((k) => k.length));
  const kinds = FIGURE_KINDS.map((k) => `  ${k.padEnd(width)}  ${FIGURE_DESCRIPTIONS[k]}`);
  const axes = CHART_X_AXES.map((a) => `  ${a.padEnd(width)}  ${X_AXIS_NAMES[a]}`);
  return ['', 'Figure kinds (--kind):', ...kinds, '', 'x axes (--x):', ...axes].join('\n');
}

export function registerExportCommands(program: Command, resolveDataDir: DataDirResolver): void {
  const methodsHelp =
    'only these methods, comma-separated: label, start of a label, method id, or row number from 1';
  const runsHelp = 'only these runs, comma-separated ids or unique id prefixes';

  program
    .command('export')
    .description('the comparison table of one or more experiments (by name or id)')
    .argument('<experiment...>', 'experiment names or ids')
    .addOption(choice('--format <format>', 'table format', TABLE_FORMATS).makeOptionMandatory())
    .addOption(
      choice(
        '--stat <stat>',
        'best (min loss / max accuracy over epochs, the thesis), final, or ensemble (the snapshot ensemble after the last epoch: restart and SGDR runs)',
        TABLE_STATS,
        'best',
      ),
    )
    .addOption(
      choice(
        '--norm <norm>',
        'loss as mean cross-entropy (mean) or as the thesis printed it (thesis)',
        LOSS_NORMS,
        'mean',
      ),
    )
    .option(
      '--baseline <method>',
      'test every method against this one (label, start of a label, method id, or row number from 1)',
    )
    .addOption(
      choice('--test <test>', 'significance test (paired: t-test seed by seed)', SIGNIFICANCE_TESTS, 'welch'),
    )
    .option(
      '--target <accuracy>',
      'add time-to-target columns for this validation accuracy (fraction)',
      fraction,
    )
    .option('--per-seed', 'CSV: add the per-seed values')
    .option('--methods <list>', methodsHelp, list)
    .option('--runs <list>', runsHelp, list)
    .option('--out <file>', 'write to a file instead of stdout')
    .option(DATA_DIR_OPTION, DATA_DIR_HELP)
    .action((experiments: string[], o: Omit<ExportCommandOptions, 'dataDir'> & { dataDir?: string }) => {
      process.exitCode = exportCommand(experiments, { ...o, dataDir: resolveDataDir(o.dataDir) });
    });

  program
    .command('figure')
    .description('a figure of one or more experiments, as SVG or PNG (the options of the Compare view)')
    .argument('<experiment...>', 'experiment names or ids')
    .addOption(choice('--kind <kind>', 'which figure (listed below)', FIGURE_KINDS).makeOptionMandatory())
    .addOption(choice('--format <format>', 'file format', FIGURE_FORMATS, 'svg'))
    .addOption(choice('--x <axis>', 'what the x axis counts', CHART_X_AXES, 'epoch'))
    .option(
      '--smoothing <weight>',
      `exponential smoothing of the curves, a weight in [${SMOOTHING.min}, ${SMOOTHING.below}) (0: none)`,
      smoothingWeight,
    )
    .addOption(
      choice(
        '--norm <norm>',
        "validation loss as mean cross-entropy or in the thesis's normalisation",
        LOSS_NORMS,
        'mean',
      ),
    )
    .option('--no-bands', 'draw the means without their ± std bands')
    .option('--log-y', 'loss on a log axis')
    .option('--network <id>', 'only this network (model id) or dataset')
    .option('--methods <list>', methodsHelp, list)
    .option('--runs <list>', runsHelp, list)
    .option('--epoch <n>', 'move-histogram: the epoch to draw (default: the last recorded)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
      return n;
    })
    .option('--width <px>', 'width in CSS pixels (default 900)', pixels(300, 4000))
    .option('--height <px>', 'height in CSS pixels (default 560)', pixels(200, 4000))
    .option('--out <file>', 'write to a file instead of stdout (a PNG needs one on a terminal)')
    .option(DATA_DIR_OPTION, DATA_DIR_HELP)
    .addHelpText('after', kindsHelp())
    .action(
      async (experiments: string[], o: Omit<FigureCommandOptions, 'dataDir'> & { dataDir?: string }) => {
        process.exitCode = await figureCommand(experiments, { ...o, dataDir: resolveDataDir(o.dataDir) });
      },
    );
}
