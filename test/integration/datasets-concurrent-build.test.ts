// Several processes asking for a built-in that is not converted yet, at the same moment
// (e.g. the trainers of one experiment starting together): all must get the same complete
// data and leave one file behind.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const datasetsModule = resolve(import.meta.dirname, '../../src/main/datasets/index.ts');

const child = `
const { createHash } = await import('node:crypto');
const { loadDataset } = await import(process.argv[1]);
const d = await loadDataset(process.argv[2], 'mnist');
const hash = createHash('sha256');
for (const part of [d.train.images, d.train.labels, d.test.images, d.test.labels]) hash.update(part);
console.log(hash.digest('hex'));
`;

function loadInChild(dataDir: string): Promise<string> {
  return new Promise((done, fail) => {
    const proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', child, datasetsModule, dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('error', fail);
    proc.on('close', (code) =>
      code === 0 ? done(out.trim()) : fail(new Error(`child exited ${code}: ${err}`)),
    );
  });
}

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'annealab-concurrent-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

it('lets several processes build and read the same built-in at once', async () => {
  const hashes = await Promise.all([1, 2, 3].map(() => loadInChild(dataDir)));
  expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);
  expect(new Set(hashes).size).toBe(1);
  expect(await readdir(join(dataDir, 'datasets'))).toEqual(['mnist.annds']);
  // And a later process reads what they left.
  expect(await loadInChild(dataDir)).toBe(hashes[0]);
});
