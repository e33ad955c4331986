// `annealab datasets …`: import, list, show and delete datasets, through the same import
// service the UI's drop zone uses.
import { InvalidArgumentError, type Command } from 'commander';
import { ContractError } from '../../../shared/contract';
import { ImportCancelledError, type ImportProgress } from '../../datasets/import';
import { datasetDescription, deleteImported, importInto, listedDatasets } from '../../services/datasets';
import { UserError } from '../errors';
import { withStore } from '../store';

const DATA_DIR_OPTION = [
  '--data-dir <dir>',
  'where results, datasets and checkpoints live (default: $ANNEALAB_DATA_DIR or the app-data folder)',
] as const;

const parseResize = (v: string) => {
  const m = /^(\d+)[x×](\d+)$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError('must be HEIGHTxWIDTH in pixels, e.g. 32x32');
  return { height: Number(m[1]), width: Number(m[2]) };
};
const parseFraction = (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a fraction between 0 and 1, e.g. 0.2');
  return n;
};
const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
/** "4G", "512M", "1.5GiB", "100000": a size in bytes, as people write one. */
const parseSize = (v: string) => {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(v.trim());
  const bytes = m ? Math.floor(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!) : NaN;
  if (!(bytes > 0)) throw new InvalidArgumentError('must be a size such as 4G, 512M or 100000 (bytes)');
  return bytes;
};
const parseRatio = (v: string) => {
  const n = Number(v);
  if (!(n >= 1)) throw new InvalidArgumentError('must be a number >= 1, e.g. 100');
  return n;
};
const parseSeed = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
};

/**
 * Refusals the user can act on become UserErrors (message only; a cancelled import exits 130,
 * as an interrupted command does); anything else is a bug and keeps its stack.
 */
async function userErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ContractError) || error.code === 'internal') throw error;
    throw new UserError(error.message, error.cause instanceof ImportCancelledError ? 130 : 2);
  }
}

