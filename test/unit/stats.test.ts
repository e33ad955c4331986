// Reference values below were computed with SciPy 1.17.1 / NumPy on this machine, e.g.
// `python3 -c "from scipy import stats; print(stats.ttest_ind(a, b, equal_var=False))"`;
// the call that produced each one is named next to it.
import { describe, expect, it } from 'vitest';
import {
  erfc,
  logBeta,
  logGamma,
  mannWhitneyU,
  mean,
  normalSf,
  ranks,
  regularizedIncompleteBeta,
  sampleStd,
  sampleVariance,
  studentTCdf,
  studentTTwoSided,
  pairedTTest,
  welchTTest,
} from '../../src/shared/stats';

/** |actual − expected| ≤ rel·|expected| (plus a floor for expected = 0). */
function expectClose(actual: number, expected: number, rel = 1e-10): void {
  const tol = rel * Math.abs(expected) + 1e-300;
  if (!(Math.abs(actual - expected) <= tol)) {
    throw new Error(
      `expected ${expected}, got ${actual} (relative error ${Math.abs(actual / expected - 1)})`,
    );
  }
}

describe('mean and sample std', () => {
  it('uses n − 1 and gives NaN where undefined', () => {
    expect(mean([1, 2, 4, 7])).toBe(3.5);
    expect(sampleVariance([1, 2, 4, 7])).toBe(7); // np.var(ddof=1)
    expectClose(sampleStd([0.001931, 0.001949, 0.002032]), 5.387330817142503e-5, 1e-12); // np.std(ddof=1)
    expect(mean([])).toBeNaN();
    expect(sampleStd([0.5])).toBeNaN();
    expect(sampleStd([0.3, 0.3, 0.3])).toBe(0);
  });

  it('keeps its digits when values differ only far after the point', () => {
    const base = 1e9;
    expectClose(sampleVariance([base + 1, base + 2, base + 4, base + 7]), 7, 1e-9);
  });
});

describe('special functions', () => {
  it('logGamma matches scipy.special.gammaln', () => {
    expectClose(logGamma(0.1), 2.252712651734206, 1e-13);
    expectClose(logGamma(0.5), 0.5723649429247, 1e-13);
    expect(Math.abs(logGamma(1))).toBeLessThan(1e-14);
    expectClose(logGamma(3.7), 1.428072326665388, 1e-13);
    expectClose(logGamma(10), 12.801827480081469, 1e-13);
    expectClose(logGamma(100.5), 361.43554046777757, 1e-13);
  });

  it('logBeta keeps its digits for large arguments (mpmath log(beta(a, b)) at 40 digits)', () => {
    // SciPy's betaln(5e5, 0.5) is off in the tenth digit (-5.988816495984793); mpmath agrees with us.
    expectClose(logBeta(5e5, 0.5), -5.988816495777464, 1e-14);
    expectClose(logBeta(30, 40), -48.30174909591612, 1e-14);
    expectClose(logBeta(3, 4), -4.0943445622221, 1e-14);
    expectClose(logBeta(0.5, 20), -0.9192518444066039, 1e-14);
  });

  it('regularizedIncompleteBeta matches scipy.special.betainc(a, b, x)', () => {
    expectClose(regularizedIncompleteBeta(0.3, 2, 3), 0.34829999999999994, 1e-12);
    expectClose(regularizedIncompleteBeta(0.9, 0.5, 0.5), 0.7951672353008665, 1e-12);
    expectClose(regularizedIncompleteBeta(0.01, 50, 1.5), 7.999011407092973e-100, 1e-10);
    expectClose(regularizedIncompleteBeta(0.999, 200, 0.5), 0.5272441070252349, 1e-11);
    expect(regularizedIncompleteBeta(0, 2, 3)).toBe(0);
    expect(regularizedIncompleteBeta(1, 2, 3)).toBe(1);
    expect(regularizedIncompleteBeta(1.5, 2, 3)).toBeNaN();
  });

  it('erfc and the normal tail keep far-tail digits (scipy.special.erfc, scipy.stats.norm.sf)', () => {
    expectClose(erfc(0.5), 0.4795001221869535, 1e-13);
    expectClose(erfc(1), 0.15729920705028516, 1e-13);
    expectClose(erfc(-1.5), 1.9661051464753108, 1e-13);
    expectClose(erfc(3), 2.2090496998585445e-5, 1e-12);
    expectClose(erfc(6), 2.1519736712498913e-17, 1e-11);
    expectClose(erfc(10), 2.0884875837625446e-45, 1e-10);
    expectClose(normalSf(1.96), 0.024997895148220435, 1e-12);
    expect(normalSf(0)).toBe(0.5);
    expectClose(normalSf(5), 2.866515718791933e-7, 1e-11);
    expectClose(normalSf(8), 6.22096057427174e-16, 1e-10);
  });

  it('Student t CDF and two-sided tail match scipy.stats.t.cdf / 2·t.sf', () => {
    const cases: [number, number, number, number][] = [
      [0.5, 3, 0.6742760175759245, 0.651447964848151],
      [-2, 4.5, 0.054128953590562495, 0.10825790718112499],
      [2, 1, 0.8524163823495667, 0.2951672353008665],
      [10, 30, 0.9999999999771237, 4.575251408229618e-11],
      [1.5, 1e6, 0.9331926408816036, 0.1336147182367928],
      [-40, 7, 7.951089992425182e-10, 1.5902179984850364e-9],
    ];
    for (const [t, df, cdf, twoSided] of cases) {
      expectClose(studentTCdf(t, df), cdf, 1e-13);
      expectClose(studentTTwoSided(t, df), twoSided, 1e-13);
    }
    expect(studentTCdf(Infinity, 3)).toBe(1);
    expect(studentTCdf(0, 3)).toBe(0.5);
    expect(studentTCdf(1, 0)).toBeNaN();
  });
});

