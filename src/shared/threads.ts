// `threads`: how many threads one run's SIMD kernels split across on the wasm backend (the
// issue-21 setting). Declared once here, for the spec's schema, the CLI's `--threads` and the
// host's resolution of "auto", so that a bad value reads the same wherever it is typed.
// Plain data and zod only: the renderer, the hosts and the trainer all import it.
//
// It changes how fast a run goes, never its numbers (the kernels split work whose outputs are
// disjoint), so it is not one of the settings a comparison keeps apart (table/settings.ts).
import { z } from 'zod';

/**
 * More workers than any machine here has cores only oversubscribes them; a value beyond this is
 * a typo (threads: 6400), refused before a run starts hundreds of workers.
 */
export const MAX_THREADS = 256;

/** What a spec or a flag may ask for: a count, or "auto" (the default). */
export type ThreadsRequest = number | 'auto';

export const threadsProblem = (got: unknown): string =>
  typeof got === 'number' && Number.isInteger(got) && got > MAX_THREADS
    ? `must be at most ${MAX_THREADS}, got ${got}`
    : `must be an integer ≥ 1 or "auto", got ${JSON.stringify(got) ?? String(got)}`;

const problem = (issue: { input: unknown }) => threadsProblem(issue.input);

/** The spec's `threads` (and the shape the host hands a trainer before "auto" is resolved). */
export const threadsRequestSchema = z.union(
  [
    z.literal('auto', { error: problem }),
    z
      .number({ error: problem })
      .int({ error: problem })
      .min(1, { error: problem })
      .max(MAX_THREADS, { error: problem }),
  ],
  { error: problem },
);

/**
 * `--threads N|auto` as typed. Throws an Error whose message is threadsProblem's (the caller
 * names the flag).
 */
export function parseThreadsText(text: string): ThreadsRequest {
  const t = text.trim();
  if (t === 'auto') return 'auto';
  const n = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  const parsed = threadsRequestSchema.safeParse(Number.isNaN(n) ? t : n);
  if (!parsed.success) throw new Error(threadsProblem(Number.isNaN(n) ? t : n));
  return parsed.data;
}

/**
 * "auto" on this machine: the cores shared out among the runs the queue runs at once, at least
 * one each (16 cores, 8 runs at once: 2 threads a run; 2 cores, 4 runs: 1).
 */
export function autoThreads(cores: number, runsAtOnce: number): number {
  const share = !Number.isFinite(runsAtOnce) || runsAtOnce < 1 ? cores : cores / runsAtOnce;
  return Math.min(MAX_THREADS, Math.max(1, Math.floor(share)));
}
