// `threads` changes speed, not numbers: runs that differ only in it are one configuration of the
// comparison (averaged together, one row), whereas a setting that does change numbers (epochs)
// still splits them. Real store, real spec validation, the comparison's own key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { submitExperiment } from '../../src/main/services/experiments';
import { Store } from '../../src/main/store';
import { validateSpec } from '../../src/shared/spec';
import { configurationKey } from '../../src/shared/table';

const base = { name: 'x', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'sgd' }], seeds: [1] };

describe('threads in the comparison', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps runs that differ only in threads in one configuration, but not runs that differ in epochs', () => {
    dir = mkdtempSync(join(tmpdir(), 'annealab-threads-'));
    const store = Store.open(dir);
    try {
      const keyOf = (spec: unknown) => {
        const r = validateSpec(spec);
        if (!r.ok) throw new Error(JSON.stringify(r.problems));
        const { experiment } = submitExperiment(store, r.spec);
        const [run] = store.results(experiment);
        return configurationKey(run!);
      };
      const auto = keyOf(base);
      expect(keyOf({ ...base, threads: 4 })).toBe(auto);
      expect(keyOf({ ...base, threads: 1 })).toBe(auto);
      expect(keyOf({ ...base, epochs: 3 })).not.toBe(auto);
    } finally {
      store.close();
    }
  });
});
