// The preload bridge (src/preload/index.ts) against a stand-in `electron` module: one frozen
// object with invoke and on (and the path of a dropped file), driven by the contract's names,
// errors rebuilt with their problems, `on` returning its unsubscribe function.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ContractError, IPC_EVENT, IPC_INVOKE } from '../../src/shared/contract';

const exposed: Record<string, any> = {};
const listeners = new Set<(e: unknown, name: string, payload: unknown) => void>();
const invoke = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => invoke(...args),
    on: (channel: string, l: (e: unknown, name: string, payload: unknown) => void) => {
      expect(channel).toBe(IPC_EVENT);
      listeners.add(l);
    },
    removeListener: (_channel: string, l: (e: unknown, name: string, payload: unknown) => void) =>
      listeners.delete(l),
  },
  webUtils: { getPathForFile: (f: { name: string }) => `/dropped/${f.name}` },
}));

describe('the preload bridge', () => {
  beforeAll(async () => {
    await import('../../src/preload/index');
  });

  it('exposes one frozen object: invoke, on, pathForFile', () => {
    const bridge = exposed.annealab;
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'on', 'pathForFile']);
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.keys(exposed)).toEqual(['annealab']);
    expect(bridge.pathForFile({ name: 'a.idx' })).toBe('/dropped/a.idx');
  });

  it('invokes declared routes on the one channel and refuses others before IPC', async () => {
    invoke.mockResolvedValueOnce({ ok: true, value: { paused: false } });
    await expect(exposed.annealab.invoke('queue.list', {})).resolves.toEqual({ paused: false });
    expect(invoke).toHaveBeenCalledWith(IPC_INVOKE, 'queue.list', {});
    invoke.mockClear();
    await expect(exposed.annealab.invoke('fs.readFile', { path: '/etc/passwd' })).rejects.toMatchObject({
      code: 'unknown-route',
    });
    expect(invoke).not.toHaveBeenCalled();
  });

  it('rebuilds errors with their problems', async () => {
    invoke.mockResolvedValueOnce({
      ok: false,
      error: {
        message: 'bad',
        code: 'bad-input',
        problems: [{ path: 'methods[0].lr', message: 'must be > 0' }],
      },
    });
    const err = await exposed.annealab.invoke('experiments.submit', { spec: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect(err.problems).toEqual([{ path: 'methods[0].lr', message: 'must be > 0' }]);
  });

  it('delivers declared events to their listeners until unsubscribed', () => {
    const got: unknown[] = [];
    const off = exposed.annealab.on('queue.changed', (p: unknown) => got.push(p));
    for (const l of listeners) l({}, 'queue.changed', { reason: 'x' });
    for (const l of listeners) l({}, 'runner', { type: 'log' });
    expect(got).toEqual([{ reason: 'x' }]);
    off();
    expect(listeners.size).toBe(0);
    expect(() => exposed.annealab.on('nope', () => {})).toThrow(/unknown event/);
  });
});
