// Tensors where the wasm backend keeps them: in its heap. Shared by the kernels in
// wasm-kernels.ts and the drivers of our SIMD kernels (simd/kernels.ts).
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** A view of a tensor's data on the wasm heap. Take it after the last allocation: growth detaches it. */
export function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** A tensor's byte address on the wasm heap (what a wasm kernel is given). */
export function heapAddress(backend: BackendWasm, t: TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data == null) throw new Error('A tensor given to a wasm kernel is not on the wasm backend.');
  return data.memoryOffset;
}

/** A new float32 tensor of zeros on the heap. */
export function heapZeros(backend: BackendWasm, shape: readonly number[]): TensorInfo {
  const t = backend.makeOutput([...shape], 'float32');
  heapF32(backend, t).fill(0);
  return t;
}
