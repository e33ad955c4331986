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

  /** Fill with N(0, std²). Uses 32-bit uniforms: this is the hot path of SSA's moves. */
  fillNormal(out: Float32Array, std: number): Float32Array {
    const n = out.length;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const u = (this.uint32() + 1) / (TWO_POW_32 + 1); // (0, 1): log never sees 0
      const v = this.uint32() / TWO_POW_32;
      const r = std * Math.sqrt(-2 * Math.log(u));
      out[i] = r * Math.cos(2 * Math.PI * v);
      out[i + 1] = r * Math.sin(2 * Math.PI * v);
    }
    if (i < n) out[i] = std * this.normal();
    return out;
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
