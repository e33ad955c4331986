// The desktop app: the Electron main process. It builds the same services as the other hosts
// (services/app.ts) and adds only what a desktop needs: the window, the preload bridge, the
// application menu, native dialogs, a single-instance lock and trainers as utility processes.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  session,
  shell,
  type MenuItemConstructorOptions,
} from 'electron';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ContractError,
  createRegistry,
  IPC_EVENT,
  IPC_INVOKE,
  routes,
  type EventName,
  type Registry,
} from '../../shared/contract';
import { resolveDataDir } from '../cli/data-dir';
import { AnnealabApp } from '../services/app';
import { setTrainerSpawner } from '../services/trainer-process';
import { CONTENT_SECURITY_POLICY } from '../web/server';
import { utilityTrainer } from './utility-trainer';

const PRELOAD = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const RENDERER_HTML = fileURLToPath(new URL('../renderer/index.html', import.meta.url));

let window: BrowserWindow | null = null;
let core: AnnealabApp | null = null;

function send(name: EventName, payload: unknown): void {
  if (window && !window.isDestroyed()) window.webContents.send(IPC_EVENT, name, payload);
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'Annealab',
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#14181d' : '#f6f7f9',
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // Links to the outside open in the browser; the window never navigates away from the app.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith('file://') && url !== process.env.ELECTRON_RENDERER_URL) e.preventDefault();
  });
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(RENDERER_HTML);
  return win;
}

function registerIpc(registry: Registry): void {
  ipcMain.handle(IPC_INVOKE, async (event, name: unknown, input: unknown) => {
    // Only our own window's frames may call the contract.
    if (!window || event.sender !== window.webContents) {
      return { ok: false, error: { message: 'not from the app window', code: 'unsupported' } };
    }
    try {
      return { ok: true, value: await registry.invoke(String(name), input) };
    } catch (err) {
      const e =
        err instanceof ContractError
          ? err
          : new ContractError(err instanceof Error ? err.message : String(err), 'internal');
      return { ok: false, error: e.toBody() };
    }
  });
}

function command(c: {
  command: 'navigate' | 'new-experiment' | 'open-spec' | 'toggle-theme';
  view?: string;
}) {
  send('app.command', c);
}

function buildMenu(): Menu {
  const isMac = process.platform === 'darwin';
  const view = (label: string, v: string, key: string): MenuItemConstructorOptions => ({
    label,
    accelerator: `CmdOrCtrl+${key}`,
    click: () => command({ command: 'navigate', view: v }),
  });
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        {
          label: 'New Experiment',
          accelerator: 'CmdOrCtrl+N',
          click: () => command({ command: 'new-experiment' }),
        },
        { label: 'Open Spec…', accelerator: 'CmdOrCtrl+O', click: () => command({ command: 'open-spec' }) },
        { type: 'separator' },
        {
          label: 'Show Data Folder',
          click: () => {
            if (core) void shell.openPath(core.dataDir);
          },
        },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        view('Experiments', 'experiments', '1'),
        view('Queue', 'queue', '2'),
        view('Compare', 'compare', '3'),
        view('Datasets', 'datasets', '4'),
        view('System', 'system', '5'),
        { type: 'separator' },
        {
          label: 'Toggle Dark Theme',
          accelerator: 'CmdOrCtrl+Shift+D',
          click: () => command({ command: 'toggle-theme' }),
        },
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        {
          label: 'About Annealab',
          click: () =>
            void dialog.showMessageBox({
              type: 'info',
              title: 'Annealab',
              message: `Annealab ${app.getVersion()}`,
              detail: `Training methods for deep networks: SGD, scheduled SGD, cold restarts, SSA, SGD-SA.\nData: ${core?.dataDir ?? ''}`,
            }),
        },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}

async function start(): Promise<void> {
  setTrainerSpawner(utilityTrainer);
  core = AnnealabApp.start({ dataDir: resolveDataDir(undefined), host: 'electron', role: 'desktop app' });
  core.subscribe((name, payload) => send(name, payload));
  const registry = createRegistry(
    routes,
    {
      ...core.handlers,
      'host.openFile': async ({ title, extensions }) => {
        const r = await dialog.showOpenDialog(window!, {
          title,
          properties: ['openFile'],
          filters: [{ name: extensions.join(', ').toUpperCase(), extensions }],
        });
        const path = r.filePaths[0];
        if (r.canceled || !path) return null;
        return { name: basename(path), content: await readFile(path, 'utf8') };
      },
      'host.choosePaths': async ({ title, folders }) => {
        const r = await dialog.showOpenDialog(window!, {
          title,
          properties: [folders ? 'openDirectory' : 'openFile', 'multiSelections'],
        });
        return r.canceled ? [] : r.filePaths;
      },
      'host.saveFile': async ({ filename, content, encoding }) => {
        const r = await dialog.showSaveDialog(window!, { defaultPath: filename });
        if (r.canceled || !r.filePath) return null;
        await writeFile(r.filePath, encoding === 'base64' ? Buffer.from(content, 'base64') : content);
        return { path: r.filePath };
      },
    },
    'electron',
  );
  registerIpc(registry);
  // The same policy the browser host sends, for every response the window loads.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  Menu.setApplicationMenu(buildMenu());
  window = createWindow();
}

// One desktop app per user: a second launch focuses the first window instead.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app
    .whenReady()
    .then(start)
    .catch((err: unknown) => {
      // A failure to open the store (e.g. better-sqlite3 built for Node's ABI, not Electron's)
      // is shown, not swallowed.
      dialog.showErrorBox('Annealab could not start', err instanceof Error ? err.message : String(err));
      app.exit(1);
    });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0 && core) window = createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let quitting = false;
  app.on('before-quit', (e) => {
    if (quitting || !core) return;
    // Trainers stop within a minibatch and resume later from their checkpoints.
    e.preventDefault();
    quitting = true;
    void core.close().finally(() => app.quit());
  });
}