describe('paired t-test', () => {
  it('matches scipy.stats.ttest_rel(a, b)', () => {
    const r1 = pairedTTest([1, 2, 3, 4, 5], [1.5, 2.1, 3.9, 4.2, 5.8]);
    expectClose(r1.statistic, -3.1622776601683804, 1e-11);
    expect(r1.df).toBe(4);
    expectClose(r1.pValue, 0.03410942316740959, 1e-9);
    const r2 = pairedTTest([0.9613, 0.9581, 0.9672, 0.9668, 0.9605], [0.963, 0.961, 0.967, 0.967, 0.961]);
    expectClose(r2.statistic, -1.7991908573390434, 1e-9);
    expectClose(r2.pValue, 0.14637613650140052, 1e-8);
  });

  it('finds a consistent small difference that the unpaired test misses', () => {
    // Seeds move both methods a lot; the method adds +0.004 to each seed, give or take 0.001.
    const base = [0.951, 0.962, 0.958, 0.97, 0.944];
    const other = base.map((v, i) => v + 0.004 + [0.001, -0.001, 0, 0.0005, -0.0005][i]!);
    expect(pairedTTest(other, base).pValue).toBeLessThan(0.01);
    expect(welchTTest(other, base).pValue).toBeGreaterThan(0.4);
  });

  it('cannot test fewer than two pairs, or differences without spread, and refuses unequal sizes', () => {
    expect(pairedTTest([1], [2]).pValue).toBeNaN();
    expect(pairedTTest([1, 2, 3], [1, 2, 3]).pValue).toBeNaN();
    expect(() => pairedTTest([1, 2], [1, 2, 3])).toThrow(/differ in size/);
  });
});

