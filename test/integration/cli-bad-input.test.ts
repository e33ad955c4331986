// Bad input to the real `annealab` command: each refusal names what was wrong and what to do,
// exits 2 without a stack trace, and writes nothing. Nothing here trains.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeSpec } from '../helpers/cli';

const base = { name: 'x', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'sgd' }] };

/** Exit 2, the message on stderr without a stack, and no data dir made. */
async function refused(args: string[], dataDir: string): Promise<string> {
  const r = await runCli(args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe('');
  expect(existsSync(join(dataDir, 'annealab.db'))).toBe(false);
  return r.stderr;
}

describe('annealab run refuses a spec beyond the bounds', () => {
  it('names each problem by its path, with the whole train split known to the services', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const seeds = Array.from({ length: 1001 }, (_, i) => i);
    const spec = writeSpec(dir, { ...base, seeds, batchSize: 9000 });
    const err = await refused(['run', spec, '--data-dir', data], data);
    expect(err).toContain(
      '(spec): 1,001 runs (1 models × 1 methods after sweeps × 1,001 seeds) exceed the limit of 1,000 per spec',
    );
    expect(err).toContain('pass --allow-large');
    expect(err).toContain(
      `batchSize: must be at most the training set's 8,000 examples (the training split of "mnist")`,
    );
    // --allow-large lifts the run limit and nothing else.
    const allowed = await refused(['run', spec, '--allow-large', '--data-dir', data], data);
    expect(allowed).not.toContain('(spec)');
    expect(allowed).toContain('batchSize: must be at most');
  });

  it('reads a spec with a byte-order mark and gives a syntax error its line and column', async () => {
    const dir = tempDir();
    const data = join(dir, 'data');
    const bom = writeSpec(dir, `\uFEFF${JSON.stringify({ ...base, seeds: [1, 1] })}`, 'bom.json');
    expect(await refused(['run', bom, '--data-dir', data], data)).toContain(
      'seeds[1]: duplicates seeds[0] (1): a repeated seed repeats the same run; list each seed once',
    );
    const broken = writeSpec(dir, '{\n  "name": "x",\n  "epochs": 2\n  "seeds": [1]\n}', 'broken.json');
    expect(await refused(['run', broken, '--data-dir', data], data)).toContain(
      "broken.json is not valid JSON: line 4, column 3: Expected ',' or '}' after property value",
    );
  });
});
