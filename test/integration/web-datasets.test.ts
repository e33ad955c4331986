// The routes for what `annealab datasets show` and `delete` do, through the real browser host
// (HTTP, the token, the registry), on a dataset imported through the same host.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idxImages, idxLabels, write } from '../fixtures/import/make';
import { startTestWebHost, type TestWebHost } from '../helpers/web';

describe('datasets.describe and datasets.delete over HTTP', () => {
  let web: TestWebHost;
  const invoke = (name: string, input: unknown) => web.invoke(name, input);

  beforeAll(async () => {
    web = await startTestWebHost('web-datasets');
    // 40 bars, one column lit per class: 4 classes, 10 images each.
    const count = 40;
    const images = new Uint8Array(count * 28 * 28);
    const labels = new Uint8Array(count).map((_, i) => i % 4);
    for (let n = 0; n < count; n++) images[n * 784 + labels[n]!] = 255;
    write(join(web.dir, 'bars', 'train-images-idx3-ubyte'), idxImages(images, count, 28, 28));
    write(join(web.dir, 'bars', 'train-labels-idx1-ubyte'), idxLabels(labels));
    const r = await invoke('datasets.import', {
      paths: [join(web.dir, 'bars')],
      name: 'bars',
      testFraction: 0.25,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  afterAll(() => web?.close());

  it('describes an imported dataset: metadata, provenance and class counts, no images', async () => {
    const r = await invoke('datasets.describe', { name: 'bars' });
    expect(r.status).toBe(200);
    const d = r.body.value;
    expect(d).toMatchObject({
      name: 'bars',
      builtin: false,
      height: 28,
      width: 28,
      channels: 1,
      trainCount: 30,
      testCount: 10,
      row: { name: 'bars', format: 'idx', split: expect.stringContaining('seeded') },
    });
    expect(d.classes).toHaveLength(4);
    // The seeded 75/25 split keeps all 10 images of each class, 10 of the 40 in the test part.
    const { train, test } = d.classCounts as { train: number[]; test: number[] };
    expect(train.map((n, c) => n + test[c]!)).toEqual([10, 10, 10, 10]);
    expect(test.reduce((a, b) => a + b, 0)).toBe(10);
    expect(d.row.sources.map((s: { path: string }) => s.path).sort()).toEqual([
      join(web.dir, 'bars', 'train-images-idx3-ubyte'),
      join(web.dir, 'bars', 'train-labels-idx1-ubyte'),
    ]);
    expect(d).not.toHaveProperty('samples');
  });

  it('refuses to describe a dataset that does not exist (404, naming the known ones)', async () => {
    const r = await invoke('datasets.describe', { name: 'nope' });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatchObject({ code: 'not-found', message: expect.stringContaining('bars') });
  });

  it('refuses to delete a built-in (409) and deletes an imported dataset: its row and its file', async () => {
    const builtin = await invoke('datasets.delete', { name: 'mnist' });
    expect(builtin.status).toBe(409);
    expect(builtin.body.error).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/built-in/),
    });

    const events: string[] = [];
    const off = web.app.subscribe((name, payload) => {
      if (name === 'datasets.changed') events.push((payload as { id: string }).id);
    });
    const r = await invoke('datasets.delete', { name: 'bars' });
    off();
    expect(r.status).toBe(200);
    expect(r.body.value).toEqual({ name: 'bars', row: true, file: true });
    expect(events).toEqual(['bars']);
    expect(existsSync(join(web.dataDir, 'datasets', 'bars.annds'))).toBe(false);
    const list = await invoke('datasets.list', {});
    expect(list.body.value.map((e: { id: string }) => e.id)).toEqual(['mnist', 'fashion-mnist']);

    const again = await invoke('datasets.delete', { name: 'bars' });
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toMatch(/no imported dataset named "bars"/);
  });
});
