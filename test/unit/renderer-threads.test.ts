// The builder's threads field: "auto" by default and left out of the spec, a count put in as a
// number, anything else passed on for the validator to name by its path, and a file's value kept.
import { describe, expect, it } from 'vitest';
import { draftToSpec, emptyDraft, specToDraft } from '../../src/renderer/builder/draft';
import { validateSpec } from '../../src/shared/spec';

const ctx = { datasets: ['mnist'] };

describe('the builder’s threads', () => {
  it('is auto by default, which leaves the spec’s default in force', () => {
    const d = emptyDraft();
    expect(d.threads).toBe('auto');
    expect(draftToSpec(d)).not.toHaveProperty('threads');
    d.threads = '  ';
    expect(draftToSpec(d)).not.toHaveProperty('threads');
  });

  it('puts a count in as a number', () => {
    const d = { ...emptyDraft(), threads: '4' };
    const r = validateSpec(draftToSpec(d), ctx);
    expect(r.ok && r.spec.threads).toBe(4);
  });

  it('passes anything else on, so the validator names the field as it would in a file', () => {
    for (const [typed, got] of [
      ['0', '0'],
      ['two', '"two"'],
      ['1.5', '1.5'],
    ]) {
      const r = validateSpec(draftToSpec({ ...emptyDraft(), threads: typed! }), ctx);
      expect(!r.ok && r.problems).toEqual([
        { path: 'threads', message: `must be an integer ≥ 1 or "auto", got ${got}` },
      ]);
    }
  });

  it('keeps a spec file’s threads through the draft', () => {
    const file = { ...draftToSpec(emptyDraft()), threads: 3 };
    expect(specToDraft(file).threads).toBe('3');
    expect(draftToSpec(specToDraft(file)).threads).toBe(3);
    expect(specToDraft({ ...file, threads: 'auto' }).threads).toBe('auto');
  });
});
