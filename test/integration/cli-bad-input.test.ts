// Bad input to the real `annealab` command: each refusal names what was wrong and what to do,
// exits 2 without a stack trace, and writes nothing. Nothing here trains.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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

describe('ordinary errors of the other commands', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    dir = tempDir();
    data = join(dir, 'data');
    // One SGD run of one epoch on 100 images: an experiment with no SSA or SGD-SA in it.
    const spec = {
      ...base,
      dataset: { id: 'mnist', trainSize: 100, testSize: 50 },
      epochs: 1,
      batchSize: 50,
    };
    const r = await runCli(['run', writeSpec(dir, spec), '--json', '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
  });

  /** Exit 2 with `message` on stderr, no stack trace, nothing on stdout. */
  async function ordinary(args: string[], message: string | RegExp) {
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  }

  it('refuses --out into a missing folder before doing anything, writing nothing', async () => {
    const out = join(dir, 'missing', 'table.csv');
    await ordinary(
      ['export', 'x', '--format', 'csv', '--out', out, '--data-dir', data],
      `--out ${out}: the folder ${join(dir, 'missing')} does not exist; create it or choose another path`,
    );
    await ordinary(
      ['figure', 'x', '--kind', 'val-loss', '--out', join(dir, 'missing', 'f.svg'), '--data-dir', data],
      /the folder .*missing does not exist/,
    );
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    await ordinary(
      ['export', 'x', '--format', 'csv', '--out', dir, '--data-dir', data],
      /cannot write it \(EISDIR\)/,
    );
  });

  it('refuses a figure the experiment has no runs for, naming the kinds that apply', async () => {
    await ordinary(
      ['figure', 'x', '--kind', 'acceptance', '--data-dir', data],
      /cannot draw "acceptance": no finished SSA or SGD-SA run with worsening moves among the 1 runs given; choose another figure kind \(val-accuracy, val-loss, /,
    );
  });

  it('refuses a data dir under a regular file or where no folder can be made, without hanging', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    await ordinary(
      ['runs', 'list', '--data-dir', join(file, 'sub')],
      `cannot use the data dir ${join(file, 'sub')}: ${file} is a file, not a folder; choose another --data-dir`,
    );
    // Node 20's recursive mkdir spins at 100 % CPU here; the test's timeout would catch a hang.
    await ordinary(
      ['runs', 'list', '--data-dir', '/proc/annealab-nope/x'],
      'cannot create the data dir /proc/annealab-nope/x (ENOENT at /proc/annealab-nope); choose a folder you can write',
    );
    expect(readdirSync(dir).sort()).toEqual(['a-file', 'data', 'spec.json']);
  }, 20_000);

  it('exits 2 for a missing required option, like any bad input', async () => {
    await ordinary(
      ['export', 'x', '--data-dir', data],
      "error: required option '--format <format>' not specified",
    );
    await ordinary(['figure', 'x', '--data-dir', data], "required option '--kind <kind>' not specified");
    const help = await runCli(['export', '--help']);
    expect(help.code).toBe(0);
  });
});
