// The workbench end to end, in Debian's Chromium against the browser host on fresh data dirs:
// build an experiment in the UI (mlp, 600 MNIST images, SGD and SSA, 2 seeds, 2 epochs), see
// the message for an invalid field, queue it and watch it finish in Queue; on a trained one, see
// its curves in Run and Compare, download the LaTeX and CSV exports and check them, import a
// small IDX dataset, and screenshot every view in both themes (test-artifacts/screenshots).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { idxImages, idxLabels } from '../fixtures/import/make';
import {
  launchChromium,
  requireBuiltRenderer,
  screenshot,
  startServe,
  submitAndFinish,
  type ServeProcess,
} from './helpers';

const NAME = 'e2e-mnist';
/** What the builder makes below, and what the views' tests find already trained. */
const SPEC = {
  name: NAME,
  dataset: { id: 'mnist', trainSize: 600, testSize: 200 },
  models: ['mlp'],
  methods: [{ id: 'sgd', lr: 0.1 }, { id: 'ssa' }],
  seeds: [1, 2],
  epochs: 2,
  batchSize: 64,
};

/** Fills the builder with the experiment above (not queued). */
async function fillBuilder(page: Page): Promise<void> {
  await page.getByTestId('new-experiment').click();
  await page.getByTestId('builder').waitFor();
  await page.getByTestId('name').fill(NAME);
  await page.getByTestId('dataset').selectOption('mnist');
  await page.getByTestId('train-size').fill('600');
  await page.getByTestId('test-size').fill('200');
  // Networks: the MLP only.
  for (const box of await page.locator('[data-testid^="model-"]').all()) await box.uncheck();
  await page.getByTestId('model-mlp').check();
  // Methods: SGD and SSA, from an empty list.
  while ((await page.locator('[data-testid$="-remove"]').count()) > 0) {
    await page.locator('[data-testid$="-remove"]').first().click();
  }
  await expect(page.getByTestId('problems').textContent()).resolves.toContain('methods');
  await page.getByTestId('add-method-id').selectOption('sgd');
  await page.getByTestId('add-method').click();
  await page.getByTestId('add-method-id').selectOption('ssa');
  await page.getByTestId('add-method').click();
  await page.getByTestId('seeds').fill('1, 2');
  await page.getByTestId('epochs').fill('2');
  await page.getByTestId('batch-size').fill('64');
}

// Each test opens its own page and makes what it needs: a test can run alone (-t) or in any
// order. Two data dirs: one where the builder queues (and nothing else does), one with the
// experiment queued through the host's route in the set-up, for the views that show results.
let browser: Browser;
beforeAll(async () => {
  requireBuiltRenderer();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
});

