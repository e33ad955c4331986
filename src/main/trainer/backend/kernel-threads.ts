// PLACEHOLDER: the lead's implementation (workers for Annealab's SIMD kernels on the wasm
// backend, sharing its heap) replaces this file at merge. Until then it only records and checks
// the count, so that the setting can be carried from the spec to the trainer and the bench and
// tested end to end: every kernel still runs on the calling thread.

let threads = 1;

/**
 * Split the SIMD kernels of the wasm backend across `n` threads (1: the calling thread only, no
 * workers). Throws on anything but a whole number ≥ 1.
 */
export async function setKernelThreads(n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`kernel threads must be an integer ≥ 1, got ${n}`);
  threads = n;
  return Promise.resolve();
}

/** The threads the SIMD kernels split across (what setKernelThreads set last; 1 at first). */
export function kernelThreads(): number {
  return threads;
}
