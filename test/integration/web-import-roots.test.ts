// The browser host imports host paths only from the user's home, the data dir and the folders
// `--import-root` names, with symlinks resolved first, and its errors carry no file content.
// Through the real web host over loopback, on real files; the temporary folders are in /tmp,
// outside the home folder.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csv, write } from '../fixtures/import/make';
import { runCli } from '../helpers/cli';
import { startTestWebHost, type TestWebHost } from '../helpers/web';

const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 2);
/** 20 images of 2×2 pixels in 2 classes, as Kaggle's CSV: a label column then the pixels. */
const goodCsv = () => csv(new Uint8Array(20 * 4), labels(20), 4);

describe('datasets.import from a browser', () => {
  let web: TestWebHost;
  let outside: string;
  let allowed: string;
  beforeAll(async () => {
    // Only home, the data dir and dir/allowed: dir/outside is none of them.
    web = await startTestWebHost('web-import-roots', { importRoots: (dir) => [join(dir, 'allowed')] });
    outside = join(web.dir, 'outside');
    allowed = join(web.dir, 'allowed');
    mkdirSync(allowed, { recursive: true });
    write(join(outside, 'digits.csv'), goodCsv());
  });
  afterAll(() => web?.close());

  const names = async () =>
    ((await web.invoke('datasets.list', {})).body.value as { id: string }[]).map((d) => d.id);

  it('refuses a file outside the allowed folders, and a symlink inside them that leads out', async () => {
    const file = join(outside, 'digits.csv');
    const r = await web.invoke('datasets.import', { paths: [file], name: 'outside' });
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({
      code: 'bad-input',
      message:
        `cannot import ${file}: the browser host imports only from your home folder, the data dir and the ` +
        'folders `annealab serve --import-root DIR` names; start it with --import-root for another folder',
    });
    const link = join(allowed, 'link.csv');
    symlinkSync(file, link);
    const viaLink = await web.invoke('datasets.import', { paths: [link], name: 'via-link' });
    expect(viaLink.status).toBe(400);
    expect(viaLink.body.error?.message).toMatch(/^cannot import .*link\.csv: the browser host imports only/);
    expect(await names()).not.toContain('outside');
    expect(await names()).not.toContain('via-link');
  });

  it('imports from an --import-root, and says so when a path there does not exist', async () => {
    write(join(allowed, 'ok.csv'), goodCsv());
    const r = await web.invoke('datasets.import', { paths: [join(allowed, 'ok.csv')], name: 'ok' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await names()).toContain('ok');
    const missing = await web.invoke('datasets.import', { paths: [join(allowed, 'nope.csv')], name: 'nope' });
    expect(missing.body.error?.message).toBe(
      `cannot import ${join(allowed, 'nope.csv')}: no such file or folder`,
    );
  });

  it('never sends a bad field of the file back in its error', async () => {
    const file = write(
      join(allowed, 'secret.csv'),
      goodCsv().replace('\n1,0,0,0,0', '\n1,0,0,SECRET-TEXT,0'),
    );
    const r = await web.invoke('datasets.import', { paths: [file], name: 'secret' });
    expect(r.status).toBe(409);
    expect(r.body.error?.message).toMatch(
      /line \d+, column 4: the pixel is not a whole number from 0 to 255/,
    );
    expect(r.body.error?.message).not.toContain('SECRET');
  });
});

describe('annealab serve --import-root', () => {
  it('refuses a folder that does not exist before starting', async () => {
    const r = await runCli([
      'serve',
      '--import-root',
      '/nonexistent-annealab-root',
      '--data-dir',
      '/tmp/unused',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "option '--import-root <dir>' argument '/nonexistent-annealab-root' is invalid. /nonexistent-annealab-root is not a folder; give an existing folder to import from",
    );
  });
});
