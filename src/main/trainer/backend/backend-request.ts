// Which backend a run asks for, and whether tfjs-node-gpu is installed: what the hosts need to
// know about backends (the queue's default concurrency, the System view) without loading
// TensorFlow.js. Imports no tfjs package, so hosts may import it (eslint.config.js checks).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BACKEND_IDS } from '../../../shared/ids';
import type { BackendRequest } from '../../../shared/ids';

/** Where a backend request came from, for the reason text. */
export type BackendRequestSource = 'flag' | 'env' | 'spec' | 'default';

export interface ResolvedBackendRequest {
  request: BackendRequest;
  source: BackendRequestSource;
}

export const BACKEND_ENV = 'ANNEALAB_BACKEND';
export const TFJS_NODE_GPU = '@tensorflow/tfjs-node-gpu';
export const BACKEND_REQUESTS: readonly string[] = ['auto', ...BACKEND_IDS];
const REQUESTS = BACKEND_REQUESTS;

/**
 * Which backend to ask for: the command-line flag, else ANNEALAB_BACKEND, else the spec's
 * `backend`, else 'auto'. Empty values count as absent; anything else that is not a backend id
 * or 'auto' is an error naming where it came from.
 */
export function resolveBackendRequest(
  specValue?: string | null,
  flagValue?: string | null,
  env: Record<string, string | undefined> = process.env,
): ResolvedBackendRequest {
  const candidates: [string | null | undefined, BackendRequestSource, string][] = [
    [flagValue, 'flag', '--backend'],
    [env[BACKEND_ENV], 'env', BACKEND_ENV],
    [specValue, 'spec', 'the spec’s "backend"'],
  ];
  for (const [raw, source, where] of candidates) {
    const value = raw?.trim().toLowerCase();
    if (!value) continue;
    if (!REQUESTS.includes(value)) {
      throw new Error(`${where} is "${raw}", which is not a backend: use one of ${REQUESTS.join(', ')}.`);
    }
    return { request: value as BackendRequest, source };
  }
  return { request: 'auto', source: 'default' };
}

/** Where @tensorflow/tfjs-node-gpu resolves, or null when it is not installed. Loads nothing. */
export function tfjsNodeGpuEntry(): string | null {
  try {
    return createRequire(import.meta.url).resolve(TFJS_NODE_GPU);
  } catch {
    return null;
  }
}

/** Where the Vulkan loader looks for drivers (ICD manifests) on Linux. */
const VULKAN_ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
const SOFTWARE_ICD = /swiftshader|lvp|lavapipe|llvmpipe|mock/i;

/**
 * Whether auto would find a real GPU for webgpu, predicted without loading Dawn (the hosts must
 * stay light): on Linux, a Vulkan driver manifest that is not a software one (SwiftShader,
 * lavapipe) among VK_ICD_FILENAMES or the loader's directories; on macOS (Metal) and Windows
 * (D3D12) every machine has a GPU driver. A run records what it really got.
 */
export function gpuAdapterPredicted(
  env: Record<string, string | undefined> = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  const chosen = (env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES ?? '').split(':').filter(Boolean);
  const manifests = chosen.length > 0 ? chosen : VULKAN_ICD_DIRS.flatMap(listJson);
  return manifests.some((file) => {
    try {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } };
      const library = manifest.ICD?.library_path ?? '';
      return library !== '' && !SOFTWARE_ICD.test(`${file} ${library}`);
    } catch {
      return false;
    }
  });
}

function listJson(dir: string): string[] {
  if (!existsSync(dir)) return [];
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}
