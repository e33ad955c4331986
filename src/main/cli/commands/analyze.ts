// `annealab analyze …`: analyses of a run from its saved weights (the thesis's diagnostics).
import { InvalidArgumentError, type Command } from 'commander';
import { estimateError, parseBatchList, type EstimateErrorResult } from '../../services/analysis';
import {
  DATA_DIR_HELP as dataDirHelp,
  DATA_DIR_OPTION as dataDirOption,
  type DataDirResolver,
} from '../options';
import { findRun } from '../runs-output';
import { withStore } from '../store';
import { refusedAsync } from './experiments';

const batchesOption = (v: string): number[] => {
  try {
    return parseBatchList(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--batches "[^"]*": /, ''));
  }
};

const wholeOption = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
};

export function registerAnalyzeCommands(program: Command, resolveDataDir: DataDirResolver): void {
  const analyze = program.command('analyze').description('diagnostics of a run, from its saved weights');
  analyze
    .command('estimate-error')
    .description(
      'RMSE of the training-loss estimate (k random minibatches) against the exact training loss, for each k (thesis Table 2.1)',
    )
    .argument('<run>', 'run id or a unique prefix')
    .option(
      '--batches <list>',
      'numbers of minibatches: a range or list, e.g. 1..10 or 1,2,5',
      batchesOption,
      parseBatchList('1..10'),
    )
    .option('--trials <n>', 'independent estimates per number of minibatches', wholeOption, 30)
    .option('--weights <which>', 'best (best-on-validation weights), last (last checkpoint) or auto', 'auto')
    .option('--backend <backend>', 'tensorflow, wasm, cpu or auto (as for run)')
    .option('--json', 'as JSON')
    .option(dataDirOption, dataDirHelp)
    .action(
      (
        key: string,
        o: {
          batches: number[];
          trials: number;
          weights: string;
          backend?: string;
          json?: boolean;
          dataDir?: string;
        },
      ) => {
        if (!['best', 'last', 'auto'].includes(o.weights))
          throw new InvalidArgumentError(`--weights "${o.weights}" is not one of best, last, auto`);
        const dataDir = resolveDataDir(o.dataDir);
        return withStore(dataDir, async (store) => {
          const run = findRun(store, key);
          const result = await refusedAsync(() =>
            estimateError(store, dataDir, run.id, {
              batches: o.batches,
              trials: o.trials,
              weights: o.weights as 'best' | 'last' | 'auto',
              backend: o.backend,
            }),
          );
          if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
          else printTable(result);
        });
      },
    );
}

function printTable(r: EstimateErrorResult): void {
  const w = (s: string) => process.stdout.write(s);
  w(`${r.label} · ${r.model} · seed ${r.seed} on ${r.dataset} (${r.weights} weights, ${r.backend})\n`);
  w(
    `exact training loss over all ${r.trainCount} examples: ${r.exact.loss.toPrecision(6)} mean CE, ` +
      `${r.exact.lossThesis.toExponential(4)} on the thesis's scale (Σ minibatch-mean CE / examples); minibatches of ${r.batchSize}\n\n`,
  );
  w('minibatches  examples  trials  RMSE (mean CE)  RMSE (thesis scale)\n');
  for (const row of r.rows) {
    w(
      `${String(row.batches).padStart(11)}  ${String(row.examples).padStart(8)}  ${String(row.trials).padStart(6)}  ${row.rmse.toExponential(3).padStart(14)}  ${row.rmseThesis.toExponential(3).padStart(19)}\n`,
    );
  }
}
