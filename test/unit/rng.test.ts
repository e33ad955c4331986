import { describe, expect, it } from 'vitest';
import { Rng, streamSeed } from '../../src/shared/rng';

describe('seeded RNG', () => {
  it('is reproducible per (seed, stream) and independent across streams', () => {
    const a = Rng.fromSeed(1, 'init');
    const b = Rng.fromSeed(1, 'init');
    const c = Rng.fromSeed(1, 'shuffle');
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
    expect(streamSeed(1, 'x')).not.toBe(streamSeed(2, 'x'));
  });

  it('round-trips its state', () => {
    const a = Rng.fromSeed(9);
    a.normal();
    const copy = Rng.fromState(a.getState());
    expect([copy.normal(), copy.uniform(), copy.int(1000)]).toEqual([a.normal(), a.uniform(), a.int(1000)]);
  });

  it('draws normals with the asked standard deviation', () => {
    const out = Rng.fromSeed(3).fillNormal(new Float32Array(200001), 0.01);
    const mean = out.reduce((s, v) => s + v, 0) / out.length;
    const sd = Math.sqrt(out.reduce((s, v) => s + (v - mean) ** 2, 0) / out.length);
    expect(Math.abs(mean)).toBeLessThan(1e-4);
    expect(sd).toBeGreaterThan(0.0099);
    expect(sd).toBeLessThan(0.0101);
  });

  it('samples without replacement and shuffles into a permutation', () => {
    const r = Rng.fromSeed(5);
    const s = r.sampleWithoutReplacement(100, 40);
    expect(new Set(s).size).toBe(40);
    expect(s.every((x) => x >= 0 && x < 100)).toBe(true);
    const p = r.shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => r.sampleWithoutReplacement(3, 4)).toThrow();
  });
});
