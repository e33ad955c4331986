import { ContractError } from '../../shared/contract';
import { describeDiskError } from './disk-errors';

// What the store refuses because of the rows as they are (a cancel of a finished run, a run id
// that matches nothing): the user's to fix, unlike a failing query, which is a bug.
export class StoreRefusal extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'conflict' = 'conflict',
  ) {
    super(message);
    this.name = 'StoreRefusal';
  }
}

/**
 * A disk error as the user's to fix: a refusal of the contract (bad input: exit 2 in the CLI, a
 * message in the UI), not a bug with a stack trace.
 */
export class DiskError extends ContractError {
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, 'bad-input', undefined, options);
    this.name = 'DiskError';
  }
}

/** `err` as a DiskError about `path` when it is a disk error; otherwise `err` unchanged. */
export function asDiskError(err: unknown, path: string): unknown {
  if (err instanceof DiskError) return err;
  const message = describeDiskError(err, path);
  return message === null ? err : new DiskError(message, path, { cause: err });
}
