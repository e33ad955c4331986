// `annealab export` and `annealab figure` over two differently configured experiments that
// really ran (the real CLI, trainer processes and SQLite file): rows are never pooled across
// settings, the CSV reads back as data, --baseline takes a unique label prefix, and a PNG is
// never written to a terminal.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIGURE_DESCRIPTIONS, FIGURE_KINDS } from '../../src/shared/options';
import { BIN, runCli, tempDir, writeSpec } from '../helpers/cli';

const PYTHON = '/usr/bin/python3';

/** Two tiny experiments that differ in epochs and training subset, as the 3 vs 12 epochs. */
function spec(name: string, epochs: number, trainSize: number) {
  return {
    name,
    dataset: { id: 'mnist', trainSize, testSize: 50 },
    models: ['mlp'],
    methods: [{ id: 'sgd', lr: 0.1 }, { id: 'ssa' }],
    seeds: [1, 2],
    epochs,
    batchSize: 50,
    backend: 'cpu',
  };
}

let dir: string;
let data: string;

beforeAll(async () => {
  dir = tempDir();
  data = join(dir, 'data');
  const a = writeSpec(dir, spec('short', 1, 100), 'short.json');
  const b = writeSpec(dir, spec('long', 2, 200), 'long.json');
  const r = await runCli(['run', a, b, '--json', '--data-dir', data]);
  expect(r.code, r.stderr).toBe(0);
}, 300_000);

/**
 * Reads CSV as pandas `read_csv(comment='#')` and R `read.csv(comment.char='#')` do: comment
 * lines skipped, the rest through Python's csv module; every record must have the header's
 * field count and every number must parse as one.
 */
