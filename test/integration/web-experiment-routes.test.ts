// experiments.get / rename / delete and runs.delete through the registry every host serves
// (services/app.ts), on a real store: outputs checked against their zod schemas, refusals as
// contract errors, and the queue told of each change.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { createRegistry, routes, type EventName } from '../../src/shared/contract';

const SPEC = {
  name: 'managed',
  description: 'Routes that manage experiments.',
  tags: ['routes'],
  dataset: { id: 'mnist', trainSize: 600, testSize: 300 },
  models: ['mlp'],
  methods: [{ id: 'sgd' }],
  seeds: [1, 2],
  epochs: 2,
  batchSize: 64,
};

describe('the experiment-management routes', () => {
  let dir: string;
  let app: AnnealabApp;
  let events: [EventName, unknown][];
  const call = <T = any>(name: string, input: unknown = {}) =>
    createRegistry(routes, app.handlers, 'web').invoke(name, input) as Promise<T>;
  const parse = <K extends keyof typeof routes>(name: K, value: unknown) => routes[name].output.parse(value);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-manage-'));
    app = AnnealabApp.start({ dataDir: dir, host: 'web', role: 'test', execute: false, pollMs: 50 });
    events = [];
    app.subscribe((name, payload) => events.push([name, payload]));
  });

  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows, renames and deletes an experiment by id prefix, with its run folders', async () => {
    const { experimentId, runIds } = await call('experiments.submit', { spec: SPEC });
    const detail = parse('experiments.get', await call('experiments.get', { key: experimentId.slice(0, 8) }));
    expect(detail).toMatchObject({
      id: experimentId,
      description: SPEC.description,
      tags: ['routes'],
      counts: { queued: 2 },
      runs: [{ status: 'queued', bestValAccuracy: null, seconds: null }, {}],
    });

    const renamed = parse(
      'experiments.rename',
      await call('experiments.rename', { key: 'managed', name: 'kept' }),
    );
    expect(renamed).toEqual({ id: experimentId, from: 'managed', to: 'kept' });
    await expect(call('experiments.rename', { key: 'kept', name: '' })).rejects.toMatchObject({
      code: 'bad-input',
    });

    // A run folder as a trainer leaves it.
    for (const id of runIds) {
      mkdirSync(join(dir, 'checkpoints', id), { recursive: true });
      writeFileSync(join(dir, 'checkpoints', id, 'last.ckpt'), 'x');
    }
    app.store.runs.claim(runIds[0]!);
    await expect(call('experiments.delete', { key: 'kept' })).rejects.toMatchObject({ code: 'conflict' });
    expect(existsSync(join(dir, 'checkpoints', runIds[0]!))).toBe(true);

    // The queued one may go on its own; then, with the running one stopped, the whole experiment.
    const one = parse('runs.delete', await call('runs.delete', { runId: runIds[1] }));
    expect(one).toMatchObject({
      runIds: [runIds[1]],
      files: [join('checkpoints', runIds[1]!)],
      cancelled: 0,
    });
    app.store.runs.markEnded(runIds[0]!, 'cancelled', null, null);
    events = [];
    const all = parse('experiments.delete', await call('experiments.delete', { key: experimentId }));
    expect(all).toMatchObject({ experimentId, name: 'kept', runIds: [runIds[0]] });
    expect(events.some(([n]) => n === 'queue.changed')).toBe(true);
    expect(app.store.experiments.get(experimentId)).toBeUndefined();
    expect(app.store.runs.all()).toEqual([]);
    expect(existsSync(join(dir, 'checkpoints', runIds[0]!))).toBe(false);
    await expect(call('experiments.get', { key: experimentId })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses an ambiguous name with the candidates, as bad input', async () => {
    const a = await call('experiments.submit', { spec: SPEC });
    const b = await call('experiments.submit', { spec: SPEC });
    const err = await call('experiments.get', { key: 'managed' }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'bad-input' });
    expect((err as Error).message).toContain('"managed" names 2 experiments');
    for (const id of [a.experimentId, b.experimentId])
      expect((err as Error).message).toContain(id.slice(0, 8));
  });
});
