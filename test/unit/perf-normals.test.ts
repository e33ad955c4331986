// The ziggurat behind Rng.fillNormal (SSA's moves): the right distribution, and as
// reproducible as the Box–Muller draws it replaced.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/shared/rng';

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

describe('Rng.fillNormal (ziggurat)', () => {
  const n = 1_000_000;
  const xs = Rng.fromSeed(11, 'ssa-moves').fillNormal(new Float32Array(n), 1);

  it('passes a Kolmogorov–Smirnov test against N(0, 1)', () => {
    const sorted = Float64Array.from(xs).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const f = phi(sorted[i]!);
      d = Math.max(d, Math.abs(f - i / n), Math.abs(f - (i + 1) / n));
    }
    // 1.63/√n is the 1 % critical value.
    expect(d).toBeLessThan(1.63 / Math.sqrt(n));
  });

  it('has the moments and the tails of a normal', () => {
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    for (const x of xs) {
      m1 += x;
      m2 += x * x;
      m4 += x ** 4;
    }
    expect(Math.abs(m1 / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(m2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    // Beyond 3 and beyond the ziggurat's R = 3.654 (the tail algorithm): within 5 binomial sigmas.
    for (const c of [2, 3, 3.6541528853610088, 4]) {
      const p = 2 * (1 - phi(c));
      const count = xs.reduce((k, x) => k + (Math.abs(x) > c ? 1 : 0), 0);
      expect(Math.abs(count - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)) + 1);
    }
    // The wedges: a fine histogram near the peak and on the shoulders, bin by bin.
    const edges = [-2.5, -1.5, -0.6, -0.1, 0, 0.1, 0.6, 1.5, 2.5];
    for (let b = 0; b + 1 < edges.length; b++) {
      const p = phi(edges[b + 1]!) - phi(edges[b]!);
      const count = xs.reduce((k, x) => k + (x >= edges[b]! && x < edges[b + 1]! ? 1 : 0), 0);
      expect(Math.abs(count - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
    }
  });

  it('is seeded: same seed, same values; a fill in parts equals one fill; the state round-trips', () => {
    const a = Rng.fromSeed(4, 'ssa-moves');
    const b = Rng.fromSeed(4, 'ssa-moves');
    const whole = a.fillNormal(new Float32Array(10_001), 0.01);
    const parts = new Float32Array(10_001);
    b.fillNormal(parts.subarray(0, 3_333), 0.01);
    b.fillNormal(parts.subarray(3_333), 0.01);
    expect(parts).toEqual(whole);
    const copy = Rng.fromState(a.getState());
    expect(copy.fillNormal(new Float32Array(999), 2)).toEqual(a.fillNormal(new Float32Array(999), 2));
    expect(copy.uniform()).toBe(a.uniform());
    expect(Rng.fromSeed(5, 'ssa-moves').fillNormal(new Float32Array(8), 1)).not.toEqual(whole.subarray(0, 8));
  });

  it('scales by std exactly', () => {
    const one = Rng.fromSeed(7).fillNormal(new Float32Array(50_000), 1);
    const small = Rng.fromSeed(7).fillNormal(new Float32Array(50_000), 0.01);
    for (let i = 0; i < one.length; i += 997) expect(small[i]).toBeCloseTo(one[i]! * 0.01, 7);
  });
});
