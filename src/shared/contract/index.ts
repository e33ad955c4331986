// The one contract between the renderer and its host (DESIGN.md, "One contract").
export * from './define';
export * from './routes';
export * from './events';
export * from './types';
export * from './experiment-management';

import type { z } from 'zod';
import type { Events, Routes } from './index';

export type Input<K extends keyof Routes> = z.input<Routes[K]['input']>;
export type Output<K extends keyof Routes> = z.output<Routes[K]['output']>;
export type Payload<K extends keyof Events> = z.output<Events[K]['payload']>;

/** The one invoke channel and one event channel of the Electron bridge. */
export const IPC_INVOKE = 'annealab:invoke';
export const IPC_EVENT = 'annealab:event';

/** What both transports give the renderer: the preload bridge and the HTTP+SSE client. */
export interface Bridge {
  invoke<K extends keyof Routes>(name: K, input: Input<K>): Promise<Output<K>>;
  /** Returns its unsubscribe function. */
  on<K extends keyof Events>(name: K, listener: (payload: Payload<K>) => void): () => void;
}
export * from './smoothing';
