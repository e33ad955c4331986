// Seeded randomness. One run seed drives everything random in a run; each consumer
// (initialisation, shuffling, SSA moves, Metropolis draws, SGD-SA's rate draws, the
// training estimate) gets its own stream derived from that seed and a name, so that
// changing how often one consumer draws never shifts the numbers another one sees.
import { xoroshiro128plus, type RandomGenerator } from 'pure-rand';

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** FNV-1a over the name, mixed with the seed: a stable 32-bit seed per (seed, stream). */
export function streamSeed(seed: number, stream: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193);
  h ^= Math.floor(seed / TWO_POW_32);
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche so that nearby seeds give unrelated streams.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** One xoroshiro128+ step on a state held as [s01, s00, s11, s10]; returns the 32-bit output. */
function step(st: Int32Array): number {
  const s01 = st[0]!;
  const s00 = st[1]!;
  const s11 = st[2]!;
  const s10 = st[3]!;
  const out = (s00 + s10) | 0;
  const a0 = s10 ^ s00;
  const a1 = s11 ^ s01;
  st[1] = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
  st[0] = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
  st[3] = (a1 << 5) ^ (a0 >>> 27);
  st[2] = (a0 << 5) ^ (a1 >>> 27);
  return out;
}

/** Uniform in (0, 1) from one step: log never sees 0. */
const openUniform = (st: Int32Array) => ((step(st) >>> 0) + 0.5) / TWO_POW_32;

/**
 * The ziggurat's tables (Marsaglia & Tsang 2000, 256 layers) for draws whose value part is a
 * signed 24-bit integer j: layer i accepts at once when |j| < kn[i], and the value is j·wn[i].
 */
const ZIGGURAT = (() => {
  const R = 3.6541528853610088;
  const V = 4.92867323399e-3;
  const M = 2 ** 23;
  const kn = new Float64Array(256);
  const wn = new Float64Array(256);
  const fn = new Float64Array(256);
  let dn = R;
  let tn = R;
  const q = V / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * M;
  kn[1] = 0;
  wn[0] = q / M;
  wn[255] = dn / M;
  fn[0] = 1;
  fn[255] = Math.exp(-0.5 * dn * dn);
  for (let i = 254; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(V / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * M;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / M;
  }
  let lastStd = NaN;
  const scaledWn = new Float64Array(256);
  return {
    R,
    kn,
    wn,
    fn,
    /** wn·std, cached for the last std asked (SSA asks for the same ε for a whole epoch). */
    scaled(std: number): Float64Array {
      if (std !== lastStd) {
        for (let i = 0; i < 256; i++) scaledWn[i] = wn[i]! * std;
        lastStd = std;
      }
      return scaledWn;
    },
  };
})();

/** The ziggurat's tables and R, for a generator that must draw exactly as fillNormal does. */
export function zigguratTables(): { R: number; kn: Float64Array; wn: Float64Array; fn: Float64Array } {
  const { R, kn, wn, fn } = ZIGGURAT;
  return { R, kn, wn, fn };
}

/** The ziggurat's rare cases: the base layer's tail, and the wedges beside the other layers. */
function zigguratSlow(st: Int32Array, j: number, layer: number): number {
  const { R, kn, wn, fn } = ZIGGURAT;
  for (;;) {
    const x = j * wn[layer]!;
    if (layer === 0) {
      // Marsaglia's tail method beyond R.
      let t: number;
      let y: number;
      do {
        t = -Math.log(openUniform(st)) / R;
        y = -Math.log(openUniform(st));
      } while (y + y < t * t);
      return j > 0 ? R + t : -R - t;
    }
    if (fn[layer]! + openUniform(st) * (fn[layer - 1]! - fn[layer]!) < Math.exp(-0.5 * x * x)) return x;
    const hz = step(st);
    layer = hz >>> 24;
    j = (hz << 8) >> 8;
    if (Math.abs(j) < kn[layer]!) return j * wn[layer]!;
  }
}

export class Rng {
  private gen: RandomGenerator;
  /** A second normal from Box–Muller, kept for the next call. */
  private spareNormal: number | null = null;

  private constructor(gen: RandomGenerator) {
    this.gen = gen;
  }

  static fromSeed(seed: number, stream = 'main'): Rng {
    return new Rng(xoroshiro128plus(streamSeed(seed, stream)));
  }

  /** Serialisable state, for checkpoints. */
  getState(): { gen: number[]; spareNormal: number | null } {
    return { gen: [...this.gen.getState()], spareNormal: this.spareNormal };
  }

  static fromState(state: { gen: number[]; spareNormal: number | null }): Rng {
    const rng = new Rng(xoroshiro128plus.fromState(state.gen));
    rng.spareNormal = state.spareNormal;
    return rng;
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    return this.gen.unsafeNext() >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`int(n) needs a whole n >= 1, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Fill with N(0, std²): the hot path of SSA's moves (one normal per weight per minibatch).
   * Marsaglia and Tsang's ziggurat with 256 layers on xoroshiro128+ stepped inline: one 32-bit
   * draw, two table reads and a compare for 98.5 % of the values, about 5 ns a value against
   * Box–Muller's 21. Each draw takes its layer from the top 8 bits and its value from the other
   * 24 (Doornik's fix for the original's correlation between the two); the rest take the slow
   * path (the wedges beside each layer, and the tail beyond R).
   */
  fillNormal(out: Float32Array, std: number): Float32Array {
    const state = Int32Array.from(this.gen.getState());
    let s01 = state[0]!;
    let s00 = state[1]!;
    let s11 = state[2]!;
    let s10 = state[3]!;
    const scale = ZIGGURAT.scaled(std);
    const kn = ZIGGURAT.kn;
    const n = out.length;
    for (let i = 0; i < n; i++) {
      // xoroshiro128+ (pure-rand's unsafeNext, same state layout and output)
      const hz = (s00 + s10) | 0;
      const a0 = s10 ^ s00;
      const a1 = s11 ^ s01;
      const t00 = s00;
      s00 = (t00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
      s01 = (s01 << 24) ^ (t00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
      s10 = (a1 << 5) ^ (a0 >>> 27);
      s11 = (a0 << 5) ^ (a1 >>> 27);
      const layer = hz >>> 24;
      const j = (hz << 8) >> 8; // signed 24 bits
      if (Math.abs(j) < kn[layer]!) {
        out[i] = j * scale[layer]!;
      } else {
        state[0] = s01;
        state[1] = s00;
        state[2] = s11;
        state[3] = s10;
        out[i] = std * zigguratSlow(state, j, layer);
        s01 = state[0]!;
        s00 = state[1]!;
        s11 = state[2]!;
        s10 = state[3]!;
      }
    }
    this.gen = xoroshiro128plus.fromState([s01, s00, s11, s10]);
    return out;
  }

  /**
   * Lets a generator outside this class continue this stream (the wasm SSA moves, which draw as
   * fillNormal does): `advance` gets the xoroshiro128+ state in fillNormal's layout, [s01, s00,
   * s11, s10], and leaves it advanced.
   */
  advanceRaw(advance: (state: Int32Array) => void): void {
    const state = Int32Array.from(this.gen.getState());
    advance(state);
    this.gen = xoroshiro128plus.fromState(Array.from(state));
  }

  /** Fill with U(low, high). */
  fillUniform(out: Float32Array, low: number, high: number): Float32Array {
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * (this.uint32() / TWO_POW_32);
    return out;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** `k` distinct indices from [0, n), in draw order. */
  sampleWithoutReplacement(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`cannot draw ${k} distinct items from ${n}`);
    const pool = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    return Array.from(pool.subarray(0, k));
  }
}
