// The Electron main process (src/main/electron) against a stand-in `electron` module: Electron's
// binary cannot run on this machine, so this checks what the shell adds to the shared services
// without it: the window's security settings, the single-instance lock, the one IPC channel
// served from the contract (and only to the app's window), events to the window, the CSP on
// every response, the menu's commands, native dialogs, trainers as utility processes, and a
// quit that interrupts runs instead of losing them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_EVENT, IPC_INVOKE } from '../../src/shared/contract';

const h = vi.hoisted(() => {
  const state = {
    windows: [] as any[],
    handlers: new Map<string, (...args: any[]) => unknown>(),
    appEvents: new Map<string, (...args: any[]) => unknown>(),
    menu: null as any,
    headersHook: null as null | ((details: any, cb: (r: any) => void) => void),
    sent: [] as [string, string, unknown][],
    lock: vi.fn(() => true),
    quit: vi.fn(),
    forks: [] as any[],
    saveTo: '',
  };
  return state;
});

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  class BrowserWindow extends Emitter {
    static getAllWindows = () => h.windows;
    webContents: any;
    loaded: string | null = null;
    constructor(readonly options: any) {
      super();
      const contents = new Emitter() as any;
      contents.send = (channel: string, name: string, payload: unknown) =>
        h.sent.push([channel, name, payload]);
      contents.setWindowOpenHandler = (f: unknown) => (contents.openHandler = f);
      this.webContents = contents;
      h.windows.push(this);
    }
    loadFile(path: string) {
      this.loaded = path;
      return Promise.resolve();
    }
    loadURL(url: string) {
      this.loaded = url;
      return Promise.resolve();
    }
    show() {}
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus = vi.fn();
  }
  return {
    app: {
      requestSingleInstanceLock: h.lock,
      on: (event: string, f: (...args: any[]) => unknown) => h.appEvents.set(event, f),
      whenReady: () => Promise.resolve(),
      quit: h.quit,
      exit: vi.fn(),
      getVersion: () => '0.0.0-test',
    },
    BrowserWindow,
    ipcMain: { handle: (channel: string, f: (...args: any[]) => unknown) => h.handlers.set(channel, f) },
    Menu: {
      buildFromTemplate: (template: unknown) => ({ template }),
      setApplicationMenu: (menu: unknown) => (h.menu = menu),
    },
    dialog: {
      showSaveDialog: async () => ({ canceled: false, filePath: h.saveTo }),
      showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
      showErrorBox: vi.fn(),
      showMessageBox: vi.fn(),
    },
    nativeTheme: { shouldUseDarkColors: false },
    session: {
      defaultSession: { webRequest: { onHeadersReceived: (f: any) => (h.headersHook = f) } },
    },
    shell: { openExternal: vi.fn(), openPath: vi.fn() },
    utilityProcess: {
      fork: (entry: string, args: string[], options: unknown) => {
        const child = new Emitter() as any;
        child.entry = entry;
        child.options = options;
        child.posted = [] as unknown[];
        child.postMessage = (m: unknown) => child.posted.push(m);
        child.stderr = new Emitter();
        child.stderr.setEncoding = () => {};
        h.forks.push(child);
        return child;
      },
    },
  };
});

