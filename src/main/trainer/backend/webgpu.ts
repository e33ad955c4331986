// The webgpu backend: @tensorflow/tfjs-backend-webgpu on the adapter webgpu-adapter.ts chose.
// Both packages are loaded at run time. tfjs-backend-webgpu registers its own factory only when
// navigator.gpu exists as it is imported, and that factory asks for an adapter of its own; this
// registers one on the adapter already probed instead, so the adapter checked is the one used.
//
// In Node, synchronous reads (dataSync, arraySync) throw on this backend: tfjs-backend-webgpu
// implements them with OffscreenCanvas. The training loop reads asynchronously throughout.
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { activeGpu, type ProbedAdapter } from './webgpu-adapter';

const BACKEND_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

type WebgpuBackendModule = {
  WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
};

export type ActivateResult = { ok: true; version: string } | { ok: false; problem: string };

/** Creates the device on `probed`'s adapter and makes 'webgpu' the active tfjs backend. */
export async function activateWebgpu(probed: ProbedAdapter): Promise<ActivateResult> {
  let mod: WebgpuBackendModule;
  try {
    // A literal specifier: a bundler may include it (scripts/gpu-check does), and without one it
    // still loads only here, when webgpu is tried.
    mod = (await import('@tensorflow/tfjs-backend-webgpu')) as unknown as WebgpuBackendModule;
  } catch (error) {
    return { ok: false, problem: `${BACKEND_PACKAGE} failed to load: ${String(error)}` };
  }
  const { adapter } = probed;
  // The same device request as tfjs-backend-webgpu's own factory: its kernels size their
  // workgroups and buffers from these limits.
  const limits = adapter.limits as Record<string, number>;
  const features = adapter.features as Set<string>;
  let device: unknown;
  try {
    device = await adapter.requestDevice({
      requiredFeatures: ['timestamp-query'].filter((f) => features.has(f)),
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
  } catch (error) {
    return { ok: false, problem: `the adapter ${probed.description} refused a device: ${String(error)}` };
  }
  // WebGPUBackend's constructor checks navigator.gpu; Node ≤ 20 has no navigator at all.
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) g.navigator = {};
  if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: activeGpu(), configurable: true });
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new mod.WebGPUBackend(device, probed.info));
  try {
    if (!(await tf.setBackend('webgpu')))
      return { ok: false, problem: 'its initialisation failed (see the warning above)' };
  } catch (error) {
    return { ok: false, problem: String(error) };
  }
  return { ok: true, version: packageVersion() };
}

/** Its node build exports no version constant. */
function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)(`${BACKEND_PACKAGE}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
