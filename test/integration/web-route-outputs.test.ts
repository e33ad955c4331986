// The web host checks what its handlers return against the contract's output schemas (in tests
// and development): a handler that builds a wrong shape answers 500 `internal` with the path of
// the wrong field, over real HTTP from the real server, instead of handing the renderer data its
// types do not describe.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { startWebHost, type WebHost } from '../../src/main/web/server';

const TOKEN = 'route-outputs-token-0123456789';

describe('the web host’s route outputs', () => {
  let dir: string;
  let app: AnnealabApp;
  let host: WebHost;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-route-outputs-'));
    app = AnnealabApp.start({ dataDir: join(dir, 'data'), host: 'web', role: 'test', execute: false });
    // One handler drifts from its schema: `paused` as text instead of a boolean.
    const real = app.handlers['queue.list'];
    app.handlers['queue.list'] = async (input) => {
      const snapshot = await real(input);
      return { ...snapshot, paused: 'no' as unknown as boolean };
    };
    host = await startWebHost(app, { token: TOKEN, rendererDir: join(dir, 'renderer'), importRoots: [dir] });
  });

  afterAll(async () => {
    await host.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const invoke = (name: string, input: unknown) =>
    new Promise<{ status: number; body: any }>((ok, fail) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: host.port,
          path: `/api/invoke/${name}`,
          method: 'POST',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => ok({ status: res.statusCode!, body: JSON.parse(body) }));
        },
      );
      req.on('error', fail);
      req.end(JSON.stringify(input));
    });

  it('answers a wrong shape with 500 internal, naming the field', async () => {
    const r = await invoke('queue.list', {});
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('internal');
    expect(r.body.error.message).toMatch(
      /^queue\.list returned a wrong shape \(a bug in the host.*\): paused: /,
    );
    expect(r.body.value).toBeUndefined();
  });

  it('serves every read route of a host with an experiment in the shapes the contract says', async () => {
    const spec = {
      name: 'outputs',
      dataset: { id: 'mnist', trainSize: 100, testSize: 50 },
      models: ['mlp'],
      methods: [{ id: 'sgd' }, { id: 'ssa' }],
      seeds: [1, 2],
      epochs: 2,
      batchSize: 50,
    };
    const submitted = await invoke('experiments.submit', { spec });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
    const runId: string = submitted.body.value.runIds[0];
    expect((await invoke('queue.cancel', { runId })).status).toBe(200);
    const experimentIds = [submitted.body.value.experimentId];
    for (const [name, input] of [
      ['app.info', {}],
      ['system.info', {}],
      ['experiments.list', {}],
      ['experiments.validate', { spec }],
      ['runs.get', { runId }],
      ['results.get', { experimentIds }],
      ['datasets.list', {}],
      ['datasets.describe', { name: 'mnist' }],
      ['datasets.preview', { id: 'mnist', samples: 4 }],
      ['export.table', { experimentIds, format: 'csv' }],
    ] as const) {
      const r = await invoke(name, input);
      expect(r.status, `${name}: ${JSON.stringify(r.body.error)}`).toBe(200);
    }
  }, 120_000);

  it('serves the routes whose handlers build what the contract says', async () => {
    const info = await invoke('app.info', {});
    expect(info.status).toBe(200);
    expect(info.body.value).toMatchObject({ host: 'web', dataDir: join(dir, 'data') });
    const datasets = await invoke('datasets.list', {});
    expect(datasets.status).toBe(200);
    expect(datasets.body.value.map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining(['mnist']));
  });
});
