// `annealab serve`: the workbench UI in a browser, for headless GPU servers (over an SSH
// tunnel) and for the end-to-end tests. Executes the queue like the desktop app does.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { AnnealabApp } from '../../services/app';
import { startWebHost } from '../../web/server';
import { UserError } from '../errors';

type DataDirResolver = (flag?: string) => string;

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port, 0–65535');
  return n;
};

export interface ServeOptions {
  port?: number;
  host?: string;
  dataDir: string;
  rendererDir?: string;
  /** Print the URL as one JSON line (for scripts and tests) instead of prose. */
  json?: boolean;
  /** Folders besides home and the data dir that the browser may import datasets from. */
  importRoots?: string[];
}

/** `--import-root DIR`, repeatable: each an existing folder, checked before anything starts. */
const importRoot = (v: string, previous: string[] = []) => {
  let isDir = false;
  try {
    isDir = statSync(v).isDirectory();
  } catch {
    // Missing: the same refusal.
  }
  if (!isDir) throw new InvalidArgumentError(`${v} is not a folder; give an existing folder to import from`);
  return [...previous, resolve(v)];
};

export async function serveCommand(o: ServeOptions): Promise<void> {
  const app = AnnealabApp.start({ dataDir: o.dataDir, host: 'web', role: 'annealab serve' });
  let host;
  try {
    host = await startWebHost(app, {
      port: o.port,
      host: o.host,
      rendererDir: o.rendererDir,
      importRoots: o.importRoots,
    });
  } catch (err) {
    await app.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new UserError(`port ${o.port} is in use; choose another with --port`);
    throw err;
  }
  const executor = app.executorState();
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ type: 'listening', url: host.url, port: host.port, dataDir: o.dataDir })}\n`,
    );
  } else {
    process.stdout.write(`Annealab is at ${host.url}\n`);
    process.stderr.write(
      `data dir ${o.dataDir} · ${executor.self ? 'executing the queue' : `the queue is executed by ${executor.role} (pid ${executor.pid}); this host follows it and takes over when it ends`}\n` +
        'the token in the URL is the only key: do not share it. Ctrl-C stops (running runs resume later from their checkpoints).\n',
    );
  }
  await new Promise<void>((done) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(130);
      stopping = true;
      process.stderr.write('stopping: running runs stop after their current minibatch\n');
      void host
        .close()
        .then(() => app.close())
        .then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerServeCommand(program: Command, resolveDataDir: DataDirResolver): void {
  program
    .command('serve')
    .description('the workbench UI in a browser: prints a URL with a secret token; binds 127.0.0.1')
    .option('--port <n>', 'port to listen on (default: a free one)', port)
    .option(
      '--host <address>',
      'address to bind (default 127.0.0.1; anything else exposes the UI)',
      '127.0.0.1',
    )
    .option('--json', 'print the URL as one JSON line')
    .option('--data-dir <dir>', 'where results live (default: $ANNEALAB_DATA_DIR or the app-data folder)')
    .option(
      '--import-root <dir>',
      'a folder the browser may import datasets from, besides your home and the data dir (repeatable)',
      importRoot,
    )
    .action(
      async (o: { port?: number; host: string; json?: boolean; dataDir?: string; importRoot?: string[] }) => {
        const { importRoot: importRoots, ...rest } = o;
        await serveCommand({ ...rest, importRoots, dataDir: resolveDataDir(o.dataDir) });
      },
    );
}
