// Gradient registration. tfjs-core's Node bundle (its package "main") carries the ops but
// none of the gradient functions; those ship as ES modules that Node cannot load as they are
// (extensionless imports). The @tensorflow/tfjs bundle registers all of them against the one
// shared engine (tfjs-core keeps its registries on globalThis), so ../gradients.ts imports it
// for that side effect. This is the async entry for code that prefers to await it.
import { getGradient } from '@tensorflow/tfjs-core';

let loading: Promise<void> | undefined;

/** Registers tfjs-core's gradient functions once per process (a no-op if something already did). */
export function ensureGradients(): Promise<void> {
  loading ??= load();
  return loading;
}

async function load(): Promise<void> {
  if (getGradient('Conv2D') != null) return;
  await import('../gradients');
  if (getGradient('Conv2D') == null) {
    throw new Error(
      'Loading @tensorflow/tfjs registered no gradients: is it the same version as tfjs-core (4.22.0)?',
    );
  }
}
