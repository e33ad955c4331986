// One store for the length of a command: opened, handed to the work, closed when the work is
// done (also when it fails, and after a promise settles).
import { join } from 'node:path';
import { Store } from '../store';
import { DB_FILE } from '../store/db';
import { asDiskError } from '../store/errors';

/**
 * A full or read-only disk met by the work becomes the message that names the file (the one
 * Node names, else the database) instead of a stack trace.
 */
export function diskErrorOf(err: unknown, dataDir: string): unknown {
  return asDiskError(err, (err as NodeJS.ErrnoException).path ?? join(dataDir, DB_FILE));
}

export function withStore<T>(dataDir: string, work: (store: Store) => T): T {
  const store = Store.open(dataDir);
  let result: T;
  try {
    result = work(store);
  } catch (err) {
    store.close();
    throw diskErrorOf(err, dataDir);
  }
  if (result instanceof Promise) {
    return result
      .catch((err: unknown) => {
        throw diskErrorOf(err, dataDir);
      })
      .finally(() => store.close()) as T;
  }
  store.close();
  return result;
}
