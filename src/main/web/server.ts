// The browser host: the built renderer plus the shared contract over HTTP (one invoke route)
// and server-sent events (one stream), for headless GPU servers and end-to-end tests.
//
// It is as private as the desktop app: it binds 127.0.0.1 by default, every request needs the
// random token printed in its URL (the first page load trades it for an HttpOnly, SameSite
// cookie), and a request whose Host header is not this server's own is refused, so that a web
// page elsewhere cannot reach it through DNS rebinding.
//
// A browser never tells where dropped files are, so it uploads them: each file's bytes to
// POST /api/upload?batch=ID&path=<relative path> (under <dataDir>/uploads/<batch>/), then
// POST /api/upload/import?batch=ID with the import's name calls `datasets.import` on that
// folder and removes it, whatever the outcome; DELETE /api/upload?batch=ID discards a batch.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, realpath, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  ContractError,
  createRegistry,
  events as EVENT_TABLE,
  routes,
  type EventName,
  type Registry,
} from '../../shared/contract';
import type { AnnealabApp } from '../services/app';
import { appRoot } from '../services/app-root';
import { userFacingUploadMessage } from './upload-errors';
import { sweepAbandonedUploads } from './upload-sweep';

export const TOKEN_COOKIE = 'annealab_token';
const MAX_BODY = 8 * 1024 * 1024;
const SSE_HEARTBEAT_MS = 15_000;
/** What one upload batch (one drop) may hold in all. */
export const MAX_UPLOAD_BATCH = 2 * 1024 ** 3;
const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The built renderer (electron-vite's output) in the install, from the sources or a build. */
export const DEFAULT_RENDERER_DIR = join(appRoot(), 'out', 'renderer');

/** Shared with the Electron window: scripts only from the app itself, no eval, no remote. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // ECharts and Vue's style bindings set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8',
};

export interface WebHostOptions {
  port?: number;
  host?: string;
  /** Fixed for tests; random otherwise. */
  token?: string;
  rendererDir?: string;
  /** Bytes one upload batch may hold; MAX_UPLOAD_BATCH unless a test sets less. */
  maxUploadBatch?: number;
  /**
   * Folders besides the user's home and the data dir from which `datasets.import` may read
   * host paths (`annealab serve --import-root DIR`).
   */
  importRoots?: readonly string[];
}

export interface WebHost {
  server: Server;
  /** The URL to open, with the token. */
  url: string;
  origin: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/**
 * A dropped file's path relative to its batch folder, as `a/b/c`, or null when it is absolute,
 * has a drive letter, or has an empty, `.` or `..` segment.
 */
export function safeUploadPath(rel: string | null): string | null {
  if (!rel || rel.length > 1024 || rel.includes('\0')) return null;
  if (/^[/\\]/.test(rel) || /^[A-Za-z]:/.test(rel)) return null;
  const parts = rel.split(/[/\\]/);
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  return parts.join('/');
}

function errorStatus(e: ContractError): number {
  return e.code === 'bad-input'
    ? 400
    : e.code === 'unknown-route' || e.code === 'not-found'
      ? 404
      : e.code === 'unsupported'
        ? 501
        : e.code === 'internal'
          ? 500
          : 409;
}

function asContractError(err: unknown): ContractError {
  return err instanceof ContractError
    ? err
    : new ContractError(err instanceof Error ? err.message : String(err), 'internal');
}

/** Methods that only read; every other one changes state and must come from this server's page. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a state-changing request is refused as cross-site, or null. The token alone is not enough:
 * a page elsewhere that learnt it (a pasted URL, a screenshot) could otherwise pause the queue or
 * delete a dataset from the user's own browser. A request without Origin (curl, scripts with the
 * Bearer token) is accepted; a browser sends Origin on every POST, so its absence is not a page.
 */
export function crossSiteRefusal(
  headers: IncomingMessage['headers'],
  hosts: ReadonlySet<string>,
): string | null {
  const origin = headers.origin;
  if (origin !== undefined) {
    const own = /^http:\/\/([^/]+)$/i.exec(origin);
    if (!own || !hosts.has(own[1]!.toLowerCase())) {
      return `refused: Origin "${origin}" is not this server's own; use Annealab from the page \`annealab serve\` printed`;
    }
  }
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return `refused: a ${site} request (Sec-Fetch-Site); use Annealab from the page \`annealab serve\` printed`;
  }
  return null;
}

