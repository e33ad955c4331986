// Summary statistics and two-sample tests for comparing methods over seeds.
// Written here rather than taken from a package because the tables need only these few
// functions, they must run unchanged in the renderer and in Node, and every one is
// checked against SciPy's values in test/unit/stats.test.ts.

/** Arithmetic mean; NaN for an empty sample. */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample variance (n − 1 in the denominator); NaN below two values. */
export function sampleVariance(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  // Two passes: the second corrects the rounding error of the first (Chan et al.), which
  // matters when the values differ only in their last digits, as seeds of one method can.
  let ss = 0;
  let comp = 0;
  for (const x of xs) {
    ss += (x - m) * (x - m);
    comp += x - m;
  }
  return (ss - (comp * comp) / n) / (n - 1);
}

/** Sample standard deviation (n − 1); NaN below two values. */
export function sampleStd(xs: readonly number[]): number {
  return Math.sqrt(sampleVariance(xs));
}

// ---------------------------------------------------------------------------------------
// Special functions

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error about 1e-15). */
export function logGamma(x: number): number {
  if (!(x > 0)) return NaN;
  if (x < 0.5) {
    // Reflection keeps the approximation in the range where it is accurate.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-16;
const TINY = 1e-300;

/**
 * Continued fraction of the incomplete beta function, evaluated with the modified Lentz
 * method (Numerical Recipes 6.4); converges fast for x < (a + 1) / (a + b + 2).
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  // Iterations grow like sqrt(max(a, b)); Welch's df can be large when seeds are many.
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  return h;
}

/** Stirling's series remainder δ(x) = ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π], for x ≥ 10. */
function stirlingCorrection(x: number): number {
  const r = 1 / (x * x);
  return (
    (1 / 12 -
      r * (1 / 360 - r * (1 / 1260 - r * (1 / 1680 - r * (1 / 1188 - r * (691 / 360360 - r / 156)))))) /
    x
  );
}

/**
 * ln B(a, b). With large arguments ln Γ(a + b) − ln Γ(a) − ln Γ(b) cancels to a small number
 * from huge terms and loses digits (Welch's df/2 can be 10^5); Stirling's formula written in
 * terms of log1p keeps them.
 */
export function logBeta(a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) return NaN;
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  const ratio = p / (p + q);
  if (p >= 10) {
    const corr = stirlingCorrection(p) + stirlingCorrection(q) - stirlingCorrection(p + q);
    return (
      0.5 * Math.log(2 * Math.PI) -
      0.5 * Math.log(q) +
      corr +
      (p - 0.5) * Math.log(ratio) +
      q * Math.log1p(-ratio)
    );
  }
  if (q >= 10) {
    const corr = stirlingCorrection(q) - stirlingCorrection(p + q);
    return logGamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-ratio);
  }
  return logGamma(p) + logGamma(q) - logGamma(p + q);
}

/** The regularized incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  return incompleteBeta(x, 1 - x, a, b);
}

/**
 * I_x(a, b) with y = 1 − x passed in separately, so that a caller who knows y exactly
 * (Student's t: x = df/(df + t²), y = t²/(df + t²)) does not lose it to rounding of 1 − x.
 */
function incompleteBeta(x: number, y: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1)) return NaN;
  if (x === 0) return 0;
  if (y === 0) return 1;
  const logX = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const logY = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  const front = Math.exp(a * logX + b * logY - logBeta(a, b));
  // Use the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) on the side where the fraction converges.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, y)) / b;
}

/** Regularized lower incomplete gamma P(a, x) and upper Q(a, x) = 1 − P(a, x). */
function incompleteGamma(a: number, x: number): { p: number; q: number } {
  if (x <= 0) return { p: 0, q: 1 };
  const logFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // Series (Numerical Recipes 6.2.5).
    let ap = a;
    let sum = 1 / a;
    let del = sum;
    for (let n = 0; n < 100_000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    const p = sum * Math.exp(logFront);
    return { p, q: 1 - p };
  }
  // Continued fraction (Numerical Recipes 6.2.7, modified Lentz): accurate for the small tail Q.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  const q = Math.exp(logFront) * h;
  return { p: 1 - q, q };
}

