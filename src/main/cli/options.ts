// Option parsers more than one command shares, so that a flag means the same everywhere.
import { InvalidArgumentError } from 'commander';
import { parseConcurrency } from '../services/queue-control';
import { parseThreadsText, type ThreadsRequest } from '../../shared/threads';

/** --concurrency N: the queue service's own check, reported the way commander reports flags. */
export const concurrencyOption = (v: string): number => {
  try {
    return parseConcurrency(v) as number;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

/** --threads N|auto: the spec's own check, so a bad value reads as it would in a spec. */
export const threadsOption = (v: string): ThreadsRequest => {
  try {
    return parseThreadsText(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

export type DataDirResolver = (flag?: string) => string;

/** --data-dir as the queue and runs commands word it. */
export const DATA_DIR_OPTION = '--data-dir <dir>';
export const DATA_DIR_HELP = 'where results live (default: $ANNEALAB_DATA_DIR or the app-data folder)';
