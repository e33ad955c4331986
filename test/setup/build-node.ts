// Vitest's global set-up: the Node build (scripts/build-node.mjs) before any test file runs, so
// that the CLI, trainers and bench workers the tests start are the sources as they are now, also
// when one file is run alone. A test-time build: nothing is built while the app runs. About a
// second, and it rewrites only files that changed.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export default function setup(): void {
  const r = spawnSync(process.execPath, ['scripts/build-node.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the Node build failed (node scripts/build-node.mjs):\n${r.stderr}`);
}
