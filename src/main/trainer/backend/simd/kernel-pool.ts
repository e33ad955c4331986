// Worker threads that run our SIMD kernels on the wasm backend's (shared) heap, so that one
// convolution uses every core.
//
// A driver (simd/kernels.ts) does not hand the pool work of its own making: it records the very
// kernel calls it would have made, each tagged with a unit (the calls of one unit write outputs
// no other unit writes, e.g. one slice of images of a forward convolution, or one block of a
// filter gradient). Thread t of T runs, in the recorded order, the calls whose unit u has
// ⌊u·T/U⌋ = t. Every output element is therefore computed by the same calls in the same order
// as with one thread: the numbers are the same bit for bit, whatever the thread count.
//
// Dispatch is synchronous (tfjs kernels are): the calling thread writes the calls into a shared
// buffer, wakes the workers through Atomics, runs its own share, and waits on a counter. The
// workers never touch the event loop while they work, so nothing they do can interleave with it.

import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';

/** Doubles per recorded call: the function's index, its unit, and up to MAX_ARGS arguments. */
export const MAX_ARGS = 17;
const RECORD = 2 + MAX_ARGS;

// The control block: an Int32Array on its own SharedArrayBuffer.
const GENERATION = 0; // bumped to wake the workers for a batch (or to stop them)
const REMAINING = 1; // workers still running the current batch
const UNITS = 2;
const USED = 3; // doubles of the call buffer in use
const FAILED = 4; // a worker failed the batch (its message is on its port)
const STOP = 5;
const RESULT = 6; // the bitwise or of the batch's calls' results (undefined counts 0)
const CONTROL_SLOTS = 7;

/**
 * Runs thread `t`'s share of a batch. Plain JavaScript source, because the workers are started
 * from source (no module to import, whatever runs the host: tsx, vitest, a bundle, Electron) and
 * the calling thread must run exactly the same code. Each call passes MAX_ARGS numbers: a wasm
 * function drops the ones beyond its parameters. Returns the bitwise or of the calls' results.
 */
const RUN_SHARE = `function runShare(fns, calls, used, units, t, threads) {
  let result = 0;
  for (let p = 0; p < used; p += ${RECORD}) {
    if (Math.floor((calls[p + 1] * threads) / units) !== t) continue;
    result |= fns[calls[p]](${Array.from({ length: MAX_ARGS }, (_, i) => `calls[p + ${i + 2}]`).join(', ')});
  }
  return result;
}`;

type Kernel = (...args: number[]) => unknown;
type RunShare = (
  fns: Kernel[],
  calls: Float64Array,
  used: number,
  units: number,
  t: number,
  threads: number,
) => number;

const runShare = new Function(`return ${RUN_SHARE}`)() as RunShare;

