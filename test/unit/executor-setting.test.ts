// The executor setting's one schema (CLI flags and the UI's route), and the job script and sbatch
// options the Slurm executor derives from it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeExecutor, parseExecutorSetting } from '../../src/shared/executor';
import { jobScript, sbatchArgs } from '../../src/main/services/executors/slurm';

describe('executor setting', () => {
  it('accepts local and slurm with the options sbatch takes', () => {
    expect(parseExecutorSetting({ kind: 'local' })).toEqual({ ok: true, setting: { kind: 'local' } });
    const r = parseExecutorSetting({
      kind: 'slurm',
      slurm: {
        partition: 'gpu',
        gres: 'gpu:a100:2',
        time: '1-00:00:00',
        account: 'proj_1',
        sbatchArgs: ['--mem=16G'],
      },
    });
    expect(r.ok).toBe(true);
    expect(parseExecutorSetting({ kind: 'slurm' })).toEqual({
      ok: true,
      setting: { kind: 'slurm', slurm: { sbatchArgs: [] } },
    });
    for (const time of ['90', '30:00', '2:00:00', '1-00', '1-12:30', '7-00:00:00']) {
      expect(parseExecutorSetting({ kind: 'slurm', slurm: { time } }).ok, time).toBe(true);
    }
  });

  it('refuses bad values with every problem by path', () => {
    const r = parseExecutorSetting({
      kind: 'slurm',
      slurm: {
        partition: 'gpu; rm -rf ~',
        time: 'tomorrow',
        gres: 'gpu 1',
        sbatchArgs: ['mem=8G', '--array=1-3', '-o/x'],
      },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
    expect(byPath['slurm.partition']).toMatch(/partition name/);
    expect(byPath['slurm.time']).toMatch(/Slurm time limit.*1-00:00:00/);
    expect(byPath['slurm.gres']).toMatch(/gpu:1/);
    expect(byPath['slurm.sbatchArgs.0']).toMatch(/sbatch option such as --mem=8G/);
    expect(byPath['slurm.sbatchArgs.1']).toMatch(/--array=1-3: Annealab sets --array itself/);
    expect(byPath['slurm.sbatchArgs.2']).toMatch(/Annealab sets -o itself/);
    expect(parseExecutorSetting({ kind: 'pbs' }).ok).toBe(false);
    expect(parseExecutorSetting({ kind: 'local', slurm: {} }).ok).toBe(false);
  });

  it('describes itself for a person', () => {
    expect(describeExecutor({ kind: 'local' })).toMatch(/^local/);
    expect(
      describeExecutor({
        kind: 'slurm',
        slurm: { partition: 'gpu', gres: 'gpu:1', sbatchArgs: ['--qos=long'] },
      }),
    ).toBe('slurm (partition gpu, gres gpu:1, --qos=long)');
  });
});

describe('Slurm job script and options', () => {
  it('passes the options, then its own, with an array for more than one run', () => {
    const args = sbatchArgs(
      { partition: 'gpu', gres: 'gpu:1', time: '1-00:00:00', account: 'a', sbatchArgs: ['--mem=16G'] },
      '/shared/data',
      'annealab-exp-1234',
      3,
    );
    expect(args).toEqual([
      '--partition=gpu',
      '--gres=gpu:1',
      '--time=1-00:00:00',
      '--account=a',
      '--mem=16G',
      '--requeue',
      '--open-mode=append',
      '--job-name=annealab-exp-1234',
      '--output=/shared/data/slurm/slurm-%A_%a.out',
      '--chdir=/shared/data',
      '--array=0-2',
    ]);
    expect(sbatchArgs({ sbatchArgs: [] }, '/d', 'n', 1)).not.toContain('--array=0-0');
  });

  it("asks for a CPU per thread of the runs' kernels, unless the user's own options say how many", () => {
    expect(sbatchArgs({ sbatchArgs: [] }, '/d', 'n', 2, 4)).toContain('--cpus-per-task=4');
    expect(sbatchArgs({ sbatchArgs: [] }, '/d', 'n', 2, 1).some((a) => a.startsWith('--cpus'))).toBe(false);
    for (const own of [['--cpus-per-task=8'], ['--cpus-per-task', '8'], ['-c8'], ['-c', '8']]) {
      const args = sbatchArgs({ sbatchArgs: own }, '/d', 'n', 1, 4);
      expect(args).not.toContain('--cpus-per-task=4');
      expect(args.slice(0, own.length)).toEqual(own);
    }
  });

  it("starts each array task's trainer in its run's folder, quoted, and refuses a folder the node cannot see", () => {
    const root = mkdtempSync(join(tmpdir(), 'annealab-script-'));
    const folders = [join(root, "it's here"), join(root, 'missing'), join(root, 'resubmitted')];
    for (const f of [folders[0]!, folders[2]!]) {
      mkdirSync(f);
      writeFileSync(join(f, 'command.json'), '{}');
    }
    writeFileSync(join(folders[0]!, 'submission'), 'token-1');
    writeFileSync(join(folders[2]!, 'submission'), 'token-2');
    const script = join(root, 'job.sh');
    // The "trainer" prints its arguments, so the test sees what the job would start.
    writeFileSync(
      script,
      jobScript({ command: '/bin/echo', args: ['trainer file.mjs'] }, folders, 'token-1'),
    );
    execFileSync('bash', [script], { env: { SLURM_ARRAY_TASK_ID: '0' } });
    const log = execFileSync('cat', [join(folders[0]!, 'trainer.log')], { encoding: 'utf8' });
    expect(log).toBe(`trainer file.mjs --file-mode ${folders[0]}\n`);
    let status = 0;
    let stderr = '';
    try {
      execFileSync('bash', [script], { env: { SLURM_ARRAY_TASK_ID: '1' }, stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
      stderr = String((err as { stderr: Buffer }).stderr);
    }
    expect(status).toBe(97);
    expect(stderr).toMatch(/is not visible on .*: the data dir must be on a filesystem the nodes share/);
    // A folder a newer submission took over: this job starts no trainer there.
    const late = execFileSync('bash', [script], { env: { SLURM_ARRAY_TASK_ID: '2' }, stdio: 'pipe' });
    expect(String(late)).toBe('');
    expect(existsSync(join(folders[2]!, 'trainer.log'))).toBe(false);
  });
});
