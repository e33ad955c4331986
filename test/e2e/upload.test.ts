// Importing by dropping files in a browser, end to end: Debian's Chromium against the browser
// host with a fresh data dir. Two IDX files are dropped on the Datasets view's drop zone (a
// DataTransfer made in the page, as a drag from the desktop gives), uploaded and imported; the
// dataset shows with its class counts; the same through the file input; and a 1-epoch
// experiment on such a dataset runs to the end.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idxImages, idxLabels } from '../fixtures/import/make';
import {
  invokeRoute,
  launchChromium,
  requireBuiltRenderer,
  screenshot,
  startServe,
  type ServeProcess,
} from './helpers';

const NAME = 'dropped-bars';

/** 120 28×28 images of 4 classes, a bar whose position tells the class. */
function barFiles(): { name: string; bytes: number[] }[] {
  const count = 120;
  const images = new Uint8Array(count * 28 * 28);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    labels[n] = n % 4;
    for (let r = 4; r < 24; r++)
      for (let c = 0; c < 4; c++) images[n * 784 + r * 28 + 2 + 6 * labels[n]! + c] = 255;
  }
  return [
    { name: 'train-images-idx3-ubyte', bytes: [...idxImages(images, count, 28, 28)] },
    { name: 'train-labels-idx1-ubyte', bytes: [...idxLabels(labels)] },
  ];
}

describe('dropping files on the Datasets view in Chromium', () => {
  let dataDir: string;
  let serve: ServeProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[] = [];
  const uploadsLeft = () =>
    existsSync(join(dataDir, 'uploads')) ? readdirSync(join(dataDir, 'uploads')) : [];

  beforeAll(async () => {
    requireBuiltRenderer();
    dataDir = mkdtempSync(join(tmpdir(), 'annealab-e2e-upload-'));
    serve = await startServe(dataDir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  // Each test on a page of its own, from the start page: any one can run alone (-t).
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(serve.url);
  }, 60_000);

  afterEach(async () => {
    await context?.close();
    expect(pageErrors, 'errors in the page').toEqual([]);
  });

  it('uploads and imports dropped IDX files, and shows them with their class counts', async () => {
    await page.getByTestId('nav-datasets').click();
    const zone = page.getByTestId('import-dropzone');
    await zone.waitFor();
    await page.getByTestId('import-name').fill(NAME);
    const dataTransfer = await page.evaluateHandle((files) => {
      // The page's DataTransfer (this file is typed for Node, without the DOM's names).
      const { DataTransfer } = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: File): unknown } };
      };
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
      return dt;
    }, barFiles());
    await zone.dispatchEvent('drop', { dataTransfer });
    // Dropping holds the files; Import sends them (issue 18: nothing starts before the name).
    await page.getByTestId('import-pending').waitFor();
    await page.getByTestId('import-start').click();

    await page.getByTestId(`dataset-${NAME}`).waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('h1').textContent(), { timeout: 30_000 }).toContain(NAME);
    await page.getByTestId('sample-grid').waitFor({ timeout: 30_000 });
    const rows = page.locator('[data-testid="class-counts"] tbody tr');
    await expect(rows.count()).resolves.toBe(4);
    // 120 images, 30 a class, split between train and test.
    for (let i = 0; i < 4; i++) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      expect(Number(cells[2]) + Number(cells[3])).toBe(30);
    }
    await expect(page.getByTestId('import-error').count()).resolves.toBe(0);
    await screenshot(page, 'datasets-uploaded');
    // Nothing is left of the upload on the host.
    expect(uploadsLeft()).toEqual([]);
  }, 120_000);

  it('uploads files chosen with the file input too', async () => {
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('import-name').fill('chosen-bars');
    await page.getByTestId('import-files').setInputFiles(
      barFiles().map((f) => ({
        name: f.name,
        mimeType: 'application/octet-stream',
        buffer: Buffer.from(f.bytes),
      })),
    );
    await page.getByTestId('import-start').click();
    await page.getByTestId('dataset-chosen-bars').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.locator('h1').textContent(), { timeout: 30_000 }).toContain('chosen-bars');
    // The header comes first; the preview (sample grid, class counts) loads after it.
    await page.getByTestId('sample-grid').waitFor({ timeout: 30_000 });
    const rows = page.locator('[data-testid="class-counts"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(4);
    expect(uploadsLeft()).toEqual([]);
  }, 120_000);

  it('runs a 1-epoch experiment on an imported dataset', async () => {
    // A dataset of its own, imported from the host's paths (the upload is the tests above).
    const files = mkdtempSync(join(dataDir, 'bars-'));
    for (const f of barFiles()) writeFileSync(join(files, f.name), Uint8Array.from(f.bytes));
    await invokeRoute(serve, 'datasets.import', { paths: [files], name: 'run-bars' });
    // Queued through the contract from the page (the cookie authenticates), watched in Queue.
    const result = await page.evaluate(async (dataset) => {
      const res = await fetch('/api/invoke/experiments.submit', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          spec: {
            name: 'on-dropped',
            dataset: { id: dataset },
            models: ['mlp'],
            methods: [{ id: 'sgd' }],
            seeds: [1],
            epochs: 1,
            batchSize: 16,
          },
        }),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    }, 'run-bars');
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    const runId = (result.body as { value: { runIds: string[] } }).value.runIds[0]!;
    const status = () =>
      page.evaluate(async (id) => {
        const res = await fetch('/api/invoke/runs.get', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ runId: id }),
        });
        return ((await res.json()) as { value: { run: { status: string } } }).value.run.status;
      }, runId);
    await expect.poll(status, { timeout: 120_000, interval: 500 }).toBe('finished');
    // And the Queue view shows it so.
    await page.getByTestId('nav-queue').click();
    await page.getByTestId('queue-table').waitFor();
    await expect
      .poll(() => page.locator('[data-testid="queue-run"][data-status="finished"]').count(), {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(1);
  }, 180_000);
});
