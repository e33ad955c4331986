// The spec's `threads` and the `--threads` text: what is accepted, what the default is, and that
// a bad value is named by its path with what was given.
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../src/shared/spec';
import { autoThreads, MAX_THREADS, parseThreadsText, threadsRequestSchema } from '../../src/shared/threads';

const base = { name: 'x', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'sgd' }] };

const problemsOf = (spec: unknown) => {
  const r = validateSpec(spec);
  if (r.ok) throw new Error('expected the spec to be refused');
  return r.problems;
};

describe('the spec’s threads', () => {
  it('defaults to "auto"', () => {
    const r = validateSpec(base);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.spec.threads).toBe('auto');
  });

  it('takes "auto" and whole numbers from 1 up to MAX_THREADS', () => {
    for (const threads of ['auto', 1, 2, 7, MAX_THREADS] as const) {
      const r = validateSpec({ ...base, threads });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      expect(r.spec.threads).toBe(threads);
    }
  });

  it('refuses anything else by its path, saying what it got, and nothing else is reported', () => {
    const cases: [unknown, string][] = [
      [0, 'must be an integer ≥ 1 or "auto", got 0'],
      [-2, 'must be an integer ≥ 1 or "auto", got -2'],
      [1.5, 'must be an integer ≥ 1 or "auto", got 1.5'],
      ['2', 'must be an integer ≥ 1 or "auto", got "2"'],
      ['Auto', 'must be an integer ≥ 1 or "auto", got "Auto"'],
      [null, 'must be an integer ≥ 1 or "auto", got null'],
      [true, 'must be an integer ≥ 1 or "auto", got true'],
      [[2], 'must be an integer ≥ 1 or "auto", got [2]'],
      [MAX_THREADS + 1, `must be at most ${MAX_THREADS}, got ${MAX_THREADS + 1}`],
    ];
    for (const [threads, message] of cases) {
      expect(problemsOf({ ...base, threads }), JSON.stringify(threads)).toEqual([
        { path: 'threads', message },
      ]);
    }
  });

  it('is reported beside the spec’s other problems, each by its own path', () => {
    const problems = problemsOf({ ...base, epochs: 0, threads: 0 });
    expect(problems).toEqual([
      { path: 'epochs', message: 'must be >= 1' },
      { path: 'threads', message: 'must be an integer ≥ 1 or "auto", got 0' },
    ]);
  });

  it('is a spec-level field only: a method entry with threads is refused as an unknown field', () => {
    // Method parameters define the comparison's rows (table/settings.ts); threads must not.
    expect(problemsOf({ ...base, methods: [{ id: 'sgd', threads: 2 }] })).toEqual([
      { path: 'methods[0]', message: 'unknown field "threads"' },
    ]);
  });
});

describe('--threads as typed', () => {
  it('reads "auto" and whole numbers, spaces around them allowed', () => {
    expect(parseThreadsText('auto')).toBe('auto');
    expect(parseThreadsText('4')).toBe(4);
    expect(parseThreadsText(' 2 ')).toBe(2);
  });

  it('refuses the rest with the spec’s own message', () => {
    expect(() => parseThreadsText('0')).toThrow('must be an integer ≥ 1 or "auto", got 0');
    expect(() => parseThreadsText('1.5')).toThrow('must be an integer ≥ 1 or "auto", got "1.5"');
    expect(() => parseThreadsText('')).toThrow('must be an integer ≥ 1 or "auto", got ""');
    expect(() => parseThreadsText('two')).toThrow('got "two"');
    expect(() => parseThreadsText('-1')).toThrow('got "-1"');
    expect(() => parseThreadsText('1000')).toThrow(`must be at most ${MAX_THREADS}, got 1000`);
  });

  it('gives what the schema accepts', () => {
    for (const t of ['auto', '1', '3']) expect(threadsRequestSchema.parse(parseThreadsText(t))).toBeDefined();
  });
});

describe('"auto"', () => {
  it('shares the cores out among the runs at once, at least one each', () => {
    expect(autoThreads(16, 8)).toBe(2);
    expect(autoThreads(16, 3)).toBe(5);
    expect(autoThreads(2, 1)).toBe(2);
    expect(autoThreads(2, 2)).toBe(1);
    expect(autoThreads(2, 4)).toBe(1);
    expect(autoThreads(1, 1)).toBe(1);
  });

  it('gives one run all the cores when nothing bounds the runs at once, and never more than MAX_THREADS', () => {
    expect(autoThreads(8, Number.POSITIVE_INFINITY)).toBe(8);
    expect(autoThreads(1024, 1)).toBe(MAX_THREADS);
  });
});