describe('the Electron main process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annealab-electron-'));
  const before = process.env.ANNEALAB_DATA_DIR;
  let win: any;
  const invoke = (name: string, input: unknown, sender = win.webContents) =>
    h.handlers.get(IPC_INVOKE)!({ sender }, name, input) as Promise<any>;

  beforeAll(async () => {
    process.env.ANNEALAB_DATA_DIR = dir;
    await import('../../src/main/electron/main');
    await vi.waitFor(() => expect(h.windows).toHaveLength(1));
    win = h.windows[0];
  });

  afterAll(async () => {
    // Quit as the app would, so that the store closes and the executor lease is released.
    const quit = h.appEvents.get('before-quit');
    if (quit) quit({ preventDefault: () => {} });
    await vi.waitFor(() => expect(h.quit).toHaveBeenCalled());
    if (before === undefined) delete process.env.ANNEALAB_DATA_DIR;
    else process.env.ANNEALAB_DATA_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the single-instance lock and focuses the window on a second launch', () => {
    expect(h.lock).toHaveBeenCalled();
    h.appEvents.get('second-instance')!();
    expect(win.focus).toHaveBeenCalled();
  });

  it('opens the window with context isolation and the sandbox on, node integration off', () => {
    const prefs = win.options.webPreferences;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(prefs.preload).toMatch(/preload[/\\]index\.cjs$/);
    expect(win.loaded).toMatch(/renderer[/\\]index\.html$/);
    // New windows are refused; the window never navigates away from the app.
    expect(win.webContents.openHandler({ url: 'https://example.org' })).toEqual({ action: 'deny' });
    const e = { preventDefault: vi.fn() };
    win.webContents.emit('will-navigate', e, 'https://evil.example/');
    expect(e.preventDefault).toHaveBeenCalled();
  });

  it('adds the Content-Security-Policy to every response', () => {
    let headers: any;
    h.headersHook!({ responseHeaders: { 'X-Other': ['1'] } }, (r) => (headers = r.responseHeaders));
    expect(headers['X-Other']).toEqual(['1']);
    expect(headers['Content-Security-Policy'][0]).toContain("script-src 'self'");
    expect(headers['Content-Security-Policy'][0]).toContain("object-src 'none'");
  });

  it('serves the contract on one channel, to the app window only', async () => {
    await expect(invoke('app.info', {})).resolves.toEqual({
      ok: true,
      value: { host: 'electron', version: expect.any(String), dataDir: dir },
    });
    await expect(invoke('queue.list', {}, { other: true })).resolves.toMatchObject({
      ok: false,
      error: { code: 'unsupported' },
    });
    await expect(invoke('nope', {})).resolves.toMatchObject({ ok: false, error: { code: 'unknown-route' } });
    const bad = await invoke('experiments.submit', { spec: { name: '' } });
    expect(bad.ok).toBe(false);
    expect(bad.error.problems.map((p: { path: string }) => p.path)).toContain('name');
  });

  it('sends the services’ events to the window', async () => {
    h.sent.length = 0;
    await invoke('queue.pause', {});
    expect(h.sent).toContainEqual([IPC_EVENT, 'queue.changed', { reason: 'paused' }]);
    await invoke('queue.resume', {});
  });

  it('saves exports through the native save dialog', async () => {
    h.saveTo = join(dir, 'table.csv');
    await expect(
      invoke('host.saveFile', { filename: 'table.csv', content: 'Method,Loss\n', encoding: 'utf8' }),
    ).resolves.toEqual({ ok: true, value: { path: h.saveTo } });
    expect(readFileSync(h.saveTo, 'utf8')).toBe('Method,Loss\n');
    h.saveTo = join(dir, 'figure.png');
    await invoke('host.saveFile', {
      filename: 'figure.png',
      content: Buffer.from([137, 80, 78, 71]).toString('base64'),
      encoding: 'base64',
    });
    expect([...readFileSync(h.saveTo)]).toEqual([137, 80, 78, 71]);
    await expect(invoke('host.openFile', { title: 'Open', extensions: ['json'] })).resolves.toEqual({
      ok: true,
      value: null,
    });
  });

  it('has a menu whose items drive the renderer', () => {
    const template = h.menu.template as any[];
    const labels = template.map((m) => m.label ?? m.role);
    expect(labels).toEqual(expect.arrayContaining(['File', 'View', 'editMenu', 'windowMenu', 'help']));
    const view = template.find((m) => m.label === 'View');
    h.sent.length = 0;
    view.submenu.find((i: any) => i.label === 'Queue').click();
    const file = template.find((m) => m.label === 'File');
    file.submenu.find((i: any) => i.label === 'New Experiment').click();
    expect(h.sent).toEqual([
      [IPC_EVENT, 'app.command', { command: 'navigate', view: 'queue' }],
      [IPC_EVENT, 'app.command', { command: 'new-experiment' }],
    ]);
  });

  it('starts trainers as utility processes speaking the trainer protocol', async () => {
    const { utilityTrainer } = await import('../../src/main/electron/utility-trainer');
    const channel = utilityTrainer();
    const child = h.forks.at(-1);
    expect(child.entry).toMatch(/trainer\.js$/);
    expect(child.options).toMatchObject({ serviceName: 'Annealab trainer' });
    channel.send({ type: 'cancel' });
    expect(child.posted).toEqual([{ type: 'cancel' }]);
    const got: unknown[] = [];
    channel.onMessage((e) => got.push(e));
    let exited: unknown[] = [];
    channel.onExit((code, signal) => (exited = [code, signal]));
    child.emit('message', { type: 'log', message: 'hi' });
    child.emit('exit', 3);
    expect(got).toEqual([{ type: 'log', message: 'hi' }]);
    expect(exited).toEqual([3, null]);
    expect(channel.connected).toBe(false);
    channel.send({ type: 'cancel' });
    expect(child.posted).toHaveLength(1);
  });
});
