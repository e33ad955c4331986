// Start the real browser host on a temporary data dir and call its routes over HTTP with the
// token, as the renderer's HTTP client does.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnealabApp } from '../../src/main/services/app';
import { startWebHost, type WebHost } from '../../src/main/web/server';

export interface RouteReply {
  status: number;
  body: { value?: any; error?: { code: string; message: string } };
}

export interface TestWebHost {
  dir: string;
  dataDir: string;
  app: AnnealabApp;
  host: WebHost;
  invoke(name: string, input: unknown): Promise<RouteReply>;
  close(): Promise<void>;
}

/** `importRoots`: folders besides home and the data dir to import from; the test's dir by default. */
export async function startTestWebHost(
  prefix: string,
  options: { importRoots?: (dir: string) => string[] } = {},
): Promise<TestWebHost> {
  const token = `${prefix}-token-0123456789`;
  const dir = mkdtempSync(join(tmpdir(), `annealab-${prefix}-`));
  const dataDir = join(dir, 'data');
  const app = AnnealabApp.start({ dataDir, host: 'web', role: 'test', execute: false });
  const host = await startWebHost(app, {
    token,
    rendererDir: join(dir, 'renderer'),
    importRoots: options.importRoots ? options.importRoots(dir) : [dir],
  });
  const invoke = (name: string, input: unknown): Promise<RouteReply> =>
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
          res.on('end', () => ok({ status: res.statusCode!, body: JSON.parse(body) as RouteReply['body'] }));
        },
      );
      req.on('error', fail);
      req.end(JSON.stringify(input));
    });
  return {
    dir,
    dataDir,
    app,
    host,
    invoke,
    async close() {
      await host.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
