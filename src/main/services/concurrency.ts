// How many runs execute in parallel when nothing says otherwise: one per core on wasm/cpu, one
// at a time on a GPU (tensorflow, or auto where tfjs-node-gpu is installed).
import { availableParallelism } from 'node:os';
import { tfjsNodeGpuEntry, type ResolvedBackendRequest } from '../trainer/backend/backend-request';

export function defaultConcurrency(request: ResolvedBackendRequest['request']): number {
  const cores = Math.max(1, availableParallelism());
  if (request === 'wasm' || request === 'cpu') return cores;
  if (request === 'tensorflow') return 1;
  return tfjsNodeGpuEntry() !== null ? 1 : cores;
}
