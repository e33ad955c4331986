// How the routes' failures reach a client of the real browser host: a refusal of a service is
// the user's (409 conflict, 404 not-found), an error no service expected is `internal` (500).
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWebHost, type TestWebHost } from '../helpers/web';

describe('errors of the routes over HTTP', () => {
  let web: TestWebHost;
  const invoke = (name: string, input: unknown) => web.invoke(name, input);

  beforeAll(async () => {
    web = await startTestWebHost('web-errors');
  });

  afterAll(() => web?.close());

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
    const db = new Database(join(web.dataDir, 'annealab.db'));
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
