// End-to-end helpers: the browser host as a child process (as a user starts it), Debian's
// Chromium through playwright-core, and screenshots under test-artifacts/screenshots.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');
export const RENDERER_INDEX = join(ROOT, 'out', 'renderer', 'index.html');

/** Debian's package; CI installs it (.ci/run), `npx playwright install` cannot run here. */
export const CHROMIUM = process.env.ANNEALAB_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function requireBuiltRenderer(): void {
  if (!existsSync(RENDERER_INDEX)) {
    throw new Error(
      `${RENDERER_INDEX} is missing: build the renderer first (npm run build:renderer; npm test does)`,
    );
  }
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  origin: string;
  stderr: () => string;
  stop(): Promise<void>;
}

/** `annealab serve --json` on a free port; resolves with the URL it prints. */
export function startServe(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/annealab.mjs'), 'serve', '--json', '--data-dir', dataDir],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    err = (err + c).slice(-20_000);
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`annealab serve printed no URL within 60 s:\n${err}`)),
      60_000,
    );
    child.once('exit', (code) => fail(new Error(`annealab serve exited with ${code}:\n${err}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const { url } = JSON.parse(line) as { url: string };
      ok({
        child,
        url,
        origin: new URL(url).origin,
        stderr: () => err,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
          }),
      });
    });
  });
}

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (as .ci/run does)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  // Notices of earlier steps would cover the view; let charts finish their first layout.
  for (const close of await page.locator('[data-testid="notice"] button').all())
    await close.click({ timeout: 500 }).catch(() => {});
  await page.waitForTimeout(300);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** Calls one of the host's routes over HTTP with the token in its URL, as the renderer does. */
export async function invokeRoute(serve: ServeProcess, name: string, input: unknown = {}): Promise<unknown> {
  const token = new URL(serve.url).searchParams.get('token');
  const res = await fetch(`${serve.origin}/api/invoke/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as { value?: unknown; error?: { message: string } };
  if (!res.ok)
    throw new Error(`${name} answered ${res.status}: ${body.error?.message ?? JSON.stringify(body)}`);
  return body.value;
}

/**
 * Queues `spec` through the route the builder's Queue button calls and resolves once every run
 * of it has finished: the data a test of the views needs, made without another test's clicks.
 */
export async function submitAndFinish(
  serve: ServeProcess,
  spec: unknown,
  timeoutMs = 240_000,
): Promise<string> {
  const { experimentId } = (await invokeRoute(serve, 'experiments.submit', { spec })) as {
    experimentId: string;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await invokeRoute(serve, 'experiments.list')) as {
      id: string;
      runs: number;
      counts: Record<string, number>;
    }[];
    const e = list.find((x) => x.id === experimentId);
    if (e && e.counts.finished === e.runs) return experimentId;
    if (e && !e.counts.queued && !e.counts.running) {
      throw new Error(`the experiment ended with ${JSON.stringify(e.counts)}:\n${serve.stderr()}`);
    }
    if (Date.now() > deadline) throw new Error(`the experiment did not finish in ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
