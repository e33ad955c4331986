// How many runs execute in parallel when nothing says otherwise: one per core on wasm/cpu, one
// per GPU adapter on a GPU: tensorflow, webgpu (Dawn hands every run the same high-performance
// adapter), or auto where tfjs-node-gpu is installed or a GPU's Vulkan driver is (auto takes it).
import { availableParallelism } from 'node:os';
import {
  gpuAdapterPredicted,
  tfjsNodeGpuEntry,
  type ResolvedBackendRequest,
} from '../trainer/backend/backend-request';

export function defaultConcurrency(
  request: ResolvedBackendRequest['request'],
  gpuPredicted: () => boolean = gpuAdapterPredicted,
): number {
  const cores = Math.max(1, availableParallelism());
  if (request === 'wasm' || request === 'cpu') return cores;
  if (request === 'tensorflow' || request === 'webgpu') return 1;
  return tfjsNodeGpuEntry() !== null || gpuPredicted() ? 1 : cores;
}
