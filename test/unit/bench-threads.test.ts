// `annealab bench --threads`: the list as typed, the processes of the aggregate row at each
// count, the table's threads column, and a bad list refused by the real command before anything
// is measured.
import { describe, expect, it } from 'vitest';
import { parseBenchThreads } from '../../src/main/bench/run';
import { benchTable, type BenchLine } from '../../src/main/bench/table';
import { processesAtOnce } from '../../src/main/bench/threads';
import { runCli } from '../helpers/cli';

describe('bench --threads', () => {
  it('reads a comma list of whole numbers, in the order given', () => {
    expect(parseBenchThreads('1')).toEqual([1]);
    expect(parseBenchThreads('1,2')).toEqual([1, 2]);
    expect(parseBenchThreads(' 4 , 1 ')).toEqual([4, 1]);
  });

  it('refuses zero, fractions, words, "auto", empty items and repeats, naming the flag', () => {
    const bad = (item: string) =>
      `--threads: give whole numbers ≥ 1 separated by commas, e.g. 1,2 ("auto" applies to runs, not to the bench); got "${item}"`;
    expect(() => parseBenchThreads('0')).toThrow(bad('0'));
    expect(() => parseBenchThreads('1,1.5')).toThrow(bad('1.5'));
    expect(() => parseBenchThreads('1,,2')).toThrow(bad(''));
    expect(() => parseBenchThreads('two')).toThrow(bad('two'));
    expect(() => parseBenchThreads('auto')).toThrow(bad('auto'));
    expect(() => parseBenchThreads('1,1000')).toThrow('--threads: must be at most 256, got 1000');
    expect(() => parseBenchThreads('2,1,2')).toThrow('--threads: 2 is listed twice');
  });

  it('fills the cores with processes of that many threads for the aggregate row', () => {
    expect(processesAtOnce(16, 1)).toBe(16);
    expect(processesAtOnce(16, 2)).toBe(8);
    expect(processesAtOnce(16, 3)).toBe(5);
    expect(processesAtOnce(2, 2)).toBe(1);
    expect(processesAtOnce(2, 4)).toBe(1);
  });

  it('puts each row’s threads in its own column, blank where they do not apply', () => {
    const line = (o: Partial<BenchLine>): BenchLine => ({
      type: 'bench',
      model: 'vgg16',
      backend: 'wasm',
      device: 'd',
      batchSize: 64,
      trainImagesPerSec: 10,
      forwardImagesPerSec: 40,
      peakRssMb: 500,
      ...o,
    });
    const table = benchTable([
      line({ threads: 1 }),
      line({ threads: 2, trainImagesPerSec: 18 }),
      line({ backend: 'pytorch', trainImagesPerSec: 20 }),
    ]);
    const [head, , one, two, torch] = table.split('\n').map((r) => r.trim().split(/\s+/));
    expect(head!.slice(0, 4)).toEqual(['model', 'backend', 'threads', 'procs']);
    expect(one!.slice(0, 5)).toEqual(['vgg16', 'wasm', '1', '1', '10']);
    expect(two!.slice(0, 6)).toEqual(['vgg16', 'wasm', '2', '1', '18', '0.90']);
    expect(torch!.slice(0, 4)).toEqual(['vgg16', 'pytorch', '1', '20']);
  });

  it('makes the real command exit 2 on a bad list before it measures anything', async () => {
    const r = await runCli(['bench', '--threads', '1,0', '--models', 'mlp', '--no-pytorch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('annealab: --threads: give whole numbers ≥ 1 separated by commas');
    expect(r.stderr).toContain('got "0"');
    expect(r.stderr).not.toContain('measuring');
  });
});
