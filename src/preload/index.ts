// The preload bridge: the shared contract and nothing else, as one frozen object. Route and
// event names are checked against the contract here, before anything reaches the main process.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import {
  ContractError,
  EVENT_NAMES,
  IPC_EVENT,
  IPC_INVOKE,
  ROUTE_NAMES,
  type ContractErrorBody,
} from '../shared/contract';

const routeNames = new Set<string>(ROUTE_NAMES);
const eventNames = new Set<string>(EVENT_NAMES);

type Reply = { ok: true; value: unknown } | { ok: false; error: ContractErrorBody };

const bridge = Object.freeze({
  async invoke(name: string, input: unknown): Promise<unknown> {
    if (!routeNames.has(name)) throw new ContractError(`unknown route "${name}"`, 'unknown-route');
    const reply = (await ipcRenderer.invoke(IPC_INVOKE, name, input)) as Reply;
    // Errors cross IPC as plain data: rebuild them so the renderer sees problems by path.
    if (!reply.ok) throw ContractError.fromBody(reply.error);
    return reply.value;
  },
  on(name: string, listener: (payload: unknown) => void): () => void {
    if (!eventNames.has(name)) throw new Error(`unknown event "${name}"`);
    const handler = (_e: IpcRendererEvent, event: string, payload: unknown) => {
      if (event === name) listener(payload);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => void ipcRenderer.removeListener(IPC_EVENT, handler);
  },
  /** The path of a file dropped on the window (drag-and-drop import). */
  pathForFile(file: Parameters<typeof webUtils.getPathForFile>[0]): string {
    return webUtils.getPathForFile(file);
  },
});

contextBridge.exposeInMainWorld('annealab', bridge);
