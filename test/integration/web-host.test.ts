// The browser host's gate: 401 without the token, 403 for a Host header that is not its own
// (DNS rebinding), the token traded for an HttpOnly cookie; and the contract over HTTP + SSE.
import { request, type IncomingMessage } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { allowedHosts, startWebHost, TOKEN_COOKIE, type WebHost } from '../../src/main/web/server';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(
  port: number,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((ok, fail) => {
    const headers = { ...o.headers };
    // An empty Host means none at all: Node would otherwise fill in its own.
    const setHost = headers.Host !== '';
    if (!setHost) delete headers.Host;
    const req = request(
      { host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers, setHost },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    if (o.body) req.write(o.body);
    req.end();
  });
}

describe('the browser host', () => {
  let dir: string;
  let app: AnnealabApp;
  let host: WebHost;
  const token = 'test-token-0123456789';
  const json = { 'Content-Type': 'application/json' };
  const auth = () => ({ Authorization: `Bearer ${token}` });
  const invoke = (name: string, input: unknown, headers: Record<string, string> = auth()) =>
    call(host.port, `/api/invoke/${name}`, {
      method: 'POST',
      headers: { ...json, ...headers },
      body: JSON.stringify(input),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-web-'));
    const renderer = join(dir, 'renderer');
    mkdirSync(join(renderer, 'assets'), { recursive: true });
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Annealab</title>');
    writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'not for the browser');
    app = AnnealabApp.start({ dataDir: join(dir, 'data'), host: 'web', role: 'test', execute: false });
    host = await startWebHost(app, { token, rendererDir: renderer });
  });

  afterAll(async () => {
    await host?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and prints a URL with the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${token}`);
    expect(host.server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('refuses every request without the token (401)', async () => {
    for (const path of ['/', '/assets/app.js', '/api/events']) {
      const r = await call(host.port, path);
      expect(r.status, path).toBe(401);
      expect(r.body).not.toContain('Annealab</title>');
    }
    const r = await invoke('queue.list', {}, {});
    expect(r.status).toBe(401);
    const wrong = await invoke('queue.list', {}, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const wrongCookie = await call(host.port, '/', { headers: { Cookie: `${TOKEN_COOKIE}=${token}x` } });
    expect(wrongCookie.status).toBe(401);
  });

  it('refuses a Host header that is not its own, even with the token (403)', async () => {
    for (const h of [`evil.example:${host.port}`, 'evil.example', `127.0.0.1:${host.port + 1}`, '']) {
      const r = await call(host.port, `/?token=${token}`, { headers: { Host: h } });
      // Without any Host, Node's HTTP server itself refuses (400) before our check (403).
      const refused = h ? 403 : 400;
      expect(r.status, h).toBe(refused);
      const api = await invoke('queue.list', {}, { ...auth(), Host: h });
      expect(api.status, h).toBe(refused);
    }
    for (const h of [`127.0.0.1:${host.port}`, `localhost:${host.port}`]) {
      const r = await call(host.port, '/', { headers: { Host: h, ...auth() } });
      expect(r.status, h).toBe(200);
    }
    expect(allowedHosts('127.0.0.1', 80)).toEqual(new Set(['127.0.0.1:80', 'localhost:80', '[::1]:80']));
  });

  it('refuses a state-changing request from another origin, even with the token (403)', async () => {
    const paused = async () => JSON.parse((await invoke('queue.list', {})).body).value.paused as boolean;
    const own = `http://127.0.0.1:${host.port}`;
    for (const headers of <Record<string, string>[]>[
      { Origin: 'http://evil.example' },
      { Origin: 'null' },
      { Origin: `http://127.0.0.1:${host.port + 1}` },
      { Origin: `https://127.0.0.1:${host.port}` },
      // Another port of the same machine is "same-site" to a browser, not same-origin.
      { 'Sec-Fetch-Site': 'same-site' },
      { 'Sec-Fetch-Site': 'cross-site', Origin: own },
    ]) {
      const r = await invoke('queue.pause', {}, { ...auth(), ...headers });
      const what = JSON.stringify(headers);
      expect(r.status, what).toBe(403);
      expect(JSON.parse(r.body).error, what).toMatchObject({
        code: 'bad-input',
        message: expect.stringMatching(/^refused: /),
      });
    }
    const evil = await invoke('queue.pause', {}, { ...auth(), Origin: 'http://evil.example' });
    expect(JSON.parse(evil.body).error.message).toBe(
      'refused: Origin "http://evil.example" is not this server\'s own; use Annealab from the page `annealab serve` printed',
    );
    const drop = await call(host.port, '/api/upload?batch=b1', {
      method: 'DELETE',
      headers: { ...auth(), Origin: 'http://evil.example' },
    });
    expect(drop.status).toBe(403);
    expect(await paused()).toBe(false);
    // Its own page (by IP or as localhost), and scripts that send no Origin, are served.
    for (const headers of <Record<string, string>[]>[
      { Origin: own, 'Sec-Fetch-Site': 'same-origin' },
      { Origin: `http://localhost:${host.port}` },
      {},
    ]) {
      const r = await invoke('queue.pause', {}, { ...auth(), ...headers });
      expect(r.status, JSON.stringify(headers)).toBe(200);
    }
    expect(await paused()).toBe(true);
    expect((await invoke('queue.resume', {})).status).toBe(200);
    // Reading is not refused: an <img> or a link elsewhere changes nothing.
    const read = await call(host.port, '/', { headers: { ...auth(), 'Sec-Fetch-Site': 'cross-site' } });
    expect(read.status).toBe(200);
  });

  it('answers a body over 8 MiB with 413 and a JSON error instead of resetting the connection', async () => {
    const big = JSON.stringify({ spec: 'x'.repeat(9 * 1024 * 1024) });
    for (const headers of <Record<string, string>[]>[
      {},
      { 'Content-Length': String(Buffer.byteLength(big)) },
    ]) {
      const r = await call(host.port, '/api/invoke/experiments.validate', {
        method: 'POST',
        headers: { ...json, ...auth(), ...headers },
        body: big,
      });
      expect(r.status, JSON.stringify(headers)).toBe(413);
      expect(JSON.parse(r.body).error).toEqual({
        code: 'bad-input',
        message: 'the request body is larger than 8 MiB; send less (files go through /api/upload)',
      });
    }
    // The host is still there for the next request.
    expect((await invoke('queue.list', {})).status).toBe(200);
  });

  it('trades the token in the URL for an HttpOnly SameSite cookie', async () => {
    const r = await call(host.port, `/?token=${token}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain(`${TOKEN_COOKIE}=${token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const page = await call(host.port, '/', { headers: { Cookie: `${TOKEN_COOKIE}=${token}` } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Annealab</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    // The app's hash routes fall back to the page; files outside the renderer stay out.
    const escape = await call(host.port, '/..%2Fsecret.txt', { headers: auth() });
    expect(escape.status).toBe(404);
    expect(escape.body).not.toContain('not for the browser');
  });

  it('serves the contract: results, bad input with problems by path, unknown routes', async () => {
    const list = await invoke('queue.list', {});
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body).value).toMatchObject({ paused: false, runs: [] });

    const bad = await invoke('experiments.submit', {
      spec: { name: 'x', dataset: { id: 'mnits' }, models: ['mlp'], methods: [{ id: 'sgd', lr: -1 }] },
    });
    expect(bad.status).toBe(400);
    const problems = JSON.parse(bad.body).error.problems as { path: string; message: string }[];
    expect(problems).toContainEqual({ path: 'methods[0].lr', message: 'must be > 0' });
    expect(problems.map((p) => p.path)).toContain('dataset.id');

    const badInput = await invoke('queue.move', { runId: 'x', index: -1 });
    expect(badInput.status).toBe(400);
    expect((await invoke('nope.nothing', {})).status).toBe(404);
    expect((await invoke('runs.get', { runId: 'does-not-exist' })).status).toBe(404);
    // Desktop-only routes are declared but not served here.
    expect((await invoke('host.saveFile', { filename: 'a', content: '', encoding: 'utf8' })).status).toBe(
      501,
    );
    // A cross-site form cannot post JSON without a preflight: other content types are refused.
    const form = await call(host.port, '/api/invoke/queue.pause', {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(form.status).toBe(415);
  });

  it('refuses to queue a spec whose batch is larger than the whole train split, which the services know', async () => {
    const spec = {
      name: 'big-batch',
      dataset: { id: 'mnist' },
      models: ['mlp'],
      methods: [{ id: 'sgd' }],
      batchSize: 8001,
    };
    const r = await invoke('experiments.submit', { spec });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.problems).toEqual([
      {
        path: 'batchSize',
        message: 'must be at most the training set\'s 8,000 examples (the training split of "mnist")',
      },
    ]);
    const list = JSON.parse((await invoke('experiments.list', {})).body).value as { name: string }[];
    expect(list.map((e) => e.name)).not.toContain('big-batch');
  });

  it('queues a valid spec and tells the event stream', async () => {
    const events: string[] = [];
    const stream = await new Promise<IncomingMessage>((ok, fail) => {
      const req = request(
        { host: '127.0.0.1', port: host.port, path: '/api/events', headers: auth() },
        (res) => ok(res),
      );
      req.on('error', fail);
      req.end();
    });
    expect(stream.headers['content-type']).toContain('text/event-stream');
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => events.push(c));

    const ok = await invoke('experiments.submit', {
      spec: {
        name: 'web',
        dataset: { id: 'mnist', trainSize: 100 },
        batchSize: 50,
        models: ['mlp'],
        methods: [{ id: 'sgd' }],
      },
    });
    expect(ok.status).toBe(200);
    const { experimentId, runIds } = JSON.parse(ok.body).value as { experimentId: string; runIds: string[] };
    expect(runIds).toHaveLength(1);
    await expect.poll(() => events.join('')).toContain('event: queue.changed');
    expect(events.join('')).toContain('event: executor.changed');

    const list = JSON.parse((await invoke('experiments.list', {})).body).value;
    expect(list[0]).toMatchObject({ id: experimentId, name: 'web', runs: 1, status: 'queued' });
    const cancel = JSON.parse((await invoke('queue.cancel', { runId: runIds[0] })).body).value;
    expect(cancel).toEqual({ outcome: 'cancelled' });
    const again = await invoke('queue.cancel', { runId: runIds[0] });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body).error.message).toContain('only queued or running runs can be cancelled');
    stream.destroy();
  });
});
