// Backend selection for the trainer process: tensorflow (tfjs-node-gpu, optional) > webgpu (on a
// real GPU adapter) > wasm > cpu.
//
// Every backend registers itself with the one tfjs-core engine that this module imports. tfjs-core
// keeps its engine and its kernel and gradient registries on globalThis, so a package that brings
// its own copy of tfjs-core (tfjs-node-gpu does, through @tensorflow/tfjs) still registers with
// ours; what must not differ is the version, which loadTensorflow checks.

import * as tf from '@tensorflow/tfjs-core';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { execFileSync } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import os from 'node:os';
import { BACKEND_IDS } from '../../../shared/ids';
import type { BackendId, BackendRequest } from '../../../shared/ids';
import {
  BACKEND_ENV,
  BACKEND_REQUESTS as REQUESTS,
  TFJS_NODE_GPU,
  tfjsNodeGpuEntry,
  type BackendRequestSource,
  type ResolvedBackendRequest,
} from './backend-request';
import { installEagerBackprop } from './eager-backprop';
import { kernelThreads } from './kernel-threads';
import { ensureGradients } from './gradients';
import { registerWasmKernels } from './wasm-kernels';
import { activateWebgpu } from './webgpu';
import { probeAdapter } from './webgpu-adapter';

// The request side lives in the tfjs-free backend-request.ts, which the hosts import.
export {
  BACKEND_ENV,
  resolveBackendRequest,
  tfjsNodeGpuEntry,
  type BackendRequestSource,
  type ResolvedBackendRequest,
} from './backend-request';

export interface BackendInfo {
  backend: BackendId;
  /** Why this backend, and why not the better ones, in words for a person. */
  reason: string;
  /** What computes: "NVIDIA RTX A4000 (CUDA)", "CPU (libtensorflow)", "Intel Xeon … (wasm, SIMD, 1 thread)". */
  device: string;
  versions: { tfjs: string; backend: string };
}

const CPU_LIBTENSORFLOW = 'CPU (libtensorflow)';

const SOURCE_WORDS: Record<BackendRequestSource, string> = {
  flag: 'requested by the --backend flag',
  env: `requested by ${BACKEND_ENV}`,
  spec: 'requested by the experiment spec',
  default: 'requested',
};

/**
 * Loads and activates a backend. 'auto' takes the first that loads of tensorflow (only if
 * @tensorflow/tfjs-node-gpu is installed), webgpu (only on a real GPU adapter: a software one such
 * as SwiftShader is used only when webgpu is asked for by name), wasm, cpu; an explicit request that cannot be met
 * throws an Error saying why and what to do. Also makes sure gradients are registered, frees
 * what a backward pass is done with as it goes (eager-backprop.ts), and on wasm adds the kernels
 * training needs (see wasm-kernels.ts).
 */
export async function initBackend(requested: BackendRequest | ResolvedBackendRequest): Promise<BackendInfo> {
  const { request, source } =
    typeof requested === 'string' ? { request: requested, source: 'default' as const } : requested;
  if (!REQUESTS.includes(request)) {
    throw new Error(`Unknown backend "${String(request)}": use one of ${REQUESTS.join(', ')}.`);
  }

  let info: BackendInfo;
  if (request === 'auto') {
    info = await chooseAutomatically();
  } else {
    const loaded = await load(request, true);
    if (!loaded.ok) throw new Error(loaded.problem);
    const detail = loaded.detail ? `: ${loaded.detail}` : '';
    const note = loaded.note ? `; ${loaded.note}` : '';
    info = { ...loaded.info, reason: `${SOURCE_WORDS[source]} (${request})${detail}${note}` };
  }
  // After the backend: tfjs-node-gpu brings @tensorflow/tfjs, which registers gradients itself.
  await ensureGradients();
  installEagerBackprop();
  return info;
}

async function chooseAutomatically(): Promise<BackendInfo> {
  const skipped: string[] = [];
  for (const backend of BACKEND_IDS) {
    const loaded = await load(backend);
    if (loaded.ok) {
      if (loaded.note) skipped.push(loaded.note);
      const using = `using ${backend}${loaded.detail ? `: ${loaded.detail}` : ''}`;
      const why = skipped.length > 0 ? `${skipped.join('; ')}; ${using}` : using;
      return { ...loaded.info, reason: `auto: ${why}` };
    }
    skipped.push(loaded.why);
  }
  throw new Error(`No TensorFlow.js backend could be initialised: ${skipped.join('; ')}.`);
}

type Loaded =
  /** `note`: a caveat (and, for auto, a reason to look further); `detail`: what it runs on. */
  | { ok: true; info: Omit<BackendInfo, 'reason'>; note?: string; detail?: string }
  /** `why` is short, for auto's reason; `problem` is the full error for an explicit request. */
  | { ok: false; why: string; problem: string };

function load(backend: BackendId, explicit = false): Promise<Loaded> {
  switch (backend) {
    case 'tensorflow':
      return loadTensorflow();
    case 'webgpu':
      return loadWebgpu(explicit);
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return loadCpu();
  }
}

