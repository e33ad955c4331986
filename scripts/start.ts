// `npm start`: the desktop app where Electron can run; otherwise (no Electron binary, no
// display) the browser host, which prints its URL. Builds what it needs first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RENDERER_INDEX = join(ROOT, 'out', 'renderer', 'index.html');
const BUILD_INPUTS = ['src/renderer', 'src/shared', 'src/preload', 'src/main', 'electron.vite.config.ts'];

/** The Electron executable if its binary was downloaded (npm install does, where it can reach it). */
export function electronBinary(root = ROOT): string | null {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

/** Why the desktop app cannot open here, or null when it can. */
export function whyNoDesktop(env: NodeJS.ProcessEnv = process.env, root = ROOT): string | null {
  if (env.ANNEALAB_NO_ELECTRON) return 'ANNEALAB_NO_ELECTRON is set';
  if (!electronBinary(root)) {
    return "Electron's binary is not installed (npm install downloads it; on this machine it could not)";
  }
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
  }
  return null;
}

/**
 * better-sqlite3 is a native module built for one ABI: Node's after `npm install`, Electron's
 * after `electron-builder install-app-deps`. Ask Electron (as plain Node) whether it loads.
 */
export function sqliteLoadsInElectron(bin: string, root = ROOT): boolean {
  const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
  const r = spawnSync(bin, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
    cwd: root,
    env,
    stdio: 'ignore',
    timeout: 30_000,
  });
  return r.status === 0;
}

function newestMtime(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** The bundles are missing or older than a source file that goes into them. */
export function buildIsStale(root = ROOT): boolean {
  const index = join(root, 'out', 'renderer', 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  return BUILD_INPUTS.some((p) => newestMtime(join(root, p)) > built);
}

/** Runs one build step, quietly unless it fails. */
function buildStep(what: string, script: string, args: string[]): void {
  process.stderr.write(`building ${what}…\n`);
  const r = spawnSync(process.execPath, [join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) {
    process.stderr.write('the build failed (see above)\n');
    process.exit(r.status ?? 1);
  }
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function main(): void {
  // The CLI's build (what the browser host runs) is quick and rewrites only what changed.
  buildStep('the CLI and the trainer (scripts/build-node.mjs)', 'scripts/build-node.mjs', []);
  if (buildIsStale() || !existsSync(RENDERER_INDEX)) {
    buildStep('the app (electron-vite build)', 'node_modules/electron-vite/bin/electron-vite.js', ['build']);
  }
  let why = whyNoDesktop();
  if (!why && !sqliteLoadsInElectron(electronBinary()!)) {
    why =
      "better-sqlite3 is built for Node's ABI, not Electron's (run `npx electron-builder install-app-deps` " +
      'to open the desktop app, and `npm rebuild better-sqlite3` to go back for the CLI and the tests)';
  }
  if (!why) {
    const env = { ...process.env };
    // Set by some tools; it would make Electron a plain Node.
    delete env.ELECTRON_RUN_AS_NODE;
    run(electronBinary()!, [ROOT, ...process.argv.slice(2)], env);
    return;
  }
  process.stderr.write(`the desktop app cannot open here: ${why}; starting the browser host instead\n`);
  run(process.execPath, [join(ROOT, 'bin', 'annealab.mjs'), 'serve', ...process.argv.slice(2)]);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
