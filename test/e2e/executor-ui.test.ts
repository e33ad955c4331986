// Issue 17's UI part in Debian's Chromium against the browser host: the System view's Executor
// card shows the setting in force and whether this host can submit Slurm jobs, as the
// `system.executor` route says (sbatch may or may not be on this machine's PATH; without it, slurm
// is disabled with the route's reason); with an sbatch
// on PATH, a bad Slurm time saved through the form is refused with the host's message next to
// its field and changes nothing, a good one is stored and shows in the Queue view's badge; and,
// where a one-node Slurm cluster can start (root, Debian's slurm packages), a running run's row
// in the Queue names its job, state and node, at the height of the other rows.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutorView } from '../../src/shared/executor';
import {
  invokeRoute,
  launchChromium,
  requireBuiltRenderer,
  screenshot,
  startServe,
  type ServeProcess,
} from './helpers';
import {
  slurmUnavailable,
  startSlurmCluster,
  NODE_NAME,
  PARTITION,
  type SlurmCluster,
} from '../helpers/slurm-cluster';

interface Session {
  dataDir: string;
  serve: ServeProcess;
  page: Page;
  pageErrors: string[];
}

let browser: Browser;
const sessions: Session[] = [];

async function open(env: NodeJS.ProcessEnv = {}): Promise<Session> {
  const dataDir = mkdtempSync(join(tmpdir(), 'annealab-e2e-executor-'));
  const serve = await startServe(dataDir, env);
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  const s: Session = { dataDir, serve, page, pageErrors: [] };
  sessions.push(s);
  page.on('pageerror', (e) => s.pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('nav-system').click();
  await page.getByTestId('executor-card').waitFor();
  return s;
}

const executorOf = (s: Session) => invokeRoute(s.serve, 'system.executor') as Promise<ExecutorView>;
/** What the Queue's badge and the System's "in force" say now. */
const badge = (page: Page) => page.getByTestId('executor-badge').textContent({ timeout: 10_000 });
const inForce = (page: Page) => page.getByTestId('executor-in-force').textContent();
/** The form field (label) that holds the input with this test id. */
const fieldOf = (page: Page, testId: string) =>
  page.locator('label.field', { has: page.getByTestId(testId) });

beforeAll(async () => {
  requireBuiltRenderer();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of sessions) {
    await s.serve.stop();
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

/** The card as the route describes it: the setting in force, slurm offered exactly when sbatch is there. */
async function expectCardAsRouteSays(s: Session): Promise<ExecutorView> {
  const view = await executorOf(s);
  expect(view.setting).toEqual({ kind: 'local' });
  const { page } = s;
  await expect(page.getByTestId('executor-local').isChecked()).resolves.toBe(true);
  await expect(page.getByTestId('executor-slurm').isChecked()).resolves.toBe(false);
  await expect(page.getByTestId('executor-in-force').textContent()).resolves.toContain('local');
  await expect(page.getByTestId('executor-slurm').isDisabled()).resolves.toBe(!view.slurm.available);
  if (view.slurm.available) {
    await expect(page.getByTestId('slurm-reason').count()).resolves.toBe(0);
  } else {
    expect(view.slurm.reason).toMatch(/sbatch/);
    await expect(page.getByTestId('slurm-reason').textContent()).resolves.toContain(view.slurm.reason);
    // A disabled choice cannot be made: the Slurm options never appear.
    await page.getByTestId('executor-slurm').click({ force: true });
    await expect(page.getByTestId('executor-slurm').isChecked()).resolves.toBe(false);
    await expect(page.getByTestId('slurm-options').count()).resolves.toBe(0);
  }
  return view;
}

describe('the Executor card on this host as it is', () => {
  let s: Session;
  beforeAll(async () => {
    s = await open();
  }, 120_000);

  it('shows local selected, and slurm offered exactly when the route says sbatch is there', async () => {
    await expectCardAsRouteSays(s);
    expect(s.pageErrors).toEqual([]);
  });

  it('shows the local executor in the Queue view', async () => {
    await s.page.getByTestId('nav-queue').click();
    await expect.poll(() => badge(s.page)).toBe('local');
  });
});

describe('the Executor card where sbatch is not on PATH', () => {
  let s: Session;
  beforeAll(async () => {
    // This machine's PATH without the folders that hold an sbatch (most machines have none).
    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d && !existsSync(join(d, 'sbatch')))
      .join(delimiter);
    s = await open({ PATH: path });
  }, 120_000);

  it('disables slurm with the reason the route gives', async () => {
    const view = await expectCardAsRouteSays(s);
    expect(view.slurm.available).toBe(false);
    await screenshot(s.page, 'system-executor');
    expect(s.pageErrors).toEqual([]);
  });
});

describe('the Executor card where sbatch is on PATH', () => {
  let s: Session;
  let binDir: string;

  beforeAll(async () => {
    // Only its presence is used here: no run is queued, so it is never called.
    binDir = mkdtempSync(join(tmpdir(), 'annealab-e2e-sbatch-'));
    mkdirSync(binDir, { recursive: true });
    writeFileSync(join(binDir, 'sbatch'), '#!/bin/sh\necho "not a cluster" >&2\nexit 1\n');
    chmodSync(join(binDir, 'sbatch'), 0o755);
    s = await open({ PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` });
  }, 120_000);

  afterAll(() => {
    if (binDir) rmSync(binDir, { recursive: true, force: true });
  });

  it('refuses a bad time with the message next to its field, and stores nothing', async () => {
    const { page } = s;
    expect((await executorOf(s)).slurm).toEqual({ available: true, reason: null });
    await expect(page.getByTestId('slurm-reason').count()).resolves.toBe(0);
    await page.getByTestId('executor-slurm').check();
    await page.getByTestId('slurm-options').waitFor();
    await page.getByTestId('slurm-partition').fill('gpu');
    await page.getByTestId('slurm-time').fill('abc');
    await page.getByTestId('slurm-args').fill('--mem=8G\n--output=/tmp/x');
    await page.getByTestId('save-executor').click();

    const timeProblem = fieldOf(page, 'slurm-time').getByTestId('field-problem');
    await expect(timeProblem.textContent({ timeout: 10_000 })).resolves.toContain(
      'must be a Slurm time limit',
    );
    await expect(page.getByTestId('slurm-time').getAttribute('class')).resolves.toContain('invalid');
    // The reserved option is named next to the extra options; the good fields show nothing.
    await expect(fieldOf(page, 'slurm-args').getByTestId('field-problem').textContent()).resolves.toContain(
      '--output',
    );
    await expect(fieldOf(page, 'slurm-partition').getByTestId('field-problem').count()).resolves.toBe(0);
    // Nothing changed: the host still runs locally, and the card says so.
    expect((await executorOf(s)).setting).toEqual({ kind: 'local' });
    await expect(page.getByTestId('executor-in-force').textContent()).resolves.toContain('local');
    await screenshot(page, 'system-executor-refused');
  });

  it('stores a good setting, clears the messages, and the Queue shows it', async () => {
    const { page } = s;
    await page.getByTestId('slurm-time').fill('2:00:00');
    await page.getByTestId('slurm-args').fill('--mem=8G\n\n  --qos=long  ');
    await page.getByTestId('save-executor').click();
    await expect.poll(() => inForce(page), { timeout: 10_000 }).toContain('partition gpu');
    await expect(page.getByTestId('field-problem').count()).resolves.toBe(0);
    expect((await executorOf(s)).setting).toEqual({
      kind: 'slurm',
      slurm: { partition: 'gpu', time: '2:00:00', sbatchArgs: ['--mem=8G', '--qos=long'] },
    });
    await page.getByTestId('nav-queue').click();
    await expect.poll(() => badge(page)).toBe('slurm · partition gpu');

    // Back to local from the form: the route reads it back.
    await page.getByTestId('nav-system').click();
    await expect(page.getByTestId('executor-slurm').isChecked()).resolves.toBe(true);
    await page.getByTestId('executor-local').check();
    await expect(page.getByTestId('slurm-options').count()).resolves.toBe(0);
    await page.getByTestId('save-executor').click();
    await expect.poll(() => inForce(page), { timeout: 10_000 }).toContain('local');
    expect((await executorOf(s)).setting).toEqual({ kind: 'local' });
    expect(s.pageErrors).toEqual([]);
  });
});

describe.skipIf(slurmUnavailable())('the Queue view of runs on a one-node Slurm cluster', () => {
  let cluster: SlurmCluster;
  let s: Session;

  beforeAll(async () => {
    cluster = await startSlurmCluster();
    s = await open(cluster.env);
  }, 180_000);

  afterAll(async () => {
    // Cancel through the host (scancel) before the cluster goes; open() keeps the host for the
    // file's own afterAll, which stops it.
    if (s) {
      const { runs } = (await invokeRoute(s.serve, 'queue.list').catch(() => ({ runs: [] }))) as {
        runs: { id: string; status: string }[];
      };
      for (const r of runs.filter((x) => x.status === 'running' || x.status === 'queued'))
        await invokeRoute(s.serve, 'queue.cancel', { runId: r.id }).catch(() => {});
      await s.serve.stop();
    }
    await cluster?.stop();
  }, 120_000);

  it('shows the badge, and the job id, state and node of a running run in its row', async () => {
    const { page } = s;
    await page.getByTestId('executor-slurm').check();
    await page.getByTestId('slurm-partition').fill(PARTITION);
    await page.getByTestId('save-executor').click();
    await expect.poll(() => inForce(page), { timeout: 10_000 }).toContain(`partition ${PARTITION}`);

    await invokeRoute(s.serve, 'experiments.submit', {
      spec: {
        name: 'slurm-ui',
        dataset: { id: 'mnist', trainSize: 400, testSize: 100 },
        models: ['mlp'],
        methods: [{ id: 'sgd', lr: 0.05 }],
        seeds: [1],
        epochs: 200,
        batchSize: 50,
        backend: 'cpu',
      },
    });
    await page.getByTestId('nav-queue').click();
    await expect.poll(() => badge(page), { timeout: 10_000 }).toBe(`slurm · partition ${PARTITION}`);
    const cell = page.locator('[data-testid="queue-run"][data-status="running"] [data-testid="slurm-job"]');
    await cell.filter({ hasText: `RUNNING on ${NODE_NAME}` }).waitFor({ timeout: 90_000 });
    const { jobs } = await executorOf(s);
    expect(jobs).toHaveLength(1);
    await expect(cell.textContent()).resolves.toContain(`job ${jobs[0]!.jobId} · RUNNING on ${NODE_NAME}`);
    // Compact: the job sits on the status badge's line, and the row is no higher than a plain one.
    const row = page.locator('[data-testid="queue-run"][data-status="running"]');
    const jobBox = (await cell.boundingBox())!;
    const badgeBox = (await row.locator('.badge').first().boundingBox())!;
    expect(jobBox.y).toBeLessThan(badgeBox.y + badgeBox.height);
    expect(jobBox.y + jobBox.height).toBeGreaterThan(badgeBox.y);
    const rowHeight = (await row.boundingBox())!.height;
    expect(rowHeight).toBeLessThan(2 * badgeBox.height + 16);
    await screenshot(page, 'queue-slurm-job');
    expect(s.pageErrors).toEqual([]);
  }, 150_000);
});