// ---------------------------------------------------------------------------------------------
// tensorflow: @tensorflow/tfjs-node-gpu, an optional dependency with a native binary.

const TENSORFLOW_HELP =
  `Install it with \`npm install ${TFJS_NODE_GPU}@4.22.0\` on Linux x86-64 with an NVIDIA driver, ` +
  'CUDA 11.2 and cuDNN 8.1 (the versions its libtensorflow 2.9.1 is built for), then check that ' +
  `\`node -e "require('${TFJS_NODE_GPU}')"\` loads. Or choose another backend: --backend wasm.`;

async function loadTensorflow(): Promise<Loaded> {
  const entry = tfjsNodeGpuEntry();
  if (entry === null) {
    return {
      ok: false,
      why: `${TFJS_NODE_GPU} is not installed (optional dependency)`,
      problem: `The tensorflow backend needs ${TFJS_NODE_GPU}, which is not installed (it is an optional dependency). ${TENSORFLOW_HELP}`,
    };
  }

  const mismatch = coreVersionMismatch(entry);
  if (mismatch != null) return { ok: false, why: mismatch, problem: `${mismatch}. ${TENSORFLOW_HELP}` };

  let nodeTf: { version?: Record<string, string> };
  try {
    // A variable specifier: the package is optional, so neither tsc nor a bundler may resolve it.
    const specifier = TFJS_NODE_GPU;
    nodeTf = (await import(specifier)) as typeof nodeTf;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      ok: false,
      why: `${TFJS_NODE_GPU} is installed but failed to load (${message})`,
      problem: `${TFJS_NODE_GPU} is installed but failed to load: ${message}. ${TENSORFLOW_HELP}`,
    };
  }

  // It registers its backend with the engine on globalThis, which is ours; make sure.
  if (tf.findBackendFactory('tensorflow') == null || !(await tf.setBackend('tensorflow'))) {
    return {
      ok: false,
      why: `${TFJS_NODE_GPU} loaded but its 'tensorflow' backend did not initialise`,
      problem: `${TFJS_NODE_GPU} loaded, but its 'tensorflow' backend is not registered with this process's tfjs-core or failed to initialise (see the warnings above). ${TENSORFLOW_HELP}`,
    };
  }
  const libtf = (tf.backend() as { binding?: { TF_Version?: string } }).binding?.TF_Version;
  const nodeVersion = nodeTf.version?.['tfjs-node'] ?? 'unknown';
  const device = describeDevice('tensorflow');
  return {
    ok: true,
    ...(device === CPU_LIBTENSORFLOW
      ? { note: 'libtensorflow sees no usable GPU (it needs CUDA 11.2 and cuDNN 8.1), so it runs on the CPU' }
      : {}),
    info: {
      backend: 'tensorflow',
      device,
      versions: {
        tfjs: tf.version_core,
        backend: `${TFJS_NODE_GPU} ${nodeVersion}${libtf ? `, libtensorflow ${libtf}` : ''}`,
      },
    },
  };
}

/**
 * tfjs-node-gpu reaches tfjs-core through @tensorflow/tfjs. A second copy of the same version
 * shares our engine through globalThis and works; a different version would register kernels
 * written for another engine, so refuse it.
 */
function coreVersionMismatch(nodeGpuEntry: string): string | null {
  try {
    const fromNodeGpu = createRequire(createRequire(nodeGpuEntry).resolve('@tensorflow/tfjs'));
    const theirs = (fromNodeGpu('@tensorflow/tfjs-core/package.json') as { version: string }).version;
    if (theirs === tf.version_core) return null;
    return (
      `${TFJS_NODE_GPU} uses @tensorflow/tfjs-core ${theirs} but Annealab uses ${tf.version_core}; ` +
      'both must be the same (`npm ls @tensorflow/tfjs-core` shows the copies)'
    );
  } catch {
    // Layout we cannot inspect: let the import and the registration check decide.
    return null;
  }
}

