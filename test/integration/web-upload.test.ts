// The browser host's upload: files dropped in a browser go to POST /api/upload under the same
// gate as everything else (token, Host header), land intact under <dataDir>/uploads/<batch>/,
// are refused for absolute paths and "..", and POST /api/upload/import imports the batch
// folder and removes it whatever the outcome.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import { safeUploadPath, startWebHost, type WebHost } from '../../src/main/web/server';
import { idxImages, idxLabels } from '../fixtures/import/make';

interface Reply {
  status: number;
  body: string;
}

function call(
  port: number,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {},
): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: o.method ?? 'POST', headers: o.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => ok({ status: res.statusCode!, body }));
      },
    );
    req.on('error', fail);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

describe('uploading to the browser host', () => {
  let dir: string;
  let dataDir: string;
  let app: AnnealabApp;
  let host: WebHost;
  const token = 'upload-token-0123456789';
  const auth = { Authorization: `Bearer ${token}` };
  const octets = { ...auth, 'Content-Type': 'application/octet-stream' };
  const put = (
    batch: string,
    path: string,
    body: Uint8Array | string,
    headers: Record<string, string> = octets,
  ) => call(host.port, `/api/upload?batch=${batch}&path=${encodeURIComponent(path)}`, { headers, body });
  const importBatch = (batch: string, input: unknown) =>
    call(host.port, `/api/upload/import?batch=${batch}`, {
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-upload-'));
    dataDir = join(dir, 'data');
    app = AnnealabApp.start({ dataDir, host: 'web', role: 'test', execute: false });
    host = await startWebHost(app, { token, rendererDir: join(dir, 'renderer'), maxUploadBatch: 1 << 20 });
  });

  afterAll(async () => {
    await host?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an upload without the token (401) or from another Host (403)', async () => {
    const r = await put('b0', 'a.bin', 'x', { 'Content-Type': 'application/octet-stream' });
    expect(r.status).toBe(401);
    const wrong = await put('b0', 'a.bin', 'x', { ...octets, Host: 'evil.example:80' });
    expect(wrong.status).toBe(403);
    const imp = await call(host.port, '/api/upload/import?batch=b0', {
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(imp.status).toBe(401);
    expect(existsSync(join(dataDir, 'uploads', 'b0'))).toBe(false);
  });

  it('refuses absolute paths, "..", bad batch ids and other content types', async () => {
    for (const path of [
      '/etc/passwd',
      '../escape.bin',
      'a/../../escape.bin',
      'a/./b',
      'C:\\x',
      '\\\\srv\\x',
      'a//b',
      '',
    ]) {
      const r = await put('b1', path, 'x');
      expect(r.status, path).toBe(400);
    }
    expect((await put('../b1', 'a.bin', 'x')).status).toBe(400);
    expect((await put('b1', 'a.bin', 'x', { ...auth, 'Content-Type': 'text/plain' })).status).toBe(415);
    expect(existsSync(join(dir, 'escape.bin'))).toBe(false);
    expect(existsSync(join(dataDir, 'escape.bin'))).toBe(false);
    expect(safeUploadPath('folder/sub\\file.gz')).toBe('folder/sub/file.gz');
    expect(safeUploadPath('..')).toBeNull();
  });

  it('stores the uploaded bytes intact under the batch folder, and discards a batch', async () => {
    const bytes = new Uint8Array(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + (i >> 8)) & 255;
    const r = await put('b2', 'folder/sub/data.bin', bytes);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ value: { path: 'folder/sub/data.bin', bytes: bytes.length } });
    const stored = readFileSync(join(dataDir, 'uploads', 'b2', 'folder', 'sub', 'data.bin'));
    expect(Buffer.compare(stored, Buffer.from(bytes))).toBe(0);
    const del = await call(host.port, '/api/upload?batch=b2', { method: 'DELETE', headers: auth });
    expect(del.status).toBe(200);
    expect(existsSync(join(dataDir, 'uploads', 'b2'))).toBe(false);
  });

  it('refuses a batch over its size limit and removes it', async () => {
    expect((await put('b3', 'a.bin', new Uint8Array(800_000))).status).toBe(200);
    const r = await put('b3', 'b.bin', new Uint8Array(400_000));
    expect(r.status).toBe(413);
    expect(existsSync(join(dataDir, 'uploads', 'b3'))).toBe(false);
  });

  it('imports an uploaded folder of IDX files and removes it', async () => {
    const count = 40;
    const images = new Uint8Array(count * 28 * 28);
    const labels = new Uint8Array(count).map((_, i) => i % 4);
    for (let n = 0; n < count; n++) images[n * 784 + labels[n]!] = 255;
    expect((await put('b4', 'bars/train-images-idx3-ubyte', idxImages(images, count, 28, 28))).status).toBe(
      200,
    );
    expect((await put('b4', 'bars/train-labels-idx1-ubyte', idxLabels(labels))).status).toBe(200);
    const r = await importBatch('b4', { name: 'uploaded-bars', testFraction: 0.25 });
    expect(r.status, r.body).toBe(200);
    const row = (
      JSON.parse(r.body) as {
        value: { name: string; trainCount: number; testCount: number; classes: string[] };
      }
    ).value;
    expect(row.name).toBe('uploaded-bars');
    expect(row.classes).toHaveLength(4);
    expect(row.trainCount + row.testCount).toBe(count);
    expect(existsSync(join(dataDir, 'uploads', 'b4'))).toBe(false);
    const list = await app.handlers['datasets.list']({});
    expect(list.map((d) => d.id)).toContain('uploaded-bars');
  });

  it('reports a failed import and still removes the batch', async () => {
    expect((await put('b5', 'junk.bin', 'not a dataset')).status).toBe(200);
    const r = await importBatch('b5', { name: 'junk' });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(r.body)).toHaveProperty('error.message');
    expect(existsSync(join(dataDir, 'uploads', 'b5'))).toBe(false);
    const none = await importBatch('b6', { name: 'nothing' });
    expect(none.status).toBe(404);
    expect(readdirSync(join(dataDir, 'uploads'))).toEqual([]);
  });
});

describe('batches a browser abandoned mid-upload', () => {
  it('are swept when the browser host starts; a batch written to within the hour is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annealab-sweep-'));
    const dataDir = join(dir, 'data');
    const uploads = join(dataDir, 'uploads');
    const stale = join(uploads, 'left-yesterday', 'part');
    const fresh = join(uploads, 'arriving-now');
    mkdirSync(stale, { recursive: true });
    mkdirSync(fresh, { recursive: true });
    writeFileSync(join(stale, 'train-images-idx3-ubyte'), 'half a file');
    writeFileSync(join(fresh, 'a.csv'), '0,1,2');
    // Everything in the stale batch last changed two hours ago; one file of the fresh one now.
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const p of [join(stale, 'train-images-idx3-ubyte'), stale, join(uploads, 'left-yesterday')]) {
      utimesSync(p, old, old);
    }
    utimesSync(fresh, old, old);
    const app = AnnealabApp.start({ dataDir, host: 'web', role: 'test', execute: false });
    const host = await startWebHost(app, { token: 'sweep-token-0123456789', rendererDir: join(dir, 'r') });
    try {
      expect(readdirSync(uploads)).toEqual(['arriving-now']);
      expect(readFileSync(join(fresh, 'a.csv'), 'utf8')).toBe('0,1,2');
    } finally {
      await host.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