/** Complementary error function, through Q(1/2, x²) so that the far tail keeps its digits. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  const q = incompleteGamma(0.5, x * x).q;
  return x >= 0 ? q : 2 - q;
}

/** P(Z > z) for a standard normal Z. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df > 0, not necessarily whole). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0) || Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  // P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2); computing the tail directly keeps small p-values exact.
  const tail = 0.5 * studentTTwoSided(t, df);
  return t > 0 ? 1 - tail : tail;
}

/** Two-sided p-value P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. */
export function studentTTwoSided(t: number, df: number): number {
  if (!(df > 0) || Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  return incompleteBeta(df / (df + t2), t2 / (df + t2), df / 2, 0.5);
}

// ---------------------------------------------------------------------------------------
// Tests

export interface TestResult {
  /** The test statistic (t for Welch, U of the first sample for Mann–Whitney). */
  statistic: number;
  /** Two-sided p-value; NaN when the samples cannot be tested (too small, no spread). */
  pValue: number;
}

export interface WelchResult extends TestResult {
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
}

/**
 * Welch's unequal-variances t-test, two-sided (SciPy's `ttest_ind(a, b, equal_var=False)`).
 * Seeds of different methods have no reason to share a variance, hence Welch, not Student.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 < 2 || n2 < 2) return { statistic: NaN, df: NaN, pValue: NaN };
  const se1 = sampleVariance(a) / n1;
  const se2 = sampleVariance(b) / n2;
  const se = se1 + se2;
  const diff = mean(a) - mean(b);
  if (se === 0) {
    // Both samples constant: identical means say nothing, different ones are not a t-test.
    return { statistic: diff === 0 ? NaN : Math.sign(diff) * Infinity, df: NaN, pValue: NaN };
  }
  const t = diff / Math.sqrt(se);
  const df = (se * se) / ((se1 * se1) / (n1 - 1) + (se2 * se2) / (n2 - 1));
  return { statistic: t, df, pValue: studentTTwoSided(t, df) };
}

/**
 * Paired t-test, two-sided (SciPy's `ttest_rel(a, b)`): `a[i]` and `b[i]` belong together (two
 * methods run from the same seed, so from the same initial weights and data order), and the test
 * is on their differences, which removes what the seed contributes to both.
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): WelchResult {
  if (a.length !== b.length) throw new Error(`paired samples differ in size: ${a.length} and ${b.length}`);
  const n = a.length;
  if (n < 2) return { statistic: NaN, df: NaN, pValue: NaN };
  const d = a.map((x, i) => x - b[i]!);
  const sd = sampleStd(d);
  const diff = mean(d);
  if (sd === 0) return { statistic: diff === 0 ? NaN : Math.sign(diff) * Infinity, df: NaN, pValue: NaN };
  const t = diff / (sd / Math.sqrt(n));
  return { statistic: t, df: n - 1, pValue: studentTTwoSided(t, n - 1) };
}

/** Average ranks (1-based) of the values, ties sharing the mean of their ranks. */
export function ranks(values: readonly number[]): { ranks: number[]; tieSizes: number[] } {
  const order = values.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const out = new Array<number>(values.length);
  const tieSizes: number[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i + 1;
    while (j < order.length && order[j]!.v === order[i]!.v) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) out[order[k]!.i] = rank;
    tieSizes.push(j - i);
    i = j;
  }
  return { ranks: out, tieSizes };
}

/**
 * Counts of each U value (0 … m·n) over all C(m+n, m) arrangements with no ties, from the
 * recurrence c(m, n, u) = c(m − 1, n, u − n) + c(m, n − 1, u). Exact in doubles while the
 * total stays below 2^53, which the caller checks.
 */
function exactUCounts(m: number, n: number): number[] {
  // row[j] holds the counts for (i, j) while i climbs from 0 to m.
  let row: number[][] = [];
  for (let j = 0; j <= n; j++) row.push([1]);
  for (let i = 1; i <= m; i++) {
    const next: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const size = i * j + 1;
      const counts = new Array<number>(size).fill(0);
      const withoutY = next[j - 1]!; // (i, j − 1): the largest value is from y, adds 0
      const withoutX = row[j]!; // (i − 1, j): the largest value is from x, beats all j of y
      for (let u = 0; u < withoutY.length; u++) counts[u]! += withoutY[u]!;
      for (let u = 0; u < withoutX.length; u++) counts[u + j]! += withoutX[u]!;
      next.push(counts);
    }
    row = next;
  }
  return row[n]!;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

export interface MannWhitneyResult extends TestResult {
  method: 'exact' | 'asymptotic';
}

/**
 * Mann–Whitney U test, two-sided, as SciPy's `mannwhitneyu(a, b)` computes it: the exact
 * null distribution when one sample has at most 8 values and there are no ties, otherwise
 * the normal approximation with tie correction and continuity correction.
 */
export function mannWhitneyU(
  a: readonly number[],
  b: readonly number[],
  options: { method?: 'auto' | 'exact' | 'asymptotic' } = {},
): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { statistic: NaN, pValue: NaN, method: 'asymptotic' };
  const { ranks: r, tieSizes } = ranks([...a, ...b]);
  let r1 = 0;
  for (let i = 0; i < n1; i++) r1 += r[i]!;
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const u = Math.max(u1, u2);
  const hasTies = tieSizes.some((t) => t > 1);

  let method = options.method ?? 'auto';
  if (method === 'auto') method = (n1 <= 8 || n2 <= 8) && !hasTies ? 'exact' : 'asymptotic';
  if (method === 'exact' && binomial(n1 + n2, Math.min(n1, n2)) >= 2 ** 53) method = 'asymptotic';

  if (method === 'exact') {
    const counts = exactUCounts(n1, n2);
    const total = binomial(n1 + n2, n1);
    // P(U ≥ u) with u = max(U1, U2); the distribution is symmetric, so doubling it is two-sided.
    let upper = 0;
    for (let k = Math.ceil(u); k < counts.length; k++) upper += counts[k]!;
    return { statistic: u1, pValue: Math.min(1, (2 * upper) / total), method };
  }

  const n = n1 + n2;
  const tieTerm = tieSizes.reduce((s, t) => s + t ** 3 - t, 0);
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const numerator = u - (n1 * n2) / 2 - 0.5;
  // All values tied: no evidence either way.
  const p = sigma === 0 ? 1 : Math.min(1, 2 * normalSf(numerator / sigma));
  return { statistic: u1, pValue: p, method };
}
