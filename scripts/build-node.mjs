#!/usr/bin/env node
// The Node build: the three entries that run under plain node, bundled by one esbuild step into
// out/node/ — the `annealab` CLI (bin/annealab.mjs imports it), the trainer (forked once per
// run) and the bench worker (spawned once per measurement). Packages stay external and resolve
// from the checkout's node_modules, as from the sources. (The Electron app is electron-vite's
// build: out/main, out/preload, out/renderer.)
//
// Run by `npm run build`, `npm run build:app`, `npm test`, npm's `prepare` (after `npm install`
// or `npm ci` in a checkout) and the test suite's global set-up. Plain JavaScript so that it
// needs nothing but esbuild; about a second.
//
//   node scripts/build-node.mjs
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const NODE_OUT_DIR = join(ROOT, 'out', 'node');

/** out/node/<name>.mjs ← its source. */
export const NODE_ENTRIES = {
  cli: 'src/main/cli/main.ts',
  trainer: 'src/main/trainer/process.ts',
  'bench-worker': 'src/main/bench/worker.ts',
  'analysis-worker': 'src/main/trainer/analysis/worker.ts',
};

/** Builds out/node/; returns the files it (re)wrote. */
export async function buildNode() {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: NODE_ENTRIES,
    outdir: NODE_OUT_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'error',
    // Kept in memory and written below: a process that starts meanwhile (a test run forking a
    // trainer while another rebuilds) must never read half a file.
    write: false,
  });
  const written = [];
  for (const file of result.outputFiles) {
    let old = null;
    try {
      old = readFileSync(file.path);
    } catch {
      // not built yet
    }
    if (old && Buffer.compare(old, file.contents) === 0) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const partial = `${file.path}.${process.pid}.tmp`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
    written.push(relative(ROOT, file.path));
  }
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const written = await buildNode();
    process.stderr.write(
      `out/node: ${written.length ? `wrote ${written.filter((f) => f.endsWith('.mjs')).join(', ') || 'source maps'}` : 'up to date'}\n`,
    );
  } catch (err) {
    // esbuild has printed the errors with their places.
    process.stderr.write(
      `the Node build failed: ${err instanceof Error ? err.message.split('\n')[0] : err}\n`,
    );
    process.exit(1);
  }
}
