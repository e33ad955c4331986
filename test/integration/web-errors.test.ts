// How the routes' failures reach a client of the real browser host: a refusal of a service is
// the user's (409 conflict, 404 not-found), an error no service expected is `internal` (500).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { startWebHost, type WebHost } from '../../src/main/web/server';

interface Reply {
  status: number;
  body: { value?: any; error?: { code: string; message: string } };
}

describe('errors of the routes over HTTP', () => {
  let dir: string;
  let dataDir: string;
  let app: AnnealabApp;
  let host: WebHost;
  const token = 'errors-token-0123456789';

  const invoke = (name: string, input: unknown): Promise<Reply> =>
    new Promise((ok, fail) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: host.port,
          path: `/api/invoke/${name}`,
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => ok({ status: res.statusCode!, body: JSON.parse(body) as Reply['body'] }));
        },
      );
      req.on('error', fail);
      req.end(JSON.stringify(input));
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-web-errors-'));
    dataDir = join(dir, 'data');
    app = AnnealabApp.start({ dataDir, host: 'web', role: 'test', execute: false });
    host = await startWebHost(app, { token, rendererDir: join(dir, 'renderer') });
  });

  afterAll(async () => {
    await host?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a corrupt row as internal (500), and a refused cancel as conflict (409)', async () => {
    const spec = {
      name: 'x',
      dataset: { id: 'mnist' },
      models: ['mlp'],
      methods: [{ id: 'sgd' }],
      seeds: [1, 2],
    };
    const submitted = await invoke('experiments.submit', { spec });
    expect(submitted.status).toBe(200);
    // Another writer leaves a run's summary that is not JSON: reading the queue fails in the
    // store, which is nothing the user did.
    const db = new Database(join(dataDir, 'annealab.db'));
    db.prepare('UPDATE runs SET summary = ? WHERE id = ?').run('{not json', submitted.body.value.runIds[0]);
    db.close();
    const r = await invoke('queue.list', {});
    expect(r.status).toBe(500);
    expect(r.body.error?.code).toBe('internal');
    const missing = await invoke('queue.cancel', { runId: 'nope' });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'not-found', message: 'no run "nope"' });

    // A refusal of the store is still the user's: cancelling twice is a conflict (409).
    const ok = await invoke('queue.cancel', { runId: submitted.body.value.runIds[1] });
    expect(ok.status).toBe(200);
    const twice = await invoke('queue.cancel', { runId: submitted.body.value.runIds[1] });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/cancelled/) });
  });
});
