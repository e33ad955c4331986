// The executor setting end to end, without a cluster: the `annealab queue executor` and `run
// --executor` flags and the system.executor routes over the real web host, on a real SQLite file.
// Bad input is refused with what was wrong and changes nothing.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writeSpec } from '../helpers/cli';
import { startTestWebHost, type TestWebHost } from '../helpers/web';
import { slurmUnavailable } from '../helpers/slurm-cluster';

const hasSbatch = !/sbatch/.test(slurmUnavailable() ?? '');

describe('annealab queue executor', () => {
  const dataDir = join(tempDir(), 'data');

  it('is local until set, and says so', async () => {
    const r = await runCli(['queue', 'executor', '--data-dir', dataDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('executor: local (trainer processes on this machine)\n');
  });

  it('refuses a bad setting with the flag and what it expects, and keeps the old one', async () => {
    const bad = await runCli(['queue', 'executor', 'slurm', '--time', 'tomorrow', '--data-dir', dataDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--time: must be a Slurm time limit: minutes, h:mm:ss or d-hh:mm:ss/);
    const reserved = await runCli([
      'queue',
      'executor',
      'slurm',
      '--sbatch-arg=--array=0-9',
      '--data-dir',
      dataDir,
    ]);
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toMatch(/--sbatch-arg: --array=0-9: Annealab sets --array itself/);
    const kind = await runCli(['queue', 'executor', 'pbs', '--data-dir', dataDir]);
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/executor must be local or slurm, not "pbs"/);
    const local = await runCli(['queue', 'executor', 'local', '--gres', 'gpu:1', '--data-dir', dataDir]);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--gres only apply to the slurm executor/);
    const shown = await runCli(['queue', 'executor', '--data-dir', dataDir]);
    expect(shown.stdout).toMatch(/^executor: local/);
  });

  it.skipIf(!hasSbatch)('stores slurm with its options as the queue default', async () => {
    const r = await runCli([
      'queue',
      'executor',
      'slurm',
      '--partition',
      'gpu',
      '--gres',
      'gpu:1',
      '--time',
      '1-00:00:00',
      '--sbatch-arg=--mem=16G',
      '--data-dir',
      dataDir,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('executor: slurm (partition gpu, gres gpu:1, time 1-00:00:00, --mem=16G)\n');
    expect((await runCli(['queue', 'executor', '--data-dir', dataDir])).stdout).toBe(r.stdout);
    const back = await runCli(['queue', 'executor', 'local', '--data-dir', dataDir]);
    expect(back.stdout).toMatch(/^executor: local/);
  });

  it('refuses slurm where sbatch is not on PATH', async () => {
    const r = await runCli(['queue', 'executor', 'slurm', '--data-dir', dataDir], { PATH: '/nonexistent' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sbatch was not found on PATH: run Annealab on a Slurm login node/);
  });
});

describe('annealab run --executor', () => {
  it('refuses Slurm flags without --executor slurm, before anything is queued', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, {
      name: 'x',
      dataset: { id: 'mnist', trainSize: 100, testSize: 50 },
      models: ['mlp'],
      methods: [{ id: 'sgd' }],
      seeds: [1],
      epochs: 1,
    });
    const r = await runCli(['run', spec, '--partition', 'gpu', '--data-dir', join(dir, 'data')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--partition is a Slurm option: add --executor slurm/);
    const list = await runCli(['queue', 'list', '--json', '--data-dir', join(dir, 'data')]);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});

describe('the system.executor routes', () => {
  let web: TestWebHost;
  beforeAll(async () => {
    web = await startTestWebHost('executor');
  });
  afterAll(async () => {
    await web.close();
  });

  it('shows the setting, whether this host can submit Slurm jobs, and no jobs yet', async () => {
    const r = await web.invoke('system.executor', {});
    expect(r.status).toBe(200);
    expect(r.body.value).toEqual({
      setting: { kind: 'local' },
      slurm: hasSbatch
        ? { available: true, reason: null }
        : { available: false, reason: expect.stringMatching(/sbatch/) },
      jobs: [],
    });
  });

  it('refuses a bad setting with every problem by path, changing nothing', async () => {
    const r = await web.invoke('system.setExecutor', {
      kind: 'slurm',
      slurm: { time: 'soon', gres: 'two gpus' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error!.code).toBe('bad-input');
    expect(r.body.error!.message).toMatch(/slurm\.time/);
    expect(r.body.error!.message).toMatch(/slurm\.gres/);
    expect((await web.invoke('system.executor', {})).body.value.setting).toEqual({ kind: 'local' });
  });

  it.skipIf(!hasSbatch)('sets slurm, which the CLI then shows', async () => {
    const r = await web.invoke('system.setExecutor', {
      kind: 'slurm',
      slurm: { partition: 'gpu', gres: 'gpu:1' },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.value.setting).toEqual({
      kind: 'slurm',
      slurm: { partition: 'gpu', gres: 'gpu:1', sbatchArgs: [] },
    });
    const cli = await runCli(['queue', 'executor', '--data-dir', web.dataDir]);
    expect(cli.stdout).toBe('executor: slurm (partition gpu, gres gpu:1)\n');
  });
});