const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { memory, bytes, names, control, port, index, threads } = workerData;
${RUN_SHARE}
const ctl = new Int32Array(control);
let calls = new Float64Array(workerData.calls);
let fns;
try {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: { memory },
    math: { exp: Math.exp, log: Math.log },
  });
  fns = names.map((name) => instance.exports[name]);
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ ready: false, error: String((error && error.message) || error) });
}
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${GENERATION}, seen);
  seen = Atomics.load(ctl, ${GENERATION});
  if (Atomics.load(ctl, ${STOP}) !== 0) break;
  for (let m; (m = receiveMessageOnPort(port)); ) calls = new Float64Array(m.message);
  try {
    if (fns) Atomics.or(ctl, ${RESULT}, runShare(fns, calls, ctl[${USED}], ctl[${UNITS}], index, threads));
  } catch (error) {
    port.postMessage(String((error && error.message) || error));
    Atomics.store(ctl, ${FAILED}, 1);
  }
  if (Atomics.sub(ctl, ${REMAINING}, 1) === 1) Atomics.notify(ctl, ${REMAINING});
}
`;

/**
 * A batch of recorded kernel calls, run on the pool by `finish` (the bitwise or of their results),
 * which leaves it empty for the next pass.
 */
export interface RecordedCalls {
  call(unit: number, name: string, ...args: number[]): void;
  finish(): number;
}

export class KernelPool {
  readonly threads: number;
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  private readonly index: Map<string, number>;
  private readonly fns: Kernel[];
  private calls: Float64Array;
  private busy = false;
  /** Batches run on the pool so far (for tests and profiles: were the workers used at all?). */
  batches = 0;

  /**
   * `threads` in all, this one included (threads − 1 workers), each with its own instance of the
   * kernel module `bytes` on `memory`; `local` are this thread's exports of the same module.
   */
  private constructor(threads: number, memory: object, bytes: Uint8Array, local: Record<string, Kernel>) {
    const names = Object.keys(local);
    this.threads = threads;
    this.index = new Map(names.map((name, i) => [name, i]));
    this.fns = names.map((name) => local[name]!);
    this.calls = new Float64Array(new SharedArrayBuffer(RECORD * 8 * 4096));
    for (let index = 1; index < threads; index++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          memory,
          bytes,
          names,
          control: this.control.buffer,
          calls: this.calls.buffer,
          port: port2,
          index,
          threads,
        },
        transferList: [port2],
      });
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /**
   * A pool of `threads` (see the constructor), once every worker has its instance; rejects with
   * the reason when one cannot instantiate the module (e.g. the memory is not shared).
   */
  static async start(
    threads: number,
    memory: object,
    bytes: Uint8Array,
    local: Record<string, Kernel>,
  ): Promise<KernelPool> {
    const pool = new KernelPool(threads, memory, bytes, local);
    const answers = pool.workers.map(
      (worker, i) =>
        new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          pool.ports[i]!.once('message', (m: { ready: boolean; error?: string }) => {
            worker.off('error', reject);
            if (m.ready) resolve();
            else reject(new Error(`a kernel worker could not start: ${m.error}`));
          });
        }),
    );
    try {
      await Promise.all(answers);
    } catch (error) {
      await pool.close();
      throw error;
    }
    for (const [i, worker] of pool.workers.entries()) {
      // Idle workers wait in Atomics.wait: they must not keep the process alive. Their ports
      // are read with receiveMessageOnPort from now on, never by a listener.
      worker.unref();
      pool.ports[i]!.removeAllListeners('message');
      pool.ports[i]!.unref();
    }
    return pool;
  }

  /** A batch of calls, their units numbered from 0 (see the file's comment). */
  record(): RecordedCalls {
    let used = 0;
    let units = 0;
    return {
      call: (unit, name, ...args) => {
        if (unit + 1 > units) units = unit + 1;
        const fn = this.index.get(name);
        if (fn === undefined) throw new Error(`no kernel '${name}' in the module`);
        if (args.length > MAX_ARGS)
          throw new Error(`${name}: ${args.length} arguments, the pool passes ${MAX_ARGS}`);
        if (used + RECORD > this.calls.length) this.grow(used);
        const c = this.calls;
        c[used] = fn;
        c[used + 1] = unit;
        for (let i = 0; i < args.length; i++) c[used + 2 + i] = args[i]!;
        used += RECORD;
      },
      finish: () => {
        const result = this.run(used, units);
        // Empty again: a driver with passes that depend on each other reuses one batch.
        used = 0;
        units = 0;
        return result;
      },
    };
  }

  /**
   * Runs the first `used` doubles of the call buffer on every thread: the bitwise or of the
   * calls' results. Throws what a worker threw.
   */
  private run(used: number, units: number): number {
    if (used === 0) return 0;
    this.batches++;
    if (this.busy) throw new Error('KernelPool.run re-entered');
    this.busy = true;
    const ctl = this.control;
    try {
      ctl[USED] = used;
      ctl[UNITS] = units;
      ctl[FAILED] = 0;
      ctl[RESULT] = 0;
      Atomics.store(ctl, REMAINING, this.workers.length);
      Atomics.add(ctl, GENERATION, 1);
      Atomics.notify(ctl, GENERATION);
      let failure: unknown = null;
      let result = 0;
      try {
        result = runShare(this.fns, this.calls, used, units, 0, this.threads);
      } catch (error) {
        failure = error;
      }
      for (let left = Atomics.load(ctl, REMAINING); left !== 0; left = Atomics.load(ctl, REMAINING)) {
        Atomics.wait(ctl, REMAINING, left);
      }
      if (failure != null) throw failure;
      if (Atomics.load(ctl, FAILED) !== 0) {
        const messages = this.ports.map((p) => receiveMessageOnPort(p)?.message).filter((m) => m != null);
        throw new Error(`a kernel worker failed: ${messages.join('; ') || 'no message'}`);
      }
      return result | Atomics.load(ctl, RESULT);
    } finally {
      this.busy = false;
    }
  }

  /** A call buffer twice as large, the first `used` doubles kept; the workers get it before the next batch. */
  private grow(used: number): void {
    const bigger = new Float64Array(new SharedArrayBuffer(this.calls.byteLength * 2));
    bigger.set(this.calls.subarray(0, used));
    this.calls = bigger;
    for (const port of this.ports) port.postMessage(bigger.buffer);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GENERATION, 1);
    Atomics.notify(this.control, GENERATION);
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const port of this.ports) port.close();
  }
}
