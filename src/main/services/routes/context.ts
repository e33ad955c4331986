// What a route adapter gets from the host it runs in: the store and data dir the services work
// on, and the host's side of a change (tell the UI, wake the runner). Adapters translate a
// route's input into a service call and its result into the route's output; they decide nothing.
import type { EventName, ExecutorState, Handlers, HostKind, Payload, Routes } from '../../../shared/contract';
import type { Store } from '../../store';

export interface RouteContext {
  store: Store;
  dataDir: string;
  host: HostKind;
  /** Runs in parallel for this host, when it overrides the stored setting. */
  concurrency?: number;
  executorState(): ExecutorState;
  emit<K extends EventName>(name: K, payload: Payload<K>): void;
  /** The queue's rows changed here: refresh what the host remembers, wake its runner, tell the UI. */
  changed(reason: string): void;
}

/** The routes every host serves; the native dialogs are the Electron host's own. */
export type AppHandlers = Omit<Handlers<Routes>, 'host.openFile' | 'host.saveFile' | 'host.choosePaths'>;
