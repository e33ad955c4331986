// A host that closes (the desktop app quits, `annealab serve` gets Ctrl-C) interrupts its
// running runs instead of cancelling them, and the next host continues them from their
// checkpoints when the user resumes the queue.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { createRegistry, routes } from '../../src/shared/contract';

const SPEC = {
  name: 'restart',
  dataset: { id: 'mnist', trainSize: 600, testSize: 200 },
  models: ['mlp'],
  methods: [{ id: 'sgd' }],
  seeds: [1],
  epochs: 12,
  batchSize: 64,
  backend: 'wasm',
};

describe('closing and reopening a host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'annealab-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('interrupts running runs on close and continues them after queue.resume', async () => {
    let app = AnnealabApp.start({ dataDir: dir, host: 'web', role: 'first host', retryMs: 200 });
    let call = (name: string, input: unknown = {}) =>
      createRegistry(routes, app.handlers, 'web').invoke(name, input) as Promise<any>;
    const { runIds } = await call('experiments.submit', { spec: SPEC });
    const runId = runIds[0] as string;
    // Wait for a checkpointed epoch, then close while the run is mid-way.
    await expect
      .poll(() => app.store.runs.get(runId)!.checkpointEpoch ?? 0, { timeout: 90_000, interval: 100 })
      .toBeGreaterThanOrEqual(2);
    await app.close();
    const stopped = (() => {
      const a = AnnealabApp.start({ dataDir: dir, host: 'web', role: 'reader', execute: false });
      const run = a.store.runs.get(runId)!;
      void a.close();
      return run;
    })();
    expect(stopped.status).toBe('interrupted');
    expect(stopped.checkpointEpoch).toBeGreaterThanOrEqual(2);
    expect(stopped.checkpointEpoch).toBeLessThan(12);

    app = AnnealabApp.start({ dataDir: dir, host: 'web', role: 'second host', retryMs: 200 });
    call = (name: string, input: unknown = {}) =>
      createRegistry(routes, app.handlers, 'web').invoke(name, input) as Promise<any>;
    const row = (await call('queue.list')).runs[0];
    expect(row).toMatchObject({ status: 'interrupted', checkpointEpoch: stopped.checkpointEpoch });
    await call('queue.resume');
    await expect
      .poll(() => app.store.runs.get(runId)!.status, { timeout: 120_000, interval: 200 })
      .toBe('finished');
    const epochs = app.store.epochs.forRun(runId).map((e) => e.epoch);
    expect(epochs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    await app.close();
  }, 240_000);
});