const within = (root: string, path: string) =>
  path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The folders a browser may import host paths from, resolved through symlinks. A page holds the
 * token, not the user's trust in every file the host can read: confined, an import cannot pick
 * up /etc or another user's files, and its errors cannot carry their lines back.
 */
export async function importRootsFor(dataDir: string, extra: readonly string[] = []): Promise<string[]> {
  const roots: string[] = [];
  for (const root of [homedir(), dataDir, ...extra]) {
    try {
      roots.push(await realpath(resolve(root)));
    } catch {
      // A home or data dir that is not there yet holds nothing to import.
    }
  }
  return roots;
}

/** Refuse an import path outside the roots: by its name first, then by where its symlinks lead. */
export async function checkImportPaths(paths: unknown, roots: readonly string[]): Promise<void> {
  if (!Array.isArray(paths)) return; // the route's schema says what is wrong with it
  const refuse = (p: string) =>
    new ContractError(
      `cannot import ${p}: the browser host imports only from your home folder, the data dir and ` +
        'the folders `annealab serve --import-root DIR` names; start it with --import-root for another folder',
      'bad-input',
    );
  for (const p of paths) {
    if (typeof p !== 'string') continue;
    const lexical = resolve(p);
    // Outside by name is refused before the file is looked at, so the answer says nothing of it.
    if (!roots.some((r) => within(r, lexical))) throw refuse(p);
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      throw new ContractError(`cannot import ${p}: no such file or folder`, 'bad-input');
    }
    if (!roots.some((r) => within(r, real))) throw refuse(p);
  }
}

/** A body over MAX_BODY: answered 413 once the client has sent it, so it reads the answer. */
class BodyTooLarge extends Error {}

/** The Host header values this server answers to: its own address and port, by IP or as localhost. */
export function allowedHosts(bindHost: string, port: number): Set<string> {
  const names = new Set([bindHost, '127.0.0.1', 'localhost', '[::1]']);
  if (bindHost === '0.0.0.0' || bindHost === '::') names.delete(bindHost);
  return new Set([...names].map((n) => `${n.includes(':') && !n.startsWith('[') ? `[${n}]` : n}:${port}`));
}