function gpuName(): string | null {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const gpus = out
      .trim()
      .split('\n')
      .map((line) => line.split(',').map((s) => s.trim()))
      .filter(([name]) => name);
    if (gpus.length === 0) return null;
    const [name, driver] = gpus[0]!;
    const more = gpus.length > 1 ? ` (+${gpus.length - 1} more)` : '';
    return `${name}${driver ? `, driver ${driver}` : ''}${more}`;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// webgpu: tfjs-backend-webgpu on Dawn (webgpu-adapter.ts, webgpu.ts).

/**
 * `explicit`: asked for by name, so a software adapter (SwiftShader: Vulkan on the CPU, for
 * tests) will do, and SwiftShader's ICD is tried when Vulkan finds no driver at all. For auto
 * only a real GPU counts: on the CPU, wasm's kernels are faster than a software GPU.
 */
async function loadWebgpu(explicit: boolean): Promise<Loaded> {
  const probe = await probeAdapter(explicit);
  if (!probe.ok) return { ok: false, why: probe.why, problem: probe.problem };
  const { probed } = probe;
  if (probed.software && !explicit) {
    const name = probed.description.split(' (')[0];
    return {
      ok: false,
      why: `webgpu: only a software adapter (${name})`,
      problem: `The webgpu backend found only a software adapter, ${probed.description}.`,
    };
  }
  const activated = await activateWebgpu(probed);
  if (!activated.ok) {
    return {
      ok: false,
      why: `webgpu: ${probed.description} failed to initialise`,
      problem: `The webgpu backend failed to initialise on ${probed.description}: ${activated.problem}. Or choose another backend: --backend wasm.`,
    };
  }
  return {
    ok: true,
    detail: probed.description,
    ...(probed.software ? { note: 'a software adapter: correct but slow, for tests' } : {}),
    info: {
      backend: 'webgpu',
      device: probed.description,
      versions: { tfjs: tf.version_core, backend: `@tensorflow/tfjs-backend-webgpu ${activated.version}` },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// wasm and cpu

async function loadWasm(): Promise<Loaded> {
  // No setWasmPaths: in Node, tfjs-backend-wasm's CommonJS build (its package "main") finds its
  // .wasm files next to itself through __dirname, whatever the working directory.
  const before = emscriptenListenerSnapshot();
  let ok = false;
  let failure = '';
  try {
    ok = await tf.setBackend('wasm');
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  removeEmscriptenListeners(before);
  if (!ok) {
    const detail = failure || 'see the warning above';
    return {
      ok: false,
      why: `the wasm backend failed to initialise (${detail})`,
      problem: `The wasm backend failed to initialise (${detail}). Use --backend cpu meanwhile.`,
    };
  }
  registerWasmKernels();
  await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'); // evaluated (and cached) for describeDevice
  return {
    ok: true,
    info: {
      backend: 'wasm',
      device: describeDevice('wasm'),
      versions: { tfjs: tf.version_core, backend: `@tensorflow/tfjs-backend-wasm ${version_wasm}` },
    },
  };
}

async function loadCpu(): Promise<Loaded> {
  if (!(await tf.setBackend('cpu'))) {
    return {
      ok: false,
      why: 'the cpu backend failed to initialise',
      problem: 'The cpu backend failed to initialise (see the warning above); reinstall with `npm ci`.',
    };
  }
  return {
    ok: true,
    info: {
      backend: 'cpu',
      device: describeDevice('cpu'),
      versions: { tfjs: tf.version_core, backend: `@tensorflow/tfjs-backend-cpu ${version_cpu}` },
    },
  };
}

type Listener = (...args: unknown[]) => void;
const EMSCRIPTEN_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
const processEvents = process as unknown as EventEmitter;

function emscriptenListenerSnapshot(): Map<string, Listener[]> {
  return new Map(EMSCRIPTEN_EVENTS.map((e) => [e, processEvents.listeners(e) as Listener[]]));
}

/**
 * The wasm module's Emscripten runtime adds process listeners that rethrow every uncaught
 * exception and unhandled rejection. They make Node print the runtime's 30 kB minified line
 * instead of the error's own location, and a throw inside an 'uncaughtException' listener ends
 * the process before the trainer's own crash handler can report. Take them off again.
 */
function removeEmscriptenListeners(before: Map<string, Listener[]>): void {
  for (const event of EMSCRIPTEN_EVENTS) {
    const old = before.get(event) ?? [];
    for (const listener of processEvents.listeners(event) as Listener[]) {
      if (!old.includes(listener)) processEvents.removeListener(event, listener);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** The CPU model and logical core count, e.g. "Intel(R) Xeon(R) Processor, 2 cores". */
export function describeCpu(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() || `${os.arch()} CPU (model unknown)`;
  return `${model}, ${cpus.length} core${cpus.length === 1 ? '' : 's'}`;
}

/** What computes for the active backend (as BackendInfo.device), without re-initialising it. */
export function describeDevice(backend: string = tf.getBackend()): string {
  if (backend === 'webgpu') {
    const info = (tf.backend() as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
    return `WebGPU adapter${info?.vendor ? ` (${info.vendor}${info.architecture ? ` ${info.architecture}` : ''})` : ''}`;
  }
  if (backend === 'tensorflow') {
    const b = tf.backend() as { isUsingGpuDevice?: boolean };
    return b.isUsingGpuDevice ? `${gpuName() ?? 'GPU (name unknown)'} (CUDA)` : CPU_LIBTENSORFLOW;
  }
  if (backend === 'wasm') {
    // tfjs's own wasm threads (1 in Node) or, once set higher, those our SIMD kernels split across.
    const threads = Math.max(getThreadsCount(), kernelThreads());
    let simd = false;
    try {
      simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    } catch {
      // An async flag not evaluated yet: only happens if someone else initialised wasm.
    }
    return `${describeCpu()} (wasm${simd ? ', SIMD' : ''}, ${threads} thread${threads === 1 ? '' : 's'})`;
  }
  return `${describeCpu()} (JavaScript)`;
}
