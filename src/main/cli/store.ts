// One store for the length of a command: opened, handed to the work, closed when the work is
// done (also when it fails, and after a promise settles).
import { Store } from '../store';

export function withStore<T>(dataDir: string, work: (store: Store) => T): T {
  const store = Store.open(dataDir);
  let result: T;
  try {
    result = work(store);
  } catch (err) {
    store.close();
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => store.close()) as T;
  store.close();
  return result;
}
