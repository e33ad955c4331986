// Issue 19 in Debian's Chromium against the browser host: the Experiments view shows each
// experiment's tags and description, filters by tag, renames in place (Enter saves, Esc cancels,
// an empty name is refused with the message) and deletes after a confirmation that says what
// goes; the host's routes read the result back. The data dir starts with recorded experiments
// (test/e2e/seed.ts), so nothing trains here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  invokeRoute,
  launchChromium,
  requireBuiltRenderer,
  screenshot,
  startServe,
  type ServeProcess,
} from './helpers';
import { seedRecorded } from './seed';

const MAIN = 'mnist-small';
const SECOND = 'lenet5-twelve-epochs';
const RENAMED = 'mnist-small, six methods';
const TRAINING = 'still-training';
const DESCRIPTION =
  'The thesis comparison on a small MNIST subset: SGD against the annealing methods, three seeds each, ' +
  'long enough that the list must cut it with an ellipsis and show the whole text on hover.';

describe('experiment management in the Experiments view (issue 19)', () => {
  let dataDir: string;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let mainId = '';
  let secondId = '';
  const pageErrors: string[] = [];

  const list = async () => (await invokeRoute(serve, 'experiments.list')) as { id: string; name: string }[];

  beforeAll(async () => {
    requireBuiltRenderer();
    dataDir = mkdtempSync(join(tmpdir(), 'annealab-e2e-manage-'));
    mainId = seedRecorded(dataDir, { name: MAIN, description: DESCRIPTION, tags: ['thesis', 'baseline'] });
    secondId = seedRecorded(dataDir, { name: SECOND, models: ['lenet5'], epochs: 12, tags: ['ablation'] });
    serve = await startServe(dataDir);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(serve.url);
    await page.getByTestId('nav-experiments').click();
    await page.getByTestId(`experiment-${MAIN}`).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows tags as chips and the description cut, whole on hover, and filters by tag', async () => {
    await screenshot(page, 'experiments-manage');
    const main = page.getByTestId(`experiment-${MAIN}`);
    await expect(main.getByTestId('experiment-tag').allTextContents()).resolves.toEqual([
      'thesis',
      'baseline',
    ]);
    await expect(
      page.getByTestId(`experiment-${SECOND}`).getByTestId('experiment-tag').allTextContents(),
    ).resolves.toEqual(['ablation']);
    const cell = main.getByTestId('experiment-description');
    await expect(cell.getAttribute('title')).resolves.toBe(DESCRIPTION);
    // Cut: the text is wider than its cell.
    await expect(cell.evaluate((el) => el.scrollWidth > el.clientWidth)).resolves.toBe(true);
    // The filter matches a tag that is in no name.
    await page.getByTestId('experiments-filter').fill('baseline');
    await expect.poll(() => page.getByTestId(`experiment-${SECOND}`).count()).toBe(0);
    await expect(page.getByTestId(`experiment-${MAIN}`).isVisible()).resolves.toBe(true);
    // Clicking a chip filters by it.
    await page.getByTestId('experiments-filter').fill('');
    await page.getByTestId(`experiment-${SECOND}`).getByTestId('experiment-tag').click();
    await expect(page.getByTestId('experiments-filter').inputValue()).resolves.toBe('ablation');
    await expect.poll(() => page.getByTestId(`experiment-${MAIN}`).count()).toBe(0);
    await page.getByTestId('experiments-filter').fill('');
    // The opened row shows the whole description.
    await page.getByTestId(`experiment-${MAIN}`).locator('a.name').click();
    await expect(page.getByTestId('experiment-full-description').textContent()).resolves.toContain(
      'show the whole text on hover.',
    );
    await page.getByTestId(`experiment-${MAIN}`).locator('a.name').click();
  });

  it('refuses an empty name with the message, cancels on Esc, and saves on Enter', async () => {
    await page.getByTestId(`rename-${MAIN}`).click();
    const input = page.getByTestId('rename-input');
    await expect(input.inputValue()).resolves.toBe(MAIN);
    await input.fill('   ');
    await input.press('Enter');
    await expect(page.getByTestId('rename-error').textContent()).resolves.toContain('a name cannot be empty');
    await input.press('Escape');
    await expect(page.getByTestId('rename-input').count()).resolves.toBe(0);
    await expect(page.getByTestId(`experiment-${MAIN}`).isVisible()).resolves.toBe(true);
    expect((await list()).find((e) => e.id === mainId)?.name).toBe(MAIN);

    await page.getByTestId(`rename-${MAIN}`).click();
    await page.getByTestId('rename-input').fill(RENAMED);
    await page.getByTestId('rename-input').press('Enter');
    await page.getByTestId(`experiment-${RENAMED}`).waitFor();
    await expect(page.getByTestId(`experiment-${MAIN}`).count()).resolves.toBe(0);
    const detail = (await invokeRoute(serve, 'experiments.get', { key: mainId })) as {
      name: string;
      tags: string[];
    };
    expect(detail.name).toBe(RENAMED);
    expect(detail.tags).toEqual(['thesis', 'baseline']);
    // A name over the host's bound: its refusal is shown under the field, nothing changes.
    await page.getByTestId(`rename-${RENAMED}`).click();
    await page.getByTestId('rename-input').fill('x'.repeat(201));
    await page.getByTestId('rename-input').press('Enter');
    await expect.poll(() => page.getByTestId('rename-error').count()).toBe(1);
    await expect(page.getByTestId('rename-error').textContent()).resolves.toMatch(/\S/);
    await page.getByTestId('rename-input').press('Escape');
    expect((await list()).find((e) => e.id === mainId)?.name).toBe(RENAMED);
  });

  it('deletes after a confirmation that says what goes, and the list no longer has it', async () => {
    await page.getByTestId(`delete-${SECOND}`).click();
    const what = page.getByTestId('delete-what');
    await expect(what.textContent()).resolves.toMatch(/18 runs, their\s+216 recorded epochs and their files/);
    await screenshot(page, 'experiments-manage-delete');
    // Keep it: nothing goes.
    await page.getByTestId('delete-no').click();
    await expect(page.getByTestId('delete-confirm').count()).resolves.toBe(0);
    expect((await list()).some((e) => e.id === secondId)).toBe(true);

    await page.getByTestId(`delete-${SECOND}`).click();
    await page.getByTestId('delete-yes').click();
    await expect.poll(() => page.getByTestId(`experiment-${SECOND}`).count()).toBe(0);
    const after = await list();
    expect(after.some((e) => e.id === secondId)).toBe(false);
    expect(after.map((e) => e.id)).toEqual([mainId]);
    await expect(invokeRoute(serve, 'experiments.get', { key: secondId })).rejects.toThrow(/no experiment/);
    // The runs went too.
    const queue = (await invokeRoute(serve, 'queue.list')) as { runs: { experimentId: string }[] };
    expect(queue.runs.some((r) => r.experimentId === secondId)).toBe(false);
    await expect(page.getByTestId(`experiment-${RENAMED}`).isVisible()).resolves.toBe(true);
  });

  it('shows the refusal while a run is running, and "cancel them and delete" deletes it', async () => {
    // A real run, long enough to be running while the user deletes.
    const { experimentId } = (await invokeRoute(serve, 'experiments.submit', {
      spec: {
        name: TRAINING,
        dataset: { id: 'mnist', trainSize: 600, testSize: 200 },
        models: ['mlp'],
        methods: [{ id: 'sgd', lr: 0.1 }],
        seeds: [1],
        epochs: 500,
        batchSize: 64,
      },
    })) as { experimentId: string };
    const counts = async () =>
      (
        (await invokeRoute(serve, 'experiments.list')) as { id: string; counts: Record<string, number> }[]
      ).find((e) => e.id === experimentId)?.counts;
    await expect.poll(async () => (await counts())?.running, { timeout: 60_000 }).toBe(1);
    await page.getByTestId(`experiment-${TRAINING}`).waitFor();
    await page.getByTestId(`delete-${TRAINING}`).click();
    await page.getByTestId('delete-yes').click();
    const refusal = page.getByTestId('delete-refusal');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toMatch(/has a run running/);
    await screenshot(page, 'experiments-manage-refused');
    // Refused: nothing went, the run still runs.
    await expect(counts().then((c) => c?.running)).resolves.toBe(1);
    await page.getByTestId('delete-cancel-runs').click();
    await expect.poll(() => page.getByTestId(`experiment-${TRAINING}`).count(), { timeout: 60_000 }).toBe(0);
    expect((await list()).some((e) => e.id === experimentId)).toBe(false);
    expect(pageErrors).toEqual([]);
  }, 150_000);
});
