// Gradient registration. tfjs-core's Node bundle (its package "main", which Node and tsx load)
// carries the ops but none of the gradient functions: those ship only as ES modules under
// dist/, registered by dist/register_all_gradients.js (the @tensorflow/tfjs union package imports
// it; we depend on tfjs-core alone). Loading that file pulls in tfjs-core's ESM tree next to the
// Node bundle; both share one engine and one kernel/gradient registry through globalThis, which
// tfjs-core designs for, so the gradients it registers apply to the tensors our code makes.
//
// One snag: dist/base.js imports './gradients', which is both a file (gradients.js) and a
// directory, and Node's ESM resolver (under tsx too) refuses the directory. A resolve hook,
// scoped to tfjs-core's own relative imports, retries such a specifier with '.js'.

import { getGradient } from '@tensorflow/tfjs-core';

const HOOK = `
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (
      error && error.code === 'ERR_UNSUPPORTED_DIR_IMPORT' && specifier.startsWith('.') &&
      typeof context.parentURL === 'string' && context.parentURL.includes('/@tensorflow/tfjs-core/')
    ) {
      return nextResolve(specifier + '.js', context);
    }
    throw error;
  }
}`;

let loading: Promise<void> | undefined;

/** Registers tfjs-core's gradient functions once per process (a no-op if something already did). */
export function ensureGradients(): Promise<void> {
  loading ??= load();
  return loading;
}

async function load(): Promise<void> {
  // @tensorflow/tfjs (pulled in by tfjs-node-gpu) registers them itself.
  if (getGradient('Conv2D') != null) return;
  const { register } = await import('node:module');
  if (typeof register === 'function') {
    register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
  }
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  if (getGradient('Conv2D') == null) {
    throw new Error('Loading tfjs-core/dist/register_all_gradients.js registered no gradients.');
  }
}