const PHASE_UNITS: Record<string, (n: number) => string> = {
  reading: (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`,
};

/** Progress on stderr: redrawn in place on a terminal, one line per phase otherwise. */
function progressPrinter(out: NodeJS.WriteStream): { update: (p: ImportProgress) => void; end: () => void } {
  let phase = '';
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const unit = PHASE_UNITS[p.phase] ?? String;
      const text = `${p.phase}${p.total > 1 ? ` ${Math.floor((100 * p.done) / p.total)}% (${unit(p.done)} of ${unit(p.total)})` : ''}`;
      if (out.isTTY) {
        const now = performance.now();
        if (p.phase === phase && p.done < p.total && now - last < 100) return;
        last = now;
        out.write(`\r\x1b[2K${text}`);
        drawn = true;
      } else if (p.phase !== phase) {
        out.write(`${p.phase}…\n`);
      }
      phase = p.phase;
    },
    end() {
      if (drawn) out.write('\r\x1b[2K');
    },
  };
}

export function registerDatasetCommands(program: Command, resolveDataDir: (flag?: string) => string): void {
  const datasets = program
    .command('datasets')
    .description('the datasets a spec can use: built-in and imported');

  datasets
    .command('import')
    .description(
      'import a dataset: IDX files (MNIST, Fashion-MNIST, EMNIST), CIFAR-10/100 binary batches, ' +
        'a folder of class folders of images, or CSV (label, then pixels); plain, .gz, .tar or .tar.gz',
    )
    .argument('<paths...>', 'files and folders that make up the dataset')
    .requiredOption('--name <name>', 'the name a spec will use (letters, digits, ".", "_", "-")')
    .option('--resize <HxW>', 'scale every image of an image folder to this size, e.g. 32x32', parseResize)
    .option('--test-fraction <f>', 'test share when the source has no test part (default 0.2)', parseFraction)
    .option('--seed <n>', 'seed of that split (default 0)', parseSeed)
    .option(
      '--max-size <size>',
      'the most the data may take once decompressed, e.g. 8G (default 4G; it is all held in memory)',
      parseSize,
    )
    .option(
      '--max-ratio <n>',
      'how many times its size a .gz may expand to (default 100; refuses decompression bombs)',
      parseRatio,
    )
    .option('--json', 'print the metadata as JSON')
    .option(...DATA_DIR_OPTION)
    .action(
      async (
        paths: string[],
        o: {
          maxSize?: number;
          maxRatio?: number;
          name: string;
          resize?: { height: number; width: number };
          testFraction?: number;
          seed?: number;
          json?: boolean;
          dataDir?: string;
        },
      ) => {
        const dataDir = resolveDataDir(o.dataDir);
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const progress = progressPrinter(process.stderr);
        const started = performance.now();
        try {
          const imported = await userErrors(() =>
            withStore(dataDir, (store) =>
              importInto(dataDir, store, paths, {
                name: o.name,
                signal: controller.signal,
                onProgress: progress.update,
                resize: o.resize,
                testFraction: o.testFraction,
                seed: o.seed,
                maxBytes: o.maxSize,
                maxExpansionRatio: o.maxRatio,
              }),
            ),
          );
          progress.end();
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          if (o.json) {
            process.stdout.write(`${JSON.stringify(imported)}\n`);
          } else {
            process.stdout.write(
              `Imported "${imported.name}" (${imported.format}) in ${seconds} s: ` +
                `${imported.trainCount} train + ${imported.testCount} test images of ` +
                `${imported.height}×${imported.width}×${imported.channels}, ${imported.classes.length} classes; ` +
                `split: ${imported.split}\n`,
            );
          }
        } finally {
          progress.end();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      },
    );

  datasets
    .command('list')
    .description('built-in and imported datasets')
    .option('--json', 'as JSON: one object per dataset')
    .option(...DATA_DIR_OPTION)
    .action(async (o: { json?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      const entries = await withStore(dataDir, (store) => listedDatasets(dataDir, store));
      if (o.json) {
        process.stdout.write(`${JSON.stringify(entries)}\n`);
        return;
      }
      for (const e of entries) {
        const r = e.row;
        const what = e.builtin
          ? 'built-in'
          : r
            ? `${r.format}, ${r.height}×${r.width}×${r.channels}, ${r.classes.length} classes, ${r.trainCount} train / ${r.testCount} test${e.missingFile ? ' (its file is missing)' : ''}`
            : 'a dataset file without metadata';
        process.stdout.write(`${e.name}\t${what}\n`);
      }
    });

  datasets
    .command('show')
    .description('metadata and class counts of a dataset')
    .argument('<name>', 'dataset name')
    .option('--json', 'as JSON')
    .option(...DATA_DIR_OPTION)
    .action(async (name: string, o: { json?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      const d = await userErrors(() =>
        withStore(dataDir, (store) => datasetDescription(dataDir, store, name)),
      );
      if (o.json) {
        process.stdout.write(`${JSON.stringify(d)}\n`);
        return;
      }
      const lines = [
        `name      ${d.name}${d.builtin ? ' (built-in)' : ''}`,
        ...(d.row
          ? [`format    ${d.row.format}`, `imported  ${d.row.createdAt}`, `split     ${d.row.split}`]
          : []),
        `shape     ${d.height}×${d.width}×${d.channels}`,
        `images    ${d.trainCount} train, ${d.testCount} test`,
        `source    ${d.source}`,
        ...(d.row?.sources.map(
          (s) =>
            `file      ${s.path} (${s.bytes} bytes${s.files ? `, ${s.files} files` : ''}) sha256 ${s.sha256}`,
        ) ?? []),
        'classes   (train / test)',
        ...d.classes.map((c, i) => `  ${i}\t${c}\t${d.classCounts.train[i]} / ${d.classCounts.test[i]}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  datasets
    .command('delete')
    .description('delete an imported dataset: its file and its metadata')
    .argument('<name>', 'dataset name')
    .option(...DATA_DIR_OPTION)
    .action(async (name: string, o: { dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      await userErrors(() => withStore(dataDir, (store) => deleteImported(dataDir, store, name)));
      process.stdout.write(`Deleted "${name}"\n`);
    });
}