function readAsData(csv: string): { header: string[]; rows: Record<string, string>[]; comments: string[] } {
  const script = [
    'import csv, io, json, sys',
    'text = sys.stdin.read()',
    'lines = text.splitlines(keepends=True)',
    "comments = [l.strip() for l in lines if l.startswith('#')]",
    "reader = csv.reader(io.StringIO(''.join(l for l in lines if not l.startswith('#'))))",
    'records = list(reader)',
    'header = records[0]',
    'assert all(len(r) == len(header) for r in records), "ragged records"',
    'for r in records[1:]:',
    '    for h, v in zip(header[1:], r[1:]):',
    "        if v != '': float(v)",
    'print(json.dumps({"header": header, "rows": [dict(zip(header, r)) for r in records[1:]], "comments": comments}))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script], { input: csv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 could not read the CSV as data:\n${r.stderr}`);
  return JSON.parse(r.stdout) as { header: string[]; rows: Record<string, string>[]; comments: string[] };
}

describe('annealab export of two differently configured experiments', () => {
  it('gives each configuration its own rows, named by what differs, and reads back as data', async () => {
    const r = await runCli(['export', 'short', 'long', '--format', 'csv', '--per-seed', '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    const { header, rows, comments } = readAsData(r.stdout);
    expect(rows.map((row) => row.Method)).toEqual([
      'SGD (η = 0.1) · epochs 1, train 100',
      'SSA (ε = 0.01, T = 1, α = 0.97) · epochs 1, train 100',
      'SGD (η = 0.1) · epochs 2, train 200',
      'SSA (ε = 0.01, T = 1, α = 0.97) · epochs 2, train 200',
    ]);
    // Two seeds in every cell: the experiments' own, never four pooled.
    expect(rows.map((row) => row['MLP n'])).toEqual(['2', '2', '2', '2']);
    // Per-seed values are rounded as the means are: two decimals of a percentage.
    expect(header).toContain('MLP Accuracy (%) seed 1');
    for (const row of rows) expect(row['MLP Accuracy (%) seed 1']).toMatch(/^\d+\.\d{2}$/);
    expect(comments.some((c) => c.includes('differ in epochs, train'))).toBe(true);
  });

  it('takes a unique prefix of a label as --baseline, and lists the candidates when several match', async () => {
    const ok = await runCli([
      'export',
      'short',
      'long',
      '--format',
      'csv',
      '--baseline',
      'SS',
      '--data-dir',
      data,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const { header, comments } = readAsData(ok.stdout);
    expect(header).toContain('MLP Loss p');
    expect(
      comments.some((c) => c.includes('against SSA (ε = 0.01, T = 1, α = 0.97) with the same settings')),
    ).toBe(true);
    const ambiguous = await runCli([
      'export',
      'short',
      '--format',
      'csv',
      '--baseline',
      's',
      '--data-dir',
      data,
    ]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stdout).toBe('');
    expect(ambiguous.stderr).toContain(
      'baseline "s" matches 2 methods ("SGD (η = 0.1)", "SSA (ε = 0.01, T = 1, α = 0.97)"); give more of its label',
    );
  });

  it('exports only the methods --methods names', async () => {
    const r = await runCli([
      'export',
      'short',
      'long',
      '--format',
      'csv',
      '--methods',
      'sgd',
      '--data-dir',
      data,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readAsData(r.stdout).rows.map((row) => row.Method)).toEqual([
      'SGD (η = 0.1) · epochs 1, train 100',
      'SGD (η = 0.1) · epochs 2, train 200',
    ]);
    const bad = await runCli(['export', 'short', '--format', 'csv', '--methods', 'adam', '--data-dir', data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--methods: method "adam" is none of the methods: "SGD (η = 0.1)", "SSA');
  });
});

describe('annealab figure', () => {
  it('lists every kind with what it shows in --help', async () => {
    const r = await runCli(['figure', '--help']);
    expect(r.code).toBe(0);
    for (const kind of FIGURE_KINDS) expect(r.stdout).toContain(`${kind}  `);
    expect(r.stdout).toContain(FIGURE_DESCRIPTIONS['val-accuracy']);
    expect(r.stdout).toMatch(/--x <axis>.*choices: "epoch", "seconds",\s+"forward"/s);
  });

  it("takes the Compare view's options: x axis, smoothing, methods; one curve per configuration", async () => {
    const out = join(dir, 'forward.svg');
    const args = [
      'figure',
      'short',
      'long',
      '--kind',
      'val-accuracy',
      '--x',
      'forward',
      '--smoothing',
      '0.5',
    ];
    const r = await runCli([...args, '--methods', 'sgd', '--out', out, '--data-dir', data]);
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('Forward passes');
    expect(svg).toContain('SGD (η = 0.1) · epochs 1, train 100');
    expect(svg).toContain('SGD (η = 0.1) · epochs 2, train 200');
    expect(svg).not.toContain('SSA (');
    const bad = await runCli(['figure', 'short', '--kind', 'val-loss', '--x', 'minutes', '--data-dir', data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "argument 'minutes' is invalid. Allowed choices are epoch, seconds, forward.",
    );
    const smooth = await runCli([
      'figure',
      'short',
      '--kind',
      'val-loss',
      '--smoothing',
      '1',
      '--data-dir',
      data,
    ]);
    expect(smooth.code).toBe(2);
    expect(smooth.stderr).toContain('must be a weight in [0, 1)');
  });

  it('writes a PNG to a file or a pipe, and refuses to write one to a terminal', async () => {
    const piped = await runCli([
      'figure',
      'short',
      '--kind',
      'val-loss',
      '--format',
      'png',
      '--data-dir',
      data,
    ]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.slice(1, 4)).toBe('PNG');
    // `script` gives the command a pseudo-terminal as stdout, as a user's shell would.
    const command = [process.execPath, BIN, 'figure', 'short', '--kind', 'val-loss', '--format', 'png']
      .concat(['--data-dir', data])
      .map((a) => `'${a}'`)
      .join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8' });
    expect(tty.status).toBe(2);
    expect(tty.stdout).toContain('a PNG is binary and stdout is a terminal: give --out FILE.png');
    expect(tty.stdout).not.toContain('PNG\r\n\u001a');
    const out = join(dir, 'f.png');
    const file = await runCli([
      'figure',
      'short',
      '--kind',
      'val-loss',
      '--format',
      'png',
      '--out',
      out,
      '--data-dir',
      data,
    ]);
    expect(file.code, file.stderr).toBe(0);
    expect(existsSync(out) && readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
  });
});
