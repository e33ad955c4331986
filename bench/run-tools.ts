// What the bench drivers share: running a child to completion with its stdout as JSON lines,
// finding a python with torch, and running an experiment spec through Annealab's own CLI.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');

/** Runs `cmd` and returns its stdout's JSON lines; stderr goes to ours. Refuses a failed run with its code. */
export function jsonLines(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<unknown[]> {
  return new Promise((ok, fail) => {
    // nice: these runs share the machine with other work and are not timed.
    const child = spawn('nice', ['-n', '5', cmd, ...args], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`${cmd} ${args.join(' ')} exited with code ${code}`));
      const lines = out.split('\n').filter((l) => l.trim().startsWith('{'));
      ok(lines.map((l) => JSON.parse(l) as unknown));
    });
  });
}

/** Debian's python3-torch lives in /usr/bin/python3; a pyenv python3 first on PATH usually has no torch. */
export function torchPython(flag?: string): string {
  if (flag) return flag;
  if (process.env.ANNEALAB_TORCH_PYTHON) return process.env.ANNEALAB_TORCH_PYTHON;
  if (existsSync('/usr/bin/python3')) return '/usr/bin/python3';
  return 'python3';
}

/** Exports the arrays a spec's dataset gives (bench/export-data.ts) into `out`. */
export async function exportData(out: string, dataDir: string, extra: readonly string[]): Promise<void> {
  await jsonLines('npx', [
    'tsx',
    join(REPO, 'bench/export-data.ts'),
    '--out',
    out,
    '--data-dir',
    dataDir,
    ...extra,
  ]);
}

export interface EpochEvent {
  type: 'epoch';
  seed: number;
  epoch: number;
  label: string;
  val: { loss: number; accuracy: number };
  moves: { better: number; acceptedWorse: number; rejectedWorse: number } | null;
  acceptance: { count: number; mean: number | null } | null;
  temperature: number | null;
  epsilon: number | null;
  epsilonDropped: boolean | null;
}

/** Runs `spec` with `annealab run --json` on wasm and returns its epoch events. */
export async function annealabRun(spec: object, work: string, dataDir: string): Promise<EpochEvent[]> {
  await mkdir(work, { recursive: true });
  const path = join(work, `spec-${Date.now()}.json`);
  await writeFile(path, JSON.stringify(spec, null, 2) + '\n');
  const args = [join(REPO, 'bin/annealab.mjs'), 'run', path, '--json', '--data-dir', dataDir];
  const events = await jsonLines('node', [...args, '--backend', 'wasm', '--concurrency', '1']);
  return events.filter((e): e is EpochEvent => (e as { type?: string }).type === 'epoch');
}

/** Refuses a command-line value that is not a whole number of at least `min`, naming the flag. */
export function wholeAtLeast(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min)
    throw new Error(`--${name} must be a whole number >= ${min}, got ${v}`);
}

/**
 * The MNIST subset both tools run on (dataset seed 0, as every spec's default), and where a run
 * of theirs keeps Annealab's data dir and the exported arrays.
 */
export function mnistWorkspace(values: { 'train-size'?: string; 'test-size'?: string; work?: string }) {
  const work = values.work!;
  return {
    dataset: {
      id: 'mnist',
      trainSize: Number(values['train-size']),
      testSize: Number(values['test-size']),
      seed: 0,
    },
    work,
    dataDir: join(work, 'annealab-data'),
    exported: join(work, 'data'),
  };
}
