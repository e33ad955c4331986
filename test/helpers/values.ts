// Test inputs for kernel comparisons: the same numbers on every backend and every run, from an
// LCG of our own rather than a backend's random ops.

/** Deterministic values in [-1, 1), independent of the backend. */
export function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
