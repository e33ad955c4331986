// The routes every host serves (services/app.ts), through the registry the web host and the
// Electron main build: the queue's controls on real rows, results and exports of recorded
// epochs, and a host that follows the store while another process executes the queue.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { QUEUE_CONCURRENCY, QUEUE_PAUSED } from '../../src/main/services/queue';
import { createRegistry, routes, type EventName, type QueueSnapshot } from '../../src/shared/contract';
import type { EpochRecord } from '../../src/shared/records';
import type { RunResult } from '../../src/shared/results';
import { mnistSmallRuns } from '../fixtures/mnist-small';

const SPEC = {
  name: 'routes',
  dataset: { id: 'mnist', trainSize: 600, testSize: 300 },
  models: ['mlp'],
  methods: [{ id: 'sgd' }, { id: 'ssa' }],
  seeds: [1, 2],
  epochs: 2,
  batchSize: 64,
};

describe('the routes of services/app.ts', () => {
  let dir: string;
  let app: AnnealabApp;
  let events: [EventName, unknown][];
  const registry = () => createRegistry(routes, app.handlers, 'web');
  const call = <T = any>(name: string, input: unknown = {}) => registry().invoke(name, input) as Promise<T>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-routes-'));
    app = AnnealabApp.start({ dataDir: dir, host: 'web', role: 'test', execute: false, pollMs: 50 });
    events = [];
    app.subscribe((name, payload) => events.push([name, payload]));
  });

  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Record the first epochs of matching fixture runs as if trainers had run them. */
  function record(runIds: string[]): void {
    const fixture = mnistSmallRuns().filter((r) => r.model === 'mlp');
    for (const id of runIds) {
      const run = app.store.runs.get(id)!;
      const source = fixture.find((r) => r.method === run.method && r.seed === run.seed)!;
      const epochs: EpochRecord[] = source.epochs.slice(0, 2).map((e) => ({
        ...e,
        experimentId: run.experimentId,
        runId: run.id,
        label: run.label,
      }));
      app.store.runs.claim(id);
      for (const e of epochs) app.store.epochs.insert(e);
      app.store.runs.markEnded(
        id,
        'finished',
        {
          bestEpoch: 2,
          bestValAccuracy: epochs[1]!.val.accuracy,
          minValLoss: epochs[1]!.val.loss,
          minValLossThesis: epochs[1]!.val.lossThesis,
          epochs: 2,
          seconds: epochs[1]!.counters.seconds,
          bestWeightsPath: null,
        },
        null,
      );
    }
  }

  it('queues a spec and drives the queue', async () => {
    const { experimentId, runIds } = await call('experiments.submit', { spec: SPEC });
    expect(runIds).toHaveLength(4);
    expect(events.some(([n]) => n === 'queue.changed')).toBe(true);

    let q = await call<QueueSnapshot>('queue.list');
    expect(q.runs.map((r) => r.id)).toEqual(runIds);
    expect(q.runs[0]).toMatchObject({ experimentName: 'routes', epochs: 2, batchSize: 64, status: 'queued' });
    expect(q.executor.self).toBe(false);

    await call('queue.move', { runId: runIds[3], index: 0 });
    q = await call<QueueSnapshot>('queue.list');
    expect(q.runs.filter((r) => r.status === 'queued')[0]!.id).toBe(runIds[3]);

    await call('queue.pause');
    expect(app.store.settings.get(QUEUE_PAUSED)).toBe(true);
    expect((await call<QueueSnapshot>('queue.list')).paused).toBe(true);
    await call('queue.resume');
    expect(app.store.settings.get(QUEUE_PAUSED)).toBe(false);

    await call('queue.setConcurrency', { value: 3 });
    expect((await call<QueueSnapshot>('queue.list')).concurrency).toEqual({ setting: 3, effective: 3 });
    await call('queue.setConcurrency', { value: null });
    expect(app.store.settings.get(QUEUE_CONCURRENCY)).toBeUndefined();

    await expect(call('queue.cancel', { runId: runIds[0]!.slice(0, 8) })).resolves.toEqual({
      outcome: 'cancelled',
    });
    await call('queue.retry', { runId: runIds[0] });
    expect(app.store.runs.get(runIds[0]!)!.status).toBe('queued');
    // Errors of the store reach the client as messages.
    await expect(call('queue.retry', { runId: runIds[0] })).rejects.toThrow(
      /only failed, cancelled, interrupted/,
    );
    await expect(call('queue.move', { runId: 'nope', index: 0 })).rejects.toMatchObject({
      code: 'not-found',
    });

    const list = await call('experiments.list');
    expect(list).toEqual([
      expect.objectContaining({ id: experimentId, runs: 4, status: 'queued', progress: 0 }),
    ]);
  });

  it('reports problems by path for an invalid spec and validates without queueing', async () => {
    const bad = { ...SPEC, methods: [{ id: 'sgd', lr: 0 }], dataset: { id: 'nope' } };
    const v = await call('experiments.validate', { spec: bad });
    expect(v.ok).toBe(false);
    expect(v.problems.map((p: { path: string }) => p.path)).toEqual(['dataset.id', 'methods[0].lr']);
    await expect(call('experiments.submit', { spec: bad })).rejects.toMatchObject({
      code: 'bad-input',
      problems: expect.arrayContaining([{ path: 'methods[0].lr', message: 'must be > 0' }]),
    });
    expect(app.store.experiments.list()).toEqual([]);
  });

  it('returns results, one run, and the exports of recorded epochs', async () => {
    const { experimentId, runIds } = await call('experiments.submit', { spec: SPEC });
    record(runIds);

    const results = await call<RunResult[]>('results.get', { experimentIds: [experimentId] });
    expect(results).toHaveLength(4);
    expect(results.every((r) => r.epochs.length === 2)).toBe(true);
    const some = await call<RunResult[]>('results.get', { runIds: [runIds[1]] });
    expect(some.map((r) => r.runId)).toEqual([runIds[1]]);

    const one = await call('runs.get', { runId: runIds[1] });
    expect(one.run).toMatchObject({ id: runIds[1], status: 'finished', epochsDone: 2, method: 'ssa' });
    expect(one.result.epochs.map((e: EpochRecord) => e.epoch)).toEqual([1, 2]);
    expect(one.experiment.spec.epochs).toBe(2);

    const summary = (await call('experiments.list'))[0];
    expect(summary).toMatchObject({ status: 'finished', progress: 1, counts: { finished: 4 } });
    // The best method by mean best validation accuracy over its finished seeds.
    const accs = results
      .filter((r) => r.label === summary.best.label)
      .map((r) => r.summary!.bestValAccuracy!);
    expect(summary.best.runs).toBe(2);
    expect(summary.best.accuracy).toBeCloseTo((accs[0]! + accs[1]!) / 2, 12);

    const csv = await call('export.table', { experimentIds: [experimentId], format: 'csv', perSeed: true });
    expect(csv).toMatchObject({ filename: 'routes.csv', mime: 'text/csv', encoding: 'utf8' });
    expect(csv.content.split('\n')[0]).toMatch(/^Method,/);
    const latex = await call('export.table', {
      experimentIds: [experimentId],
      format: 'latex',
      options: { stat: 'final', norm: 'thesis', test: 'welch', baseline: 'sgd' },
    });
    expect(latex.filename).toBe('routes.tex');
    expect(latex.content).toContain('\\begin{tabular}');

    const svg = await call('export.figure', {
      experimentIds: [experimentId],
      kind: 'val-loss',
      format: 'svg',
    });
    expect(svg).toMatchObject({ filename: 'routes-val-loss.svg', mime: 'image/svg+xml' });
    expect(svg.content).toContain('<svg');
    const png = await call('export.figure', {
      experimentIds: [experimentId],
      kind: 'moves',
      format: 'png',
      options: { x: 'forward', bands: false, norm: 'mean', smoothing: 0.5, width: 600, height: 400 },
    });
    expect(png.encoding).toBe('base64');
    expect(Buffer.from(png.content, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('follows the store while another process executes the queue', async () => {
    // A live process of another role holds the executor lease (this test's parent process).
    app.store.settings.set('executor', {
      pid: process.ppid,
      host: (await import('node:os')).hostname(),
      heartbeat: Date.now(),
      role: 'annealab run',
    });
    const { runIds } = await call('experiments.submit', { spec: SPEC });
    expect((await call<QueueSnapshot>('queue.list')).executor).toEqual({
      self: false,
      role: 'annealab run',
      pid: process.ppid,
    });
    events = [];
    record(runIds.slice(0, 1));
    await expect
      .poll(() => events.filter(([n, p]) => n === 'runner' && (p as EpochRecord).type === 'epoch').length)
      .toBe(2);
    expect(events.some(([n]) => n === 'queue.changed')).toBe(true);
    expect(
      events.some(([n, p]) => n === 'executor.changed' && (p as { role: string }).role === 'annealab run'),
    ).toBe(true);
  });

  it('describes the system', async () => {
    const info = await call('system.info');
    expect(info).toMatchObject({ host: 'web', dataDir: dir });
    expect(info.backend.basis).toBe('predicted');
    expect(info.backend.reason).toMatch(/^auto: /);
    expect(info.databaseBytes).toBeGreaterThan(0);
    expect(info.devices[0].kind).toBe('cpu');
    expect(info.versions.sqlite).toMatch(/^3\./);
  });
});
