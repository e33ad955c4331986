// The WebGPU adapter under the webgpu backend: Dawn's dawn.node (npm `webgpu`), loaded at run
// time so that a machine where it cannot load still trains on wasm. Finds the Vulkan loader and,
// for tests on machines without a GPU, SwiftShader (Vulkan on the CPU, shipped by Chromium), and
// tells a real GPU from a software adapter. Imports no tfjs package.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';

export const WEBGPU_PACKAGE = 'webgpu';

/** What Dawn says about an adapter (GPUAdapterInfo, plus isFallbackAdapter where Dawn has it). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

export interface ProbedAdapter {
  /** The GPUAdapter itself (typed loosely: the trainer does not depend on @webgpu/types). */
  adapter: { info: AdapterInfoLike; requestDevice(descriptor?: object): Promise<unknown> } & Record<
    string,
    unknown
  >;
  info: AdapterInfoLike;
  /** SwiftShader, llvmpipe, lavapipe, WARP, or whatever Dawn marks as a fallback adapter. */
  software: boolean;
  /** For a person: "NVIDIA H200 (Vulkan, driver NVIDIA: 550.54.15)". */
  description: string;
}

export type ProbeResult = { ok: true; probed: ProbedAdapter } | { ok: false; why: string; problem: string };

/** Where Chromium packages put SwiftShader's Vulkan ICD (Debian, Fedora, Ubuntu's snap, Chrome). */
const SWIFTSHADER_ICD_PLACES = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
  '/snap/chromium/current/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

/**
 * SwiftShader's ICD manifest on this machine, or null: ANNEALAB_SWIFTSHADER_ICD, else the places
 * Chromium packages use, else whatever dpkg knows of.
 */
