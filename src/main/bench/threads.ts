// `annealab bench --threads 1,2`: the thread counts the wasm rows are measured at, one row each
// (the thread scaling: one run on 2 threads against its own 1-thread speed).
import { parseThreadsText } from '../../shared/threads';

/**
 * "1,2" → [1, 2]. Whole numbers only: "auto" depends on how many runs share the machine, which a
 * bench does not have. Throws naming the flag and the bad item.
 */
export function parseBenchThreads(text: string): number[] {
  const items = text.split(',').map((s) => s.trim());
  const out: number[] = [];
  for (const item of items) {
    if (!/^\d+$/.test(item) || Number(item) < 1) {
      throw new Error(
        `--threads: give whole numbers ≥ 1 separated by commas, e.g. 1,2 ("auto" applies to runs, not to the bench); got "${item}"`,
      );
    }
    let n: ReturnType<typeof parseThreadsText>;
    try {
      n = parseThreadsText(item);
    } catch (err) {
      throw new Error(`--threads: ${(err as Error).message}`);
    }
    if (out.includes(n as number)) throw new Error(`--threads: ${n} is listed twice`);
    out.push(n as number);
  }
  return out;
}

/**
 * Processes of `threads` threads each that fill the cores without sharing one: the aggregate row
 * (what "auto" gives that many runs at once).
 */
export function processesAtOnce(cores: number, threads: number): number {
  return Math.max(1, Math.floor(cores / threads));
}
