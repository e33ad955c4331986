// Where a Slurm run's files live: a `slurm/` folder beside the run's checkpoint in the data dir
// (which the nodes share), so that retrying a run from scratch, which deletes that folder,
// forgets its jobs too. The host writes the command, the job script and the job record; the
// trainer on the node appends the events.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkpointPath } from '../../trainer/checkpoint';
import { FILE_MODE } from '../../trainer/protocol';
import type { JobRecord } from '../../../shared/executor';

export type { JobRecord } from '../../../shared/executor';

export const jobFolder = (dataDir: string, runId: string) =>
  join(dirname(checkpointPath(dataDir, runId)), 'slurm');
export const jobRecordPath = (dataDir: string, runId: string) => join(jobFolder(dataDir, runId), 'job.json');
export const eventsPath = (folder: string) => join(folder, FILE_MODE.events);
export const commandPath = (folder: string) => join(folder, FILE_MODE.command);
/** The trainer's stdout and stderr on the node (the job script sends them here). */
export const TRAINER_LOG = 'trainer.log';
export const trainerLogPath = (folder: string) => join(folder, TRAINER_LOG);

export function readJobRecord(dataDir: string, runId: string): JobRecord | null {
  const path = jobRecordPath(dataDir, runId);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JobRecord;
  } catch {
    return null; // half-written by a host that died: nothing to re-attach to
  }
}

export function writeJobRecord(dataDir: string, record: JobRecord): void {
  const path = jobRecordPath(dataDir, record.runId);
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(partial, path);
}

/** The last lines of what the trainer printed on its node, for a failure's reason. */
export function trainerLogTail(folder: string, lines = 3): string {
  try {
    return readFileSync(trainerLogPath(folder), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && l.length < 500)
      .slice(-lines)
      .join(' | ');
  } catch {
    return '';
  }
}