export function findSwiftShaderIcd(env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env.ANNEALAB_SWIFTSHADER_ICD;
  if (given) return existsSync(given) ? given : null;
  const known = SWIFTSHADER_ICD_PLACES.find((p) => existsSync(p));
  if (known) return known;
  try {
    const out = execFileSync('dpkg', ['-S', 'vk_swiftshader_icd.json'], {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const path = out
      .split('\n')
      .map((line) => line.split(': ')[1]?.trim())
      .find((p): p is string => !!p && existsSync(p));
    return path ?? null;
  } catch {
    return null;
  }
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/i;

export function isSoftwareAdapter(info: AdapterInfoLike): boolean {
  if (info.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.device, info.description].some(
    (s) => !!s && SOFTWARE_NAMES.test(s),
  );
}

/** The graphics API Dawn drives on this platform (its default backend). */
function graphicsApi(): string {
  if (process.platform === 'darwin') return 'Metal';
  if (process.platform === 'win32') return 'D3D12';
  return 'Vulkan';
}

export function describeAdapter(info: AdapterInfoLike): string {
  const api = graphicsApi();
  if (isSoftwareAdapter(info)) {
    const name = /swiftshader/i.test(`${info.architecture} ${info.description}`)
      ? 'SwiftShader'
      : 'software adapter';
    return `${name} (${api} on the CPU${info.description ? `, ${info.description}` : ''})`;
  }
  const name = info.device || info.description || info.vendor || 'GPU (name unknown)';
  const driver = info.description && info.description !== name ? `, driver ${info.description}` : '';
  return `${name} (${api}${driver})`;
}

// ---------------------------------------------------------------------------------------------
// The Vulkan loader. Dawn opens libvulkan.so.1 by name; a machine with a GPU driver has it, but
// on a CPU-only machine the only copy may be Chromium's, beside SwiftShader, where the dynamic
// linker does not look. A library already loaded under that soname is what dlopen returns, so
// load Chromium's by its path first and keep it loaded (RTLD_NODELETE: node's process.dlopen
// closes what is not a node module).

const RTLD_NODELETE = 0x1000; // glibc; os.constants.dlopen does not list it

/** True when libvulkan.so.1 is loaded or loadable; tries the places beside known ICDs. */
export function ensureVulkanLoader(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux') return true;
  const { RTLD_NOW, RTLD_GLOBAL } = os.constants.dlopen as Record<string, number>;
  const tryOpen = (path: string): boolean => {
    try {
      process.dlopen({ exports: {} }, path, (RTLD_NOW ?? 2) | (RTLD_GLOBAL ?? 256) | RTLD_NODELETE);
      return true; // not reached: libvulkan is no node module
    } catch (error) {
      // "did not self-register" means dlopen found and loaded it, which is all that is needed.
      return error instanceof Error && /self-register/.test(error.message);
    }
  };
  if (tryOpen('libvulkan.so.1')) return true;
  const dirs = new Set<string>();
  if (env.ANNEALAB_VULKAN_LOADER_DIR) dirs.add(env.ANNEALAB_VULKAN_LOADER_DIR);
  for (const icd of (env.VK_ICD_FILENAMES ?? '').split(':').filter(Boolean)) dirs.add(dirname(icd));
  for (const p of SWIFTSHADER_ICD_PLACES) dirs.add(dirname(p));
  for (const dir of dirs) {
    const candidate = join(dir, 'libvulkan.so.1');
    if (existsSync(candidate) && tryOpen(candidate)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

type WebgpuModule = { create(options: string[]): GpuLike; globals: Record<string, unknown> };
type GpuLike = { requestAdapter(options?: object): Promise<ProbedAdapter['adapter'] | null> };

let gpu: GpuLike | null = null;
/** The drivers `gpu` was created with: Vulkan reads VK_ICD_FILENAMES when an instance is made. */
let gpuDrivers: string | undefined;

/**
 * The best adapter Dawn offers (high-performance), loading dawn.node on first use. With
 * `softwareFallback` and no adapter at all, tries once more with SwiftShader's ICD when the
 * machine has one and VK_ICD_FILENAMES does not already choose the drivers.
 */
export async function probeAdapter(
  softwareFallback: boolean,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProbeResult> {
  let mod: WebgpuModule;
  try {
    // A variable specifier: loaded at run time, never resolved by a bundler into the trainer.
    const specifier = WEBGPU_PACKAGE;
    mod = (await import(specifier)) as WebgpuModule;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      ok: false,
      why: `webgpu: Dawn (npm ${WEBGPU_PACKAGE}) failed to load (${message})`,
      problem: `The webgpu backend needs Dawn's dawn.node (npm ${WEBGPU_PACKAGE}), which failed to load: ${message}. Reinstall with \`npm ci\`, or choose another backend: --backend wasm.`,
    };
  }
  // The Vulkan loader wants a runtime dir; a service started without a login session has none.
  if (!env.XDG_RUNTIME_DIR) {
    const dir = join(os.tmpdir(), `annealab-xdg-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    env.XDG_RUNTIME_DIR = dir;
  }
  const loader = ensureVulkanLoader(env);
  // tfjs-backend-webgpu uses the GPUBufferUsage, GPUMapMode, … constants as globals.
  for (const [name, value] of Object.entries(mod.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  let adapter = await requestAdapter(mod, env);
  let swiftShader: string | null = null;
  if (adapter === null && softwareFallback && !env.VK_ICD_FILENAMES) {
    swiftShader = findSwiftShaderIcd(env);
    if (swiftShader) {
      env.VK_ICD_FILENAMES = swiftShader;
      ensureVulkanLoader(env);
      adapter = await requestAdapter(mod, env);
    }
  }
  if (adapter === null) {
    const why = !loader
      ? 'webgpu: no Vulkan loader (libvulkan.so.1) on this machine'
      : 'webgpu: no GPU adapter (no Vulkan driver Dawn accepts)';
    const icd = findSwiftShaderIcd(env);
    return {
      ok: false,
      why,
      problem:
        `${why.replace(/^webgpu: /, 'The webgpu backend found ')}. On a GPU machine install the GPU's Vulkan driver ` +
        '(and libvulkan1); `vulkaninfo --summary` should list the GPU. Without a GPU, SwiftShader (from the chromium ' +
        `package) serves for tests: ${icd ? `VK_ICD_FILENAMES=${icd}` : 'install chromium, then set VK_ICD_FILENAMES to its vk_swiftshader_icd.json'}. ` +
        'Or choose another backend: --backend wasm.',
    };
  }
  const info: AdapterInfoLike = adapter.info ?? {};
  return {
    ok: true,
    probed: { adapter, info, software: isSoftwareAdapter(info), description: describeAdapter(info) },
  };
}

async function requestAdapter(
  mod: WebgpuModule,
  env: NodeJS.ProcessEnv,
): Promise<ProbedAdapter['adapter'] | null> {
  // A new instance when the drivers asked for changed: an old one keeps the drivers it found.
  if (gpu === null || gpuDrivers !== env.VK_ICD_FILENAMES) {
    gpu = mod.create([]);
    gpuDrivers = env.VK_ICD_FILENAMES;
  }
  try {
    return await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return null;
  }
}

/** The GPU object the adapter came from (tfjs-backend-webgpu checks navigator.gpu exists). */
export function activeGpu(): unknown {
  return gpu;
}
