// `annealab experiments …`: list (by tag), show, rename and delete experiments, through the
// same services as the UI. Every command takes a name, an id, or a unique prefix of an id.
import type { Command } from 'commander';
import type { Deletion, ExperimentDetail, ExperimentSummary } from '../../../shared/contract';
import {
  deleteExperiment,
  experimentDetail,
  experimentSummariesTagged,
  renameExperiment,
} from '../../services/experiments';
import { fmtDuration } from '../format';
import {
  DATA_DIR_HELP as dataDirHelp,
  DATA_DIR_OPTION as dataDirOption,
  type DataDirResolver,
} from '../options';
import { refused } from '../runs-output';
import { withStore } from '../store';

const pct = (x: number | null | undefined) => (x == null ? '–' : `${(x * 100).toFixed(2)}%`);
const day = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const write = (text: string) => process.stdout.write(text);

export function registerExperimentCommands(program: Command, resolveDataDir: DataDirResolver): void {
  const experiments = program
    .command('experiments')
    .description('the experiments in the data dir: list, show, rename, delete');

  experiments
    .command('list')
    .description('every experiment, newest first')
    .option('--tag <tag>', 'only experiments with this tag')
    .option('--json', 'as JSON')
    .option(dataDirOption, dataDirHelp)
    .action((o: { tag?: string; json?: boolean; dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        const list = experimentSummariesTagged(store, o.tag);
        if (o.json) write(`${JSON.stringify(list.map(listEntry))}\n`);
        else printList(list, o.tag);
      }),
    );

  experiments
    .command('show')
    .description('one experiment: its description, tags, methods and runs')
    .argument('<experiment>', 'name, id or a unique id prefix')
    .option('--json', 'as JSON')
    .option(dataDirOption, dataDirHelp)
    .action((key: string, o: { json?: boolean; dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        const detail = refused(() => experimentDetail(store, key));
        if (o.json) write(`${JSON.stringify(detail)}\n`);
        else printDetail(detail);
      }),
    );

  experiments
    .command('rename')
    .description('give an experiment a new name (its id stays)')
    .argument('<experiment>', 'name, id or a unique id prefix')
    .argument('<name>', 'the new name')
    .option(dataDirOption, dataDirHelp)
    .action((key: string, name: string, o: { dataDir?: string }) =>
      withStore(resolveDataDir(o.dataDir), (store) => {
        const r = refused(() => renameExperiment(store, key, name));
        write(`renamed ${r.id.slice(0, 8)}: ${r.from} → ${r.to}\n`);
      }),
    );

  experiments
    .command('delete')
    .description(
      'delete an experiment with its runs, epochs, checkpoints and best weights (refused while a run is running)',
    )
    .argument('<experiment>', 'name, id or a unique id prefix')
    .option('--cancel', 'cancel its queued and running runs first, and wait for them to stop')
    .option('--json', 'say what was deleted as JSON')
    .option(dataDirOption, dataDirHelp)
    .action((key: string, o: { cancel?: boolean; json?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(o.dataDir);
      return withStore(dataDir, async (store) => {
        const d = await refusedAsync(() => deleteExperiment(store, dataDir, key, { cancel: o.cancel }));
        printDeletion(d, `experiment ${d.name} (${d.experimentId.slice(0, 8)})`, Boolean(o.json));
      });
    });
}

/** A refusal of an async service, as `refused` does for a sync one. */
export async function refusedAsync<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    return refused(() => {
      throw err;
    });
  }
}

export function printDeletion(d: Deletion, what: string, json: boolean): void {
  if (json) {
    write(`${JSON.stringify(d)}\n`);
    return;
  }
  const cancelled = d.cancelled ? `, after cancelling ${d.cancelled}` : '';
  write(
    `deleted ${what}: ${d.runIds.length} ${d.runIds.length === 1 ? 'run with its' : 'runs with their'} epochs${cancelled}, ` +
      `${d.files.length} run folder${d.files.length === 1 ? '' : 's'} of files\n`,
  );
}

const listEntry = (e: ExperimentSummary) => ({
  id: e.id,
  name: e.name,
  createdAt: e.createdAt,
  description: e.spec.description ?? null,
  tags: e.spec.tags ?? [],
  status: e.status,
  runs: e.runs,
  counts: e.counts,
  progress: e.progress,
  best: e.best,
});

function printList(list: ExperimentSummary[], tag: string | undefined): void {
  if (list.length === 0) {
    write(tag === undefined ? 'no experiments\n' : `no experiments tagged "${tag}"\n`);
    return;
  }
  for (const e of list) {
    const tags = e.spec.tags?.length ? `  [${e.spec.tags.join(', ')}]` : '';
    const best = e.best ? `  best ${e.best.label} ${pct(e.best.accuracy)}` : '';
    write(
      `${e.id.slice(0, 8)}  ${day(e.createdAt)}  ${e.status.padEnd(11)} ${String(e.runs).padStart(4)} runs  ${e.name}${tags}${best}\n`,
    );
  }
}

function printDetail(d: ExperimentDetail): void {
  write(`${d.name}  (${d.id})\ncreated ${day(d.createdAt)}\n`);
  if (d.description) write(`\n${d.description}\n\n`);
  if (d.tags.length) write(`tags: ${d.tags.join(', ')}\n`);
  write(
    `dataset ${d.dataset} · models ${d.models.join(', ')} · seeds ${d.seeds.join(', ')} · ${d.epochs} epochs\n`,
  );
  write(`methods: ${d.methods.join('; ')}\n`);
  const counts = Object.entries(d.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  write(`runs: ${d.runs.length}${counts ? ` (${counts})` : ''}\n`);
  for (const r of d.runs) {
    write(
      `  ${r.id.slice(0, 8)}  ${r.status.padEnd(11)} best ${pct(r.bestValAccuracy).padStart(7)}  ${fmtDuration(r.seconds ?? Number.NaN).padStart(7)}  ${r.label} · ${r.model} · seed ${r.seed}\n`,
    );
  }
}
