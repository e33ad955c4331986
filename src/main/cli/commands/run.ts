// `annealab run SPEC.json`: validate, run the grid in trainer processes, print the table.
import { readFileSync } from 'node:fs';
import { validateSpec, type ExperimentSpec } from '../../../shared/spec';
import { listDatasets } from '../../datasets';
import { exportTable } from '../../export';
import { runExperiment, type RunnerEvent } from '../../services/runner';
import { experimentGrid } from '../../services/grid';
import { Store } from '../../store';
import { UserError } from '../errors';
import { ProgressView } from '../progress';

export interface RunCommandOptions {
  json?: boolean;
  dataDir: string;
  concurrency?: number;
  backend?: string;
}

export async function loadSpecFile(path: string, dataDir: string): Promise<ExperimentSpec> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(
      `cannot read the spec ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const result = validateSpec(json, { datasets: await listDatasets(dataDir) });
  if (!result.ok) {
    const lines = result.problems.map((p) => `  ${p.path}: ${p.message}`);
    throw new UserError(`${path} is not a valid experiment spec:\n${lines.join('\n')}`);
  }
  return result.spec;
}

export async function runCommand(specPath: string, options: RunCommandOptions): Promise<number> {
  const spec = await loadSpecFile(specPath, options.dataDir);
  const store = Store.open(options.dataDir);
  const totalRuns = experimentGrid(spec).length;
  const view = options.json
    ? null
    : new ProgressView(process.stderr, totalRuns, Boolean(process.stderr.isTTY));
  const emit = (event: RunnerEvent) => {
    if (!options.json) return view!.handle(event);
    // The JSON stream carries DESIGN.md's events only; progress is for eyes, logs go to stderr.
    if (event.type === 'log') process.stderr.write(`${event.message}\n`);
    else if (event.type !== 'progress') process.stdout.write(`${JSON.stringify(event)}\n`);
  };
  // Ctrl-C once: cancel the runs (each stops within a minibatch) and still print the table.
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(
      '\ncancelling: running runs stop after their current minibatch (Ctrl-C again to quit now)\n',
    );
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    if (!options.json) {
      process.stderr.write(
        `experiment "${spec.name}": ${totalRuns} runs (${spec.methods.length} methods × ${spec.models.length} models × ` +
          `${spec.seeds.length} seeds), ${spec.epochs} epochs each\n`,
      );
    }
    const { experiment, runs } = await runExperiment(
      store,
      spec,
      {
        dataDir: options.dataDir,
        concurrency: options.concurrency,
        backendFlag: options.backend,
        signal: abort.signal,
      },
      emit,
    );
    if (!options.json) {
      const table = exportTable(store.results(experiment), 'text', { stat: 'best', norm: 'mean' });
      process.stdout.write(`\n${table}\n`);
      process.stderr.write(`experiment id ${experiment.id} · data dir ${options.dataDir}\n`);
    }
    const failed = runs.filter((r) => r.status === 'failed').length;
    return failed > 0 || abort.signal.aborted ? 1 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    store.close();
  }
}
