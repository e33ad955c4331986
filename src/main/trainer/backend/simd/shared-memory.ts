// A shared heap for TensorFlow.js's wasm backend, so that worker threads can run our SIMD kernels
// on tensors where they live.
//
// tfjs-backend-wasm 4.22 refuses threads in Node (its threaded build starts Emscripten pthreads
// from Blob URLs with importScripts, which Node's worker_threads lack; tensorflow/tfjs#3830), so
// its non-threaded SIMD build runs, on an ordinary WebAssembly.Memory. A memory becomes shared by
// one bit of its limits in the binary (flag 1 "has a maximum" → 3 "has a maximum, shared"), and a
// module that never uses atomics runs on a shared memory exactly as on an ordinary one (same
// instructions, same results). So the backend's binary is given to WebAssembly.instantiate with
// that bit set, while the backend initialises; our own kernel module, which imports the memory,
// gets the same bit on its import. Workers then instantiate our kernels on the very same memory.
//
// Growth stays the Emscripten runtime's: a shared memory grows in place (its buffer is never
// detached), and every thread sees the new size.

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const KIND_FUNCTION = 0;
const KIND_MEMORY = 2;
const LIMITS_MAX = 1;
const LIMITS_MAX_SHARED = 3;

/** Reads an unsigned LEB128 at `at`: [value, the offset after it]. */
function leb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    if (byte === undefined) throw new Error('truncated LEB128');
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

function readName(bytes: Uint8Array, at: number): [string, number] {
  const [length, start] = leb(bytes, at);
  return [Buffer.from(bytes.subarray(start, start + length)).toString('utf8'), start + length];
}

/**
 * The offset of the limits flag of the module's one memory (defined in its memory section, or
 * imported as env.memory), or -1 when the module has no memory this file knows how to find.
 */
function memoryLimitsAt(bytes: Uint8Array): number {
  if (MAGIC.some((b, i) => bytes[i] !== b)) return -1;
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = leb(bytes, at + 1);
    const end = body + size;
    if (id === SECTION_MEMORY) {
      const [count, first] = leb(bytes, body);
      return count === 1 ? first : -1;
    }
    if (id === SECTION_IMPORT) {
      let [count, entry] = leb(bytes, body);
      for (; count > 0; count--) {
        let module: string;
        let field: string;
        [module, entry] = readName(bytes, entry);
        [field, entry] = readName(bytes, entry);
        const kind = bytes[entry++];
        if (kind === KIND_MEMORY) return module === 'env' && field === 'memory' ? entry : -1;
        if (kind !== KIND_FUNCTION) return -1; // tables and globals: not in the modules we patch
        [, entry] = leb(bytes, entry);
      }
    }
    at = end;
  }
  return -1;
}

/**
 * A copy of a wasm binary whose memory (defined or imported) is shared, or null when its memory
 * has no maximum (a shared memory needs one) or is not where this file looks. Names no section
 * it does not change, so anything it does not understand is left alone (null).
 */
export function withSharedMemory(binary: Uint8Array): Uint8Array | null {
  let at: number;
  try {
    at = memoryLimitsAt(binary);
  } catch {
    return null;
  }
  if (at < 0) return null;
  if (binary[at] === LIMITS_MAX_SHARED) return binary;
  if (binary[at] !== LIMITS_MAX) return null;
  const copy = new Uint8Array(binary);
  copy[at] = LIMITS_MAX_SHARED;
  return copy;
}

interface WebAssemblyInstantiate {
  instantiate(bytes: unknown, imports?: object): Promise<unknown>;
}

/** True when this memory (a WebAssembly.Memory) is shared, so workers can use it. */
export function isSharedMemory(memory: object): boolean {
  const buffer = (memory as { buffer?: unknown }).buffer;
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

/**
 * Runs `init` (which initialises the wasm backend) with WebAssembly.instantiate giving every
 * binary that defines a memory with a maximum that memory shared. Only for the duration of
 * `init`; anything else instantiated meanwhile that has such a memory would get it shared too,
 * which changes nothing for a module that does not use atomics.
 */
export async function withSharedWasmHeap<T>(init: () => Promise<T>): Promise<T> {
  const api = (globalThis as unknown as { WebAssembly: WebAssemblyInstantiate }).WebAssembly;
  if (typeof SharedArrayBuffer === 'undefined') return init();
  const original = api.instantiate;
  api.instantiate = function (bytes: unknown, imports?: object) {
    if (bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes)) {
      const view =
        bytes instanceof ArrayBuffer
          ? new Uint8Array(bytes)
          : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const shared = withSharedMemory(view);
      if (shared != null) return original.call(api, shared, imports);
    }
    return original.call(api, bytes, imports);
  };
  try {
    return await init();
  } finally {
    api.instantiate = original;
  }
}
