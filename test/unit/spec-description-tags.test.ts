// An experiment's description and tags: validated and bounded in the spec like its name, and
// carried by the UI builder's draft both ways.
import { describe, expect, it } from 'vitest';
import { draftToSpec, emptyDraft, parseTags, specToDraft } from '../../src/renderer/builder/draft';
import { MAX_DESCRIPTION_LENGTH, MAX_TAGS, validateSpec } from '../../src/shared/spec';

const base = { name: 'e', dataset: { id: 'mnist' }, models: ['mlp'], methods: [{ id: 'sgd' }] };
const problems = (extra: Record<string, unknown>) => {
  const r = validateSpec({ ...base, ...extra });
  return r.ok ? [] : r.problems;
};

describe('description and tags in the spec', () => {
  it('are optional and kept as given', () => {
    const plain = validateSpec(base);
    expect(plain.ok && [plain.spec.description, plain.spec.tags]).toEqual([undefined, undefined]);
    const r = validateSpec({ ...base, description: 'Why: SGD-SA vs Adam.', tags: ['ch2', 'lenet 5'] });
    expect(r.ok && [r.spec.description, r.spec.tags]).toEqual(['Why: SGD-SA vs Adam.', ['ch2', 'lenet 5']]);
  });

  it('are bounded: 2,000 characters of description, 200 per tag, 50 tags', () => {
    expect(problems({ description: 'x'.repeat(MAX_DESCRIPTION_LENGTH) })).toEqual([]);
    expect(problems({ description: 'x'.repeat(MAX_DESCRIPTION_LENGTH + 1) })).toEqual([
      { path: 'description', message: 'must be at most 2,000 characters; shorten the description' },
    ]);
    expect(problems({ tags: ['ok', 'x'.repeat(201)] })).toEqual([
      { path: 'tags[1]', message: 'must be at most 200 characters; shorten the tag' },
    ]);
    expect(problems({ tags: Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`) })).toEqual([
      { path: 'tags', message: 'must hold at most 50 tags' },
    ]);
  });

  it('refuses empty, repeated and non-string tags by their path', () => {
    expect(problems({ tags: ['a', '', 'a', 3] })).toEqual([
      { path: 'tags[1]', message: 'must not be empty' },
      { path: 'tags[3]', message: 'must be a string' },
    ]);
    expect(problems({ tags: ['a', 'b', 'a'] })).toEqual([
      { path: 'tags[2]', message: 'duplicates tags[0] ("a"); list each tag once' },
    ]);
    expect(problems({ tags: 'a, b' })).toEqual([{ path: 'tags', message: 'must be a list of strings' }]);
    expect(problems({ description: 42 })).toEqual([{ path: 'description', message: 'must be a string' }]);
  });
});

describe('the builder draft', () => {
  it('splits tags at commas only and leaves empty fields out of the spec', () => {
    expect(parseTags(' ch2 , lenet 5,, ')).toEqual(['ch2', 'lenet 5']);
    const spec = draftToSpec(emptyDraft());
    expect('description' in spec || 'tags' in spec).toBe(false);
  });

  it('round-trips a description and tags through a spec file', () => {
    const d = specToDraft({ ...base, description: 'Why.', tags: ['a', 'b c'] });
    expect([d.description, d.tags]).toEqual(['Why.', 'a, b c']);
    const spec = draftToSpec(d);
    expect([spec.description, spec.tags]).toEqual(['Why.', ['a', 'b c']]);
    expect(validateSpec(spec).ok).toBe(true);
  });
});
