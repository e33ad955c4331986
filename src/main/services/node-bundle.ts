// Child processes that run our TypeScript (trainers, bench workers) start from one bundled
// JavaScript file built by esbuild in the host, instead of through tsx's loader in each child:
// the loader compiles every module on each start and runs its hooks on a thread of its own with a
// heap of its own, ~70 MB of resident memory per trainer process (bench/RESULTS.md).
//
// The bundle is built once per host process, from the sources as they are now (so it can never
// be stale), and written under node_modules/.cache/annealab/, named by its content's hash:
// - packages stay external and resolve from there as from the checkout;
// - that directory is three levels below the checkout, like src/main/<dir>/, so the sources'
//   `new URL('../../../package.json', import.meta.url)` finds the checkout's package.json.
// When it cannot be built (no esbuild binary, read-only install), callers fall back to tsx.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'annealab');

const built = new Map<string, string | null>();

/** Bundles of other versions of the sources are deleted once unused for this long. */
const STALE_MS = 7 * 24 * 3600 * 1000;

/**
 * esbuild's command line, run to completion: its JS API would keep a service process alive
 * beside the host for the rest of its life. npm installs the command as the native binary, or
 * as a node script where it cannot (Windows, or when install scripts were skipped).
 */
function runEsbuild(args: string[]): Buffer {
  const bin = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');
  const options = { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[] };
  try {
    return execFileSync(bin, args, options);
  } catch (err) {
    // It ran and failed (an exit status): a real build error. It could not start (ENOEXEC, or
    // Windows refusing a script): the command is the node script, run it with node.
    if (typeof (err as { status?: unknown }).status === 'number') throw err;
    return execFileSync(process.execPath, [bin, ...args], options);
  }
}

/**
 * The path of `entry` (a TypeScript file) bundled for node, or null when it cannot be bundled
 * here (the reason goes to `warn`). Cached for the life of this process.
 */
export function nodeBundle(entry: string, warn: (message: string) => void = () => {}): string | null {
  const cached = built.get(entry);
  // A long-lived host re-creates its bundle if something deleted it meanwhile.
  if (cached === null || (cached !== undefined && existsSync(cached))) return cached;
  let path: string | null = null;
  try {
    const code = runEsbuild([
      entry,
      '--bundle',
      '--platform=node',
      '--format=esm',
      '--target=node20',
      '--packages=external',
      '--log-level=error',
    ]);
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    const name = entry.replace(/^.*[\\/]/, '').replace(/\.ts$/, '');
    path = join(CACHE, `${name}-${hash}.mjs`);
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      // Written whole then renamed: a process starting meanwhile never sees half a file.
      const partial = `${path}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, path);
      pruneStale(name, path);
    }
  } catch (err) {
    warn(`Could not bundle ${entry} (${(err as Error).message.split('\n')[0]}); using tsx instead.`);
    path = null;
  }
  built.set(entry, path);
  return path;
}

/**
 * Deletes this entry's bundles of other source versions not written for STALE_MS: every edit of
 * the sources makes a new one. (A host still running from one that old would re-create it.)
 */
function pruneStale(name: string, keep: string): void {
  const now = Date.now();
  for (const file of readdirSync(CACHE)) {
    const path = join(CACHE, file);
    if (path === keep || !file.startsWith(`${name}-`)) continue;
    try {
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    } catch {
      // Another host pruned it first.
    }
  }
}