describe("Welch's t-test", () => {
  it('matches scipy.stats.ttest_ind(a, b, equal_var=False)', () => {
    const r1 = welchTTest([0.6741, 0.6802, 0.6655, 0.671], [0.6902, 0.695, 0.6871]);
    expectClose(r1.statistic, -4.713310781348031, 1e-11);
    expectClose(r1.df, 4.9659532171045875, 1e-11);
    expectClose(r1.pValue, 0.005367086266306192, 1e-9);

    const r2 = welchTTest([1, 2, 3, 4, 5], [2.5, 3.1, 9, 11.2, 4.4, 6]);
    expectClose(r2.statistic, -1.928069957728767, 1e-11);
    expectClose(r2.df, 7.269588353164312, 1e-11);
    expectClose(r2.pValue, 0.09364913167543898, 1e-9);

    const r3 = welchTTest([10, 10.1, 9.9], [0, 0.1, -0.1]);
    expectClose(r3.statistic, 122.47448713915912, 1e-10);
    expectClose(r3.df, 4, 1e-10);
    expectClose(r3.pValue, 2.6654818961635775e-8, 1e-8);
  });

  it('is symmetric in its samples up to the sign of t', () => {
    const a = [0.1, 0.4, 0.35, 0.2];
    const b = [0.5, 0.45, 0.6];
    const ab = welchTTest(a, b);
    const ba = welchTTest(b, a);
    expect(ba.statistic).toBeCloseTo(-ab.statistic, 12);
    expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
  });

  it('gives no p-value for one seed or for two constant samples', () => {
    expect(welchTTest([0.5], [0.4, 0.6]).pValue).toBeNaN();
    expect(welchTTest([0.5, 0.5], [0.4, 0.4]).pValue).toBeNaN();
  });
});

describe('Mann–Whitney U', () => {
  it('averages tied ranks', () => {
    expect(ranks([3, 1, 3, 2]).ranks).toEqual([3.5, 1, 3.5, 2]);
    expect(ranks([3, 1, 3, 2]).tieSizes.sort()).toEqual([1, 1, 2]);
  });

  it('is exact for small samples without ties (scipy.stats.mannwhitneyu, method auto)', () => {
    const small = mannWhitneyU([1.2, 3.4, 2.2], [4.5, 5.1, 6.3, 2.9]);
    expect(small.method).toBe('exact');
    expect(small.statistic).toBe(1);
    expectClose(small.pValue, 0.11428571428571428, 1e-12);

    const overlap = mannWhitneyU([0.67, 0.69, 0.66, 0.71, 0.7], [0.68, 0.72, 0.73, 0.74, 0.65, 0.75]);
    expect(overlap.statistic).toBe(8);
    expectClose(overlap.pValue, 0.24675324675324672, 1e-12);

    // Complete separation of 3 vs 3: the smallest p the test can give is 2 / C(6, 3).
    const separated = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    expect(separated.statistic).toBe(0);
    expectClose(separated.pValue, 0.1, 1e-12);
  });

  it('uses the normal approximation with tie correction when there are ties', () => {
    const r = mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 3, 5, 6, 7]);
    expect(r.method).toBe('asymptotic');
    expect(r.statistic).toBe(6);
    expectClose(r.pValue, 0.11390314458853068, 1e-10);
  });

  it('uses the normal approximation for two samples larger than 8', () => {
    const x = [
      0, 1.3, 2.6, 3.9000000000000004, 5.2, 6.5, 0.8000000000000007, 2.0999999999999996, 3.4000000000000004,
    ];
    x.push(4.700000000000001);
    const y = [0.05, 0.75, 1.45, 2.1499999999999995, 2.8499999999999996, 3.55, 4.249999999999999];
    y.push(4.949999999999999, 0.6499999999999997, 1.3499999999999999, 2.05, 2.749999999999999);
    const r = mannWhitneyU(x, y);
    expect(r.method).toBe('asymptotic');
    expect(r.statistic).toBe(73);
    expectClose(r.pValue, 0.40981138833093633, 1e-10);
  });

  it('computes either method on request (method="exact" / "asymptotic")', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const y = [3.5, 10, 11, 12, 13, 14, 15, 16, 17, 18];
    expectClose(mannWhitneyU(x, y, { method: 'exact' }).pValue, 0.0006495052934681417, 1e-10);
    expectClose(mannWhitneyU(x, y, { method: 'asymptotic' }).pValue, 0.00166933664274255, 1e-10);
  });

  it('gives p = 1 when every value is tied', () => {
    expect(mannWhitneyU([1, 1], [1, 1, 1]).pValue).toBe(1);
  });
});
