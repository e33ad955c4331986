// Trainers and bench workers start from a bundle of their TypeScript (services/node-bundle.ts).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  it('reports, and gives null, when an entry cannot be bundled', () => {
    const warnings: string[] = [];
    expect(nodeBundle('/nonexistent/entry.ts', (m) => warnings.push(m))).toBeNull();
    expect(warnings[0]).toMatch(/Could not bundle \/nonexistent\/entry\.ts .*using tsx instead/);
  });
});
