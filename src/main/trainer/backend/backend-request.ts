// Which backend a run asks for, and whether tfjs-node-gpu is installed: what the hosts need to
// know about backends (the queue's default concurrency, the System view) without loading
// TensorFlow.js. Imports no tfjs package, so hosts may import it (eslint.config.js checks).
import { createRequire } from 'node:module';
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