/** A host on a fresh data dir, and a fresh page on it for each test (its errors fail that test). */
function workbench() {
  const w = { dataDir: '', serve: undefined as unknown as ServeProcess, page: undefined as unknown as Page };
  let context: BrowserContext;
  let pageErrors: string[] = [];
  beforeAll(async () => {
    w.dataDir = mkdtempSync(join(tmpdir(), 'annealab-e2e-'));
    // The backend is chosen as a user's would be (auto): wasm here and in CI.
    w.serve = await startServe(w.dataDir);
  }, 120_000);
  afterAll(async () => {
    await w.serve?.stop();
    if (w.dataDir) rmSync(w.dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    w.page = await context.newPage();
    pageErrors = [];
    w.page.on('pageerror', (e) => pageErrors.push(e.message));
    await w.page.goto(w.serve.url);
    // The token was traded for a cookie and taken out of the address.
    expect(w.page.url()).not.toContain('token=');
  }, 60_000);
  afterEach(async () => {
    await context?.close();
    expect(pageErrors, 'errors in the page').toEqual([]);
  });
  return w;
}

describe('the workbench in Chromium: building and queueing', () => {
  const w = workbench();
  let page: Page;
  beforeEach(() => {
    page = w.page;
  });

  it('shows the views by name', async () => {
    for (const name of ['Experiments', 'Queue', 'Compare', 'Datasets', 'System']) {
      await expect(page.locator('nav.sidebar').getByText(name, { exact: true }).count()).resolves.toBe(1);
    }
    await page.getByTestId('experiments-table').waitFor();
    await screenshot(page, 'experiments-empty');
  });

  it('builds the experiment, with a message for an invalid field', async () => {
    await fillBuilder(page);

    // As you type: a negative learning rate, then text, each with its message at the field.
    const lr = page.getByTestId('method-0-lr');
    await expect(lr.inputValue()).resolves.toBe('0.1');
    await lr.fill('-1');
    const lrField = page.getByTestId('method-0').locator('label', { has: lr });
    await expect(lrField.getByTestId('field-problem').textContent()).resolves.toContain('must be > 0');
    await expect(page.getByTestId('problems').textContent()).resolves.toContain('methods[0].lr: must be > 0');
    await expect(page.getByTestId('submit').isDisabled()).resolves.toBe(true);
    await expect(lr.getAttribute('class')).resolves.toContain('invalid');
    await screenshot(page, 'experiments-builder-invalid');
    await lr.fill('abc');
    await expect(lrField.getByTestId('field-problem').textContent()).resolves.toContain('must be a number');
    await lr.fill('0.1');
    await page.getByTestId('valid').waitFor();
    await expect(page.getByTestId('submit').textContent()).resolves.toContain('Queue 4 runs');

    await page.getByTestId('tab-json').click();
    const spec = JSON.parse((await page.getByTestId('spec-json').textContent())!) as Record<string, unknown>;
    expect(spec).toMatchObject({
      name: NAME,
      dataset: { id: 'mnist', trainSize: 600, testSize: 200 },
      models: ['mlp'],
      methods: [
        { id: 'sgd', lr: 0.1 },
        { id: 'ssa', epsilon: 0.01 },
      ],
      seeds: [1, 2],
      epochs: 2,
      batchSize: 64,
    });
    await page.getByRole('button', { name: 'Form' }).click();
    await screenshot(page, 'experiments-builder');
  });

  it('queues it and watches it finish in Queue', async () => {
    await fillBuilder(page);
    await page.getByTestId('valid').waitFor();
    await page.getByTestId('submit').click();
    await page.getByTestId('queue-table').waitFor();
    const rows = page.locator('[data-testid="queue-run"]');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(4);
    // A screenshot while it runs, then wait for all four to finish.
    await page
      .locator('[data-testid="queue-run"][data-status="running"]')
      .first()
      .waitFor({ timeout: 60_000 });
    await screenshot(page, 'queue-running');

    // The last run waits while the first two train: open it and watch its epochs arrive live.
    const last = rows.nth(3);
    const lastStatus = await last.getAttribute('data-status');
    await last.getByTestId('open-run').click();
    await page.getByTestId('run-view').waitFor();
    if (lastStatus === 'queued') {
      await expect(page.getByTestId('run-view').textContent()).resolves.toContain(
        'No epoch has finished yet',
      );
    }
    await expect
      .poll(() => page.locator('[data-testid="epochs-table"] tbody tr').count(), {
        timeout: 240_000,
        interval: 500,
      })
      .toBe(2);
    await expect
      .poll(() => page.getByTestId('run-view').getByTestId('status').first().textContent())
      .toBe('finished');
    await expect
      .poll(() => page.locator('[data-testid="run-charts"] canvas').count())
      .toBeGreaterThanOrEqual(5);
    await page.getByTestId('nav-queue').click();
    await expect
      .poll(() => page.locator('[data-testid="queue-run"][data-status="finished"]').count(), {
        timeout: 240_000,
        interval: 1000,
      })
      .toBe(4);
    await expect(page.getByTestId('queue-counts').textContent()).resolves.toContain('4 finished');
    await screenshot(page, 'queue');
  }, 300_000);
});

describe('the workbench in Chromium: a finished experiment', () => {
  const w = workbench();
  let page: Page;
  let dataDir: string;
  let serve: ServeProcess;
  let finished: Promise<unknown>;
  beforeAll(() => {
    ({ dataDir, serve } = w);
    // Trains while the first tests run; those that show its results wait for it.
    finished = submitAndFinish(serve, SPEC);
    finished.catch(() => {}); // reported by the tests that await it
  });
  beforeEach(() => {
    page = w.page;
  });

  it('shows a run with its curves', async () => {
    await finished;
    await page.getByTestId('nav-queue').click();
    const ssaRow = page.locator('[data-testid="queue-run"]', { hasText: 'SSA' }).first();
    await ssaRow.getByTestId('open-run').click();
    await page.getByTestId('run-view').waitFor();
    await page.getByTestId('run-charts').waitFor();
    // Loss, accuracy, schedule, moves and acceptance: five charts for an SSA run.
    await expect
      .poll(() => page.locator('[data-testid="run-charts"] canvas').count())
      .toBeGreaterThanOrEqual(5);
    await expect(page.locator('[data-testid="epochs-table"] tbody tr').count()).resolves.toBe(2);
    await expect(page.getByTestId('environment').textContent()).resolves.toMatch(/wasm|tensorflow|cpu/);
    await screenshot(page, 'run');
  });

  it('compares the methods and exports LaTeX, CSV and a figure', async () => {
    await finished;
    await page.getByTestId('nav-compare').click();
    await page.getByTestId(`select-${NAME}`).waitFor();
    // Nothing is pre-selected (issue 18): the user ticks the experiment.
    await page.getByTestId(`select-${NAME}`).check();
    await expect.poll(() => page.getByTestId(`select-${NAME}`).isChecked()).toBe(true);
    // Validation accuracy and loss, train against validation loss, worsening moves (SSA).
    await expect.poll(() => page.locator('[data-testid="compare-charts"] canvas').count()).toBe(4);
    const table = page.getByTestId('comparison-table');
    await expect(table.textContent()).resolves.toContain('SGD (η = 0.1)');
    await expect(table.textContent()).resolves.toContain('SSA (ε = 0.01');
    await screenshot(page, 'compare');
    await table.scrollIntoViewIfNeeded();
    await screenshot(page, 'compare-table');

    const download = async (testId: string) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
      return { name: d.suggestedFilename(), text: readFileSync((await d.path())!, 'utf8') };
    };
    const latex = await download('export-latex');
    expect(latex.name).toBe(`${NAME}.tex`);
    expect(latex.text).toContain('\\begin{tabular}');
    expect(latex.text).toContain('MLP');
    expect(latex.text).toMatch(/SGD \(\$\\eta = 0\.1\$\)|SGD \(\$\\eta\$ = 0\.1\)|SGD/);
    expect(latex.text).toContain('SSA');
    expect(latex.text).toMatch(/\d+\.\d\d/);

    const csv = await download('export-csv');
    expect(csv.name).toBe(`${NAME}.csv`);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^Method,/);
    expect(lines[0]).toContain('MLP');
    const sgd = lines.find((l) => l.includes('SGD (η = 0.1)'));
    const ssa = lines.find((l) => l.startsWith('"SSA') || l.startsWith('SSA'));
    expect(sgd).toBeDefined();
    expect(ssa).toBeDefined();
    // Loss and accuracy cells are numbers (accuracy in percent).
    expect(sgd!).toMatch(/,\d+\.\d+/);

    const svg = await download('export-figure-0');
    expect(svg.name).toBe(`${NAME}-val-accuracy.svg`);
    expect(svg.text).toContain('<svg');
  });

  it('previews the datasets', async () => {
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-mnist').click();
    await page.getByTestId('sample-grid').waitFor({ timeout: 60_000 });
    await expect(page.locator('[data-testid="class-counts"] tbody tr').count()).resolves.toBe(10);
    await screenshot(page, 'datasets');
  });

  it('imports a dataset from paths on the host', async () => {
    // 100 28×28 images of 10 classes as IDX files, as MNIST ships them.
    const dir = mkdtempSync(join(dataDir, 'to-import-'));
    const count = 100;
    const images = new Uint8Array(count * 28 * 28);
    const labels = new Uint8Array(count);
    for (let n = 0; n < count; n++) {
      labels[n] = n % 10;
      // A bar whose position tells the class, so the preview shows something.
      for (let r = 4; r < 24; r++)
        for (let c = 0; c < 4; c++) images[n * 784 + r * 28 + 2 + 2 * labels[n]! + c] = 255;
    }
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxImages(images, count, 28, 28));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxLabels(labels));

    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('import-paths').fill(dir);
    await page.getByTestId('import-name').fill('bars');
    await page.getByTestId('import-start').click();
    await page.getByTestId('dataset-bars').waitFor({ timeout: 60_000 });
    await page.getByTestId('sample-grid').waitFor();
    await expect(page.locator('h1').textContent()).resolves.toContain('bars');
    await expect(page.locator('[data-testid="class-counts"] tbody tr').count()).resolves.toBe(10);
    // A bad path is reported, not thrown.
    await page.getByTestId('import-paths').fill(join(dir, 'missing'));
    await page.getByTestId('import-name').fill('nothing');
    await page.getByTestId('import-start').click();
    await expect(page.getByTestId('import-error').textContent()).resolves.toMatch(
      /missing|no such|not found|ENOENT/i,
    );
    await screenshot(page, 'datasets-imported');
  });

  it('shows the backend and why, the data dir and the database size', async () => {
    await page.getByTestId('nav-system').click();
    await page.getByTestId('system').waitFor();
    await expect(page.getByTestId('backend-name').textContent()).resolves.toMatch(/^(wasm|tensorflow|cpu)$/);
    // "auto: @tensorflow/tfjs-node-gpu is not installed …; using wasm" on a machine without it.
    await expect(page.getByTestId('backend-reason').textContent()).resolves.toMatch(/^auto: /);
    await expect(page.getByTestId('data-dir').textContent()).resolves.toBe(dataDir);
    await expect(page.getByTestId('db-size').textContent()).resolves.toMatch(/KiB|MiB/);
    await screenshot(page, 'system');
  });

  it('lists the experiment as finished', async () => {
    await finished;
    await page.getByTestId('nav-experiments').click();
    const row = page.getByTestId(`experiment-${NAME}`);
    await row.waitFor();
    await expect(row.getByTestId('status').textContent()).resolves.toBe('finished');
    // Its runs unfold under it, each a link to its Run view.
    await row.getByText(NAME).click();
    await expect.poll(() => page.locator('[data-testid="experiment-runs"] tbody tr').count()).toBe(4);
    await screenshot(page, 'experiments');
  });

  it('draws every view in the dark theme', async () => {
    await finished;
    await page.getByTestId('theme-toggle').click();
    await expect(page.locator('html').getAttribute('data-theme')).resolves.toBe('dark');
    for (const view of ['experiments', 'queue', 'compare', 'datasets', 'system']) {
      await page.getByTestId(`nav-${view}`).click();
      await page.waitForTimeout(500);
      await screenshot(page, `${view}-dark`);
    }
    await page.getByTestId('nav-queue').click();
    await page
      .locator('[data-testid="queue-run"]', { hasText: 'SSA' })
      .first()
      .getByTestId('open-run')
      .click();
    await page.getByTestId('run-charts').waitFor();
    await screenshot(page, 'run-dark');
    await page.goto(`${serve.origin}/#/experiments/new`);
    await page.getByTestId('builder').waitFor();
    await screenshot(page, 'experiments-builder-dark');
  });
});