export function startWebHost(app: AnnealabApp, options: WebHostOptions = {}): Promise<WebHost> {
  const bindHost = options.host ?? '127.0.0.1';
  const token = options.token ?? newToken();
  const rendererDir = resolve(options.rendererDir ?? DEFAULT_RENDERER_DIR);
  const registry: Registry = createRegistry(routes, app.handlers, 'web');
  const roots = importRootsFor(app.dataDir, options.importRoots);
  const streams = new Set<ServerResponse>();
  let hosts = new Set<string>();

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type':
        typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  };

  const authorised = (req: IncomingMessage, url: URL): boolean => {
    const offered = [
      cookieValue(req.headers.cookie, TOKEN_COOKIE),
      url.searchParams.get('token'),
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null,
    ];
    return offered.some((t) => t !== null && sameSecret(t, token));
  };

  const serveStatic = (res: ServerResponse, pathname: string) => {
    if (!existsSync(join(rendererDir, 'index.html'))) {
      send(
        res,
        503,
        `The renderer is not built (${rendererDir} has no index.html). Run \`npm run build\` (or \`npm start\`, which builds it).\n`,
      );
      return;
    }
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    } catch {
      return send(res, 400, 'bad path\n');
    }
    let file = resolve(rendererDir, rel || 'index.html');
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return send(res, 404, 'not found\n');
    if (!existsSync(file) || !statSync(file).isFile()) {
      // The app's own routes are hash-based; anything else unknown is not found.
      if (extname(file)) return send(res, 404, 'not found\n');
      file = join(rendererDir, 'index.html');
    }
    res.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
    });
    createReadStream(file).pipe(res);
  };

  // Past MAX_BODY the rest is read and dropped rather than the connection reset: a reset loses
  // the 413 the client should see (it is still sending when the socket dies).
  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((ok, fail) => {
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) {
        req.resume();
        req.on('end', () => fail(new BodyTooLarge()));
        req.on('error', fail);
        return;
      }
      let size = 0;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
        else chunks.length = 0;
      });
      req.on('end', () =>
        size > MAX_BODY ? fail(new BodyTooLarge()) : ok(Buffer.concat(chunks).toString('utf8')),
      );
      req.on('error', fail);
    });
  const tooLargeBody = (res: ServerResponse) =>
    send(res, 413, {
      error: {
        message: `the request body is larger than ${MAX_BODY / 1024 / 1024} MiB; send less (files go through /api/upload)`,
        code: 'bad-input',
      },
    });

  const invoke = async (req: IncomingMessage, res: ServerResponse, name: string) => {
    if (req.method !== 'POST') return send(res, 405, { error: { message: 'use POST', code: 'bad-input' } });
    // A form on another site cannot send this content type without a CORS preflight.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return send(res, 415, { error: { message: 'send application/json', code: 'bad-input' } });
    }
    try {
      const text = await readBody(req);
      let input: unknown = {};
      if (text.trim()) {
        try {
          input = JSON.parse(text);
        } catch {
          throw new ContractError('the request body is not JSON', 'bad-input');
        }
      }
      // Host paths from a browser stay inside the import roots; the desktop app (another host)
      // imports whatever its user picked or dropped.
      if (name === 'datasets.import')
        await checkImportPaths((input as { paths?: unknown })?.paths, await roots);
      const value = await registry.invoke(name, input);
      send(res, 200, { value: value ?? null });
    } catch (err) {
      if (err instanceof BodyTooLarge) return tooLargeBody(res);
      const e = asContractError(err);
      send(res, errorStatus(e), { error: e.toBody() });
    }
  };

  const uploadsDir = join(app.dataDir, 'uploads');
  /** Bytes received so far per batch, against MAX_UPLOAD_BATCH. */
  const batchBytes = new Map<string, number>();
  const maxBatch = options.maxUploadBatch ?? MAX_UPLOAD_BATCH;
  const fail = (res: ServerResponse, status: number, message: string) =>
    send(res, status, { error: { message, code: 'bad-input' } });
  const discard = async (batch: string) => {
    batchBytes.delete(batch);
    await rm(join(uploadsDir, batch), { recursive: true, force: true });
  };

  const upload = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const batch = url.searchParams.get('batch') ?? '';
    if (!BATCH_ID.test(batch)) return fail(res, 400, 'batch must be 1 to 64 letters, digits, "_" or "-"');
    if (req.method === 'DELETE') {
      await discard(batch);
      return send(res, 200, { value: null });
    }
    if (req.method !== 'POST') return fail(res, 405, 'use POST');
    // As for invoke: a form on another site cannot send this content type without a preflight.
    if (!(req.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
      return send(res, 415, { error: { message: 'send application/octet-stream', code: 'bad-input' } });
    }
    const rel = safeUploadPath(url.searchParams.get('path'));
    if (!rel) return fail(res, 400, 'path must be relative, without "..", "." or empty segments');
    const used = batchBytes.get(batch) ?? 0;
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = () => fail(res, 413, `an upload batch may hold at most ${maxBatch} bytes`);
    if (used + declared > maxBatch) {
      await discard(batch);
      res.setHeader('Connection', 'close');
      return tooLarge();
    }
    const file = join(uploadsDir, batch, ...rel.split('/'));
    batchBytes.set(batch, used);
    let size = 0;
    let over = false;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        const total = (batchBytes.get(batch) ?? 0) + chunk.length;
        batchBytes.set(batch, total);
        if (total > maxBatch) {
          over = true;
          return done(new Error('too large'));
        }
        done(null, chunk);
      },
    });
    try {
      await mkdir(dirname(file), { recursive: true });
      await pipeline(req, counter, createWriteStream(file));
      send(res, 200, { value: { path: rel, bytes: size } });
    } catch (err) {
      await discard(batch);
      res.setHeader('Connection', 'close');
      if (over) return tooLarge();
      send(res, 500, { error: asContractError(err).toBody() });
    }
  };

  const importUpload = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const batch = url.searchParams.get('batch') ?? '';
    if (!BATCH_ID.test(batch)) return fail(res, 400, 'batch must be 1 to 64 letters, digits, "_" or "-"');
    if (req.method !== 'POST') return fail(res, 405, 'use POST');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return send(res, 415, { error: { message: 'send application/json', code: 'bad-input' } });
    }
    const folder = join(uploadsDir, batch);
    let status = 200;
    let body: unknown;
    try {
      const text = await readBody(req);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(text || '{}') as Record<string, unknown>;
      } catch {
        throw new ContractError('the request body is not JSON', 'bad-input');
      }
      if (!existsSync(folder)) throw new ContractError(`nothing was uploaded in batch ${batch}`, 'not-found');
      const value = await registry.invoke('datasets.import', { ...input, paths: [folder] });
      body = { value: value ?? null };
    } catch (err) {
      const e =
        err instanceof BodyTooLarge
          ? new ContractError(`the request body is larger than ${MAX_BODY / 1024 / 1024} MiB`, 'bad-input')
          : asContractError(err);
      status = err instanceof BodyTooLarge ? 413 : errorStatus(e);
      // The import read the batch's folder; the user knows their files by name, not by that path.
      body = { error: { ...e.toBody(), message: userFacingUploadMessage(e.message, folder) } };
    }
    // Removed before answering, so that the folder is gone when the client hears the outcome.
    await discard(batch).catch(() => {});
    send(res, status, body);
  };

  const stream = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const write = (name: EventName, payload: unknown) => {
      res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    };
    write('executor.changed', app.executorState());
    const off = app.subscribe((name, payload) => {
      if (Object.hasOwn(EVENT_TABLE, name)) write(name, payload);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
    streams.add(res);
    const end = () => {
      clearInterval(beat);
      off();
      streams.delete(res);
    };
    req.on('close', end);
    res.on('error', end);
  };

  const server = createServer((req, res) => {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!hosts.has(hostHeader)) {
      return send(res, 403, `refused: Host "${req.headers.host ?? ''}" is not this server's own\n`);
    }
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    if (!SAFE_METHODS.has(req.method ?? 'GET')) {
      const refusal = crossSiteRefusal(req.headers, hosts);
      if (refusal) return send(res, 403, { error: { message: refusal, code: 'bad-input' } });
    }
    if (!authorised(req, url)) {
      return send(
        res,
        401,
        'Annealab needs the token from the URL that `annealab serve` printed (…/?token=…).\n',
        { 'WWW-Authenticate': 'Bearer realm="annealab"' },
      );
    }
    if (url.searchParams.has('token') && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
      // Trade the token in the address bar for a cookie, and take it out of the address.
      url.searchParams.delete('token');
      res.writeHead(303, {
        'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}`,
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    if (url.pathname === '/api/events') return stream(req, res);
    const invokeMatch = /^\/api\/invoke\/([A-Za-z0-9.]+)$/.exec(url.pathname);
    if (invokeMatch) return void invoke(req, res, invokeMatch[1]!);
    if (url.pathname === '/api/upload') return void upload(req, res, url);
    if (url.pathname === '/api/upload/import') return void importUpload(req, res, url);
    if (url.pathname.startsWith('/api/'))
      return send(res, 404, { error: { message: 'no such API', code: 'unknown-route' } });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    serveStatic(res, url.pathname);
  });

  // Batches an earlier browser left half-uploaded go before this host takes new ones.
  const swept = sweepAbandonedUploads(uploadsDir);
  return swept.then(
    () =>
      new Promise<WebHost>((ok, fail) => {
        server.once('error', fail);
        server.listen(options.port ?? 0, bindHost, () => {
          server.off('error', fail);
          const port = (server.address() as AddressInfo).port;
          hosts = allowedHosts(bindHost, port);
          const shown = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
          const origin = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
          ok({
            server,
            url: `${origin}/?token=${token}`,
            origin,
            port,
            token,
            close: () =>
              new Promise<void>((done) => {
                for (const s of streams) s.end();
                server.closeAllConnections();
                server.close(() => done());
              }),
          });
        });
      }),
  );
}
