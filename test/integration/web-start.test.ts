// `npm start`'s choice: the desktop app only where Electron's binary is installed and a
// display exists; otherwise the browser host. And when the bundles need rebuilding.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIsStale, electronBinary, whyNoDesktop } from '../../scripts/start';

describe('npm start', () => {
  const root = mkdtempSync(join(tmpdir(), 'annealab-start-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('falls back to the browser host without Electron’s binary or a display', () => {
    expect(electronBinary(root)).toBeNull();
    expect(whyNoDesktop({ DISPLAY: ':0' }, root)).toMatch(/Electron's binary is not installed/);
    mkdirSync(join(root, 'node_modules', 'electron', 'dist'), { recursive: true });
    writeFileSync(join(root, 'node_modules', 'electron', 'path.txt'), 'electron');
    expect(electronBinary(root)).toBeNull();
    writeFileSync(join(root, 'node_modules', 'electron', 'dist', 'electron'), '');
    expect(electronBinary(root)).toBe(join(root, 'node_modules', 'electron', 'dist', 'electron'));
    if (process.platform === 'linux') expect(whyNoDesktop({}, root)).toMatch(/no display/);
    expect(whyNoDesktop({ DISPLAY: ':0' }, root)).toBeNull();
    expect(whyNoDesktop({ DISPLAY: ':0', ANNEALAB_NO_ELECTRON: '1' }, root)).toMatch(/ANNEALAB_NO_ELECTRON/);
  });

  it('rebuilds when the bundles are missing or older than a source', () => {
    expect(buildIsStale(root)).toBe(true);
    mkdirSync(join(root, 'src', 'renderer'), { recursive: true });
    writeFileSync(join(root, 'src', 'renderer', 'App.vue'), '');
    mkdirSync(join(root, 'out', 'renderer'), { recursive: true });
    writeFileSync(join(root, 'out', 'renderer', 'index.html'), '');
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'src', 'renderer', 'App.vue'), past, past);
    utimesSync(join(root, 'src', 'renderer'), past, past);
    expect(buildIsStale(root)).toBe(false);
    writeFileSync(join(root, 'src', 'renderer', 'App.vue'), 'changed');
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'renderer', 'App.vue'), future, future);
    expect(buildIsStale(root)).toBe(true);
  });
});
