// The trainer→host channel is checked: a trainer process that sends a malformed message fails
// its run with a reason that says what was malformed, nothing of the message is stored, the
// host keeps running, and the trainer is asked to stop. Real parts: a forked process speaking
// the protocol (test/fixtures/malformed-trainer.mjs), the real queue, a real SQLite store.
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AnnealabApp } from '../../src/main/services/app';
import {
  forkTrainer,
  setTrainerSpawner,
  startTrainer,
  type TrainerSpawner,
} from '../../src/main/services/trainer-process';
import type { TrainerEvent } from '../../src/main/trainer/protocol';
import { parseTrainerEvent } from '../../src/main/trainer/protocol';
import type { RunnerEvent } from '../../src/shared/events';

const MALFORMED_TRAINER = fileURLToPath(new URL('../fixtures/malformed-trainer.mjs', import.meta.url));

/** Starts the stand-in trainer as forkTrainer starts the real one: fork, stderr piped, IPC. */
const malformedTrainer =
  (cancelledMarker: string): TrainerSpawner =>
  () => {
    const child = fork(MALFORMED_TRAINER, [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, MALFORMED_TRAINER_CANCELLED: cancelledMarker },
    });
    child.stderr?.setEncoding('utf8');
    return {
      send: (command) => void child.send(command),
      get connected() {
        return child.connected;
      },
      onMessage: (l) => void child.on('message', l),
      onStderr: (l) => void child.stderr?.on('data', l),
      onExit: (l) => void child.on('exit', l),
      onError: (l) => void child.on('error', l),
    };
  };

describe('the trainer→host channel', () => {
  let dir: string | null = null;
  let app: AnnealabApp | null = null;

  afterEach(async () => {
    setTrainerSpawner(forkTrainer);
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails the run of a trainer that sends a malformed message, storing none of it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-channel-'));
    const marker = join(dir, 'cancelled');
    setTrainerSpawner(malformedTrainer(marker));
    app = AnnealabApp.start({ dataDir: join(dir, 'data'), host: 'web', role: 'test', concurrency: 1 });
    const seen: RunnerEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      app!.subscribe((name, payload) => {
        if (name !== 'runner') return;
        const event = payload as RunnerEvent;
        seen.push(event);
        if (event.type === 'experiment-finished') resolve();
      }),
    );
    const { runIds } = await app.handlers['experiments.submit']({
      spec: {
        name: 'malformed',
        dataset: { id: 'mnist', trainSize: 100, testSize: 50 },
        models: ['mlp'],
        methods: [{ id: 'sgd' }],
        seeds: [1],
        epochs: 2,
        batchSize: 10,
      },
    });
    await ended;

    const failed = seen.find((e) => e.type === 'run-failed');
    expect(failed && 'reason' in failed ? failed.reason : '').toMatch(
      /^the trainer sent a malformed message \(record\.val\.accuracy: .*number.*record\.counters: /,
    );
    // Its valid messages before the bad one were acted on; the bad one and all after it were not.
    expect(seen.map((e) => e.type)).toEqual(['run-started', 'progress', 'run-failed', 'experiment-finished']);
    const run = app.store.runs.get(runIds[0]!)!;
    expect(run.status).toBe('failed');
    expect(run.error).toContain('record.val.accuracy');
    expect(run.summary).toBeNull();
    expect(app.store.epochs.forRun(run.id)).toEqual([]);
    // The trainer was told to stop, and the host is still serving.
    await expect.poll(() => existsSync(marker)).toBe(true);
    expect((await app.handlers['queue.list']({})).runs.map((r) => r.status)).toEqual(['failed']);
  });
});

describe('the host→trainer channel', () => {
  it('the real trainer fails a run whose start command is malformed, and says what was wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'annealab-command-'));
    try {
      const events: TrainerEvent[] = [];
      const handle = startTrainer(
        {
          type: 'start',
          experimentId: 'e',
          runId: 'r',
          spec: { name: 'x' },
          methodIndex: 0,
          model: 'mlp',
          seed: 'one',
          dataDir: dir,
          backend: { request: 'cpu', source: 'flag' },
          resume: false,
        } as never,
        (e) => events.push(e),
      );
      await handle.done;
      expect(events).toHaveLength(1);
      expect(events[0]!.type).toBe('failed');
      expect(events[0]!.type === 'failed' && events[0]!.reason).toMatch(
        /^the host sent the trainer a malformed command \(spec\.dataset: .*seed: /,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseTrainerEvent', () => {
  it('passes a well-formed message and names every problem of a bad one by path', () => {
    expect(parseTrainerEvent({ type: 'progress', epoch: 1, step: 2, steps: 3 })).toEqual({
      ok: true,
      event: { type: 'progress', epoch: 1, step: 2, steps: 3 },
    });
    const unknown = parseTrainerEvent({ type: 'hello' });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.reason).toMatch(/type: .*'started'.*: \{"type":"hello"\}$/);
    const bad = parseTrainerEvent({ type: 'finished', summary: { bestEpoch: 0, epochs: -1 } });
    expect(!bad.ok && bad.reason).toMatch(/summary\.bestEpoch: .*summary\.bestValAccuracy: /);
    expect(parseTrainerEvent('not an object').ok).toBe(false);
    // A huge message is quoted only in part.
    const long = parseTrainerEvent({ type: 'log', message: 7, padding: 'x'.repeat(10_000) });
    expect(!long.ok && long.reason.length).toBeLessThan(600);
  });
});
