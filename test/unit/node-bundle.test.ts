// Trainers and bench workers start from a bundle of their TypeScript (services/node-bundle.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeBundle } from '../../src/main/services/node-bundle';

const TRAINER = fileURLToPath(new URL('../../src/main/trainer/process.ts', import.meta.url));
const ENVIRONMENT_PROBE = fileURLToPath(new URL('../fixtures/bundle-probe.ts', import.meta.url));

describe('nodeBundle', () => {
  it('bundles the trainer once per process, with packages left external, under node_modules/.cache', () => {
    const path = nodeBundle(TRAINER);
    expect(path).toMatch(/node_modules[\\/]\.cache[\\/]annealab[\\/]process-[0-9a-f]{16}\.mjs$/);
    expect(nodeBundle(TRAINER)).toBe(path);
    const code = readFileSync(path!, 'utf8');
    expect(code).toMatch(/from "@tensorflow\/tfjs-core"/); // external, resolved from the checkout
    expect(code).toContain('function trainRun('); // our own modules are inside
  });

  it('runs under plain node, where its package.json and packages resolve as from the sources', () => {
    const path = nodeBundle(ENVIRONMENT_PROBE)!;
    const out = JSON.parse(execFileSync(process.execPath, [path], { encoding: 'utf8' })) as {
      annealab: string;
      tfjs: string;
    };
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(out.annealab).toBe(pkg.version);
    expect(out.tfjs).toMatch(/^4\.22\./);
  });

  it('re-creates a bundle deleted under a running host, and prunes other versions unused for a week', () => {
    // An entry of its own (no imports, so it can live anywhere), so that this test's bundle is new.
    const tag = `probe${process.pid}x${Date.now()}`;
    const entry = join(mkdtempSync(join(tmpdir(), 'bundle-')), `${tag}.ts`);
    writeFileSync(entry, `console.log(${JSON.stringify(tag)});\n`);
    const cache = dirname(nodeBundle(TRAINER)!);
    const old = join(cache, `${tag}-0000000000000000.mjs`);
    const recent = join(cache, `${tag}-1111111111111111.mjs`);
    writeFileSync(old, '');
    writeFileSync(recent, '');
    const eightDaysAgo = (Date.now() - 8 * 24 * 3600 * 1000) / 1000;
    utimesSync(old, eightDaysAgo, eightDaysAgo);

    const path = nodeBundle(entry)!;
    expect(execFileSync(process.execPath, [path], { encoding: 'utf8' }).trim()).toBe(tag);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);

    rmSync(path);
    expect(nodeBundle(entry)).toBe(path);
    expect(existsSync(path)).toBe(true);
    for (const f of [path, recent]) rmSync(f, { force: true });
    rmSync(dirname(entry), { recursive: true, force: true });
  });

  it('reports, and gives null, when an entry cannot be bundled', () => {
    const warnings: string[] = [];
    expect(nodeBundle('/nonexistent/entry.ts', (m) => warnings.push(m))).toBeNull();
    expect(warnings[0]).toMatch(/Could not bundle \/nonexistent\/entry\.ts .*using tsx instead/);
  });
});
