// How many threads our SIMD kernels run on (the wasm backend only): the `threads` of a run.
//
// One run on every core: tfjs's wasm build runs one thread in Node, so the convolutions that
// dominate a step (our SIMD kernels, simd/kernels.ts) are split across worker threads that share
// the backend's heap (simd/shared-memory.ts, simd/kernel-pool.ts). The split never changes a
// number: every output is computed by the same calls in the same order, on any thread count.
// Kernels of tfjs's own (XNNPACK) stay on the calling thread.
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { setSimdThreads, simdPooledBatches, simdThreads } from './simd/kernels';

/** The wasm backend if it is the active one. */
function activeWasm(): BackendWasm | null {
  return tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm) : null;
}

/**
 * Runs our kernels on `n` threads (this one included) from now on. Only the wasm backend has
 * them: on any other, or with n = 1, nothing starts. Throws on an n that is not an integer ≥ 1,
 * and when the wasm heap cannot be shared; either way the threads in use stay as they were.
 */
export async function setKernelThreads(n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`threads must be an integer ≥ 1, got ${n}`);
  const backend = activeWasm();
  if (backend == null) return;
  await setSimdThreads(backend, n);
}

/** The threads our kernels run on now (1 on backends other than wasm). */
export function kernelThreads(): number {
  const backend = activeWasm();
  return backend == null ? 1 : simdThreads(backend);
}

/** How many kernel calls were split across the threads so far (0 with one thread). */
export function kernelThreadBatches(): number {
  const backend = activeWasm();
  return backend == null ? 0 : simdPooledBatches(backend);
}
