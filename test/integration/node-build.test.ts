// One build (scripts/build-node.mjs, run by the global set-up): the CLI, the trainer and the bench
// worker run from out/node under plain node, nothing is compiled at run time, and a missing
// build is met with the command that makes it.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { appRoot, nodeBuildFile } from '../../src/main/services/app-root';
import {
  setTrainerSpawner,
  startTrainer,
  trainerLaunch,
  forkTrainer,
} from '../../src/main/services/trainer-process';
import type { TrainerEvent } from '../../src/main/trainer/protocol';
import { BIN } from '../helpers/cli';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('the Node build', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'annealab-build-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('bundles our modules and leaves packages external, with no TypeScript loader', () => {
    const trainer = readFileSync(join(ROOT, 'out/node/trainer.mjs'), 'utf8');
    expect(trainer).toMatch(/from "@tensorflow\/tfjs-core"/); // resolved from the install
    expect(trainer).toContain('function trainRun('); // our own code is inside
    for (const file of ['cli.mjs', 'trainer.mjs', 'bench-worker.mjs']) {
      const code = readFileSync(join(ROOT, 'out/node', file), 'utf8');
      expect(code, file).not.toMatch(/from "tsx|"tsx\/|esbuild/);
      expect(code, file).not.toMatch(/from "\.\.?\//); // one file, no relative imports
    }
  });

  it('runs the CLI with plain node, its version inlined from package.json', () => {
    const out = execFileSync(process.execPath, [BIN, '--version'], { cwd: scratch, encoding: 'utf8' });
    expect(out.trim()).toBe(pkg.version);
  });

  it('says what to run when the CLI has not been built, and exits 1', () => {
    // The same bin script in a tree without out/.
    mkdirSync(join(scratch, 'bin'), { recursive: true });
    copyFileSync(BIN, join(scratch, 'bin', 'annealab.mjs'));
    const r = spawnSync(process.execPath, [join(scratch, 'bin', 'annealab.mjs'), '--help'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(join(scratch, 'out', 'node', 'cli.mjs'));
    expect(r.stderr).toMatch(/Run `npm run build:node` in .*then try again/);
  });

  it('tells how to start a trainer with plain node: the node executable and the built trainer', () => {
    expect(appRoot()).toBe(ROOT.replace(/\/$/, ''));
    expect(trainerLaunch()).toEqual({
      command: process.execPath,
      args: [join(ROOT, 'out/node/trainer.mjs')],
    });
    expect(() => nodeBuildFile('no-such-entry.mjs')).toThrow(
      /out\/node\/no-such-entry\.mjs is missing: build it with `npm run build:node`/,
    );
  });

  it('fails the run, with the reason, when the trainer cannot start', async () => {
    setTrainerSpawner(() => {
      throw new Error('out/node/trainer.mjs is missing');
    });
    try {
      const events: TrainerEvent[] = [];
      const handle = startTrainer({ type: 'start' } as never, (e) => events.push(e));
      await handle.done;
      expect(events).toEqual([
        { type: 'failed', reason: 'the trainer process could not start: out/node/trainer.mjs is missing' },
      ]);
    } finally {
      setTrainerSpawner(forkTrainer);
    }
  });
});
