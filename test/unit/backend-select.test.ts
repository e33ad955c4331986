import * as tf from '@tensorflow/tfjs-core';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_ENV,
  describeCpu,
  describeDevice,
  initBackend,
  resolveBackendRequest,
} from '../../src/main/trainer/backend/select';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function tfjsNodeGpuInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}

describe('resolveBackendRequest', () => {
  const env = (value?: string) => ({ [BACKEND_ENV]: value });

  it('takes the flag over the environment over the spec over auto', () => {
    expect(resolveBackendRequest('cpu', 'wasm', env('tensorflow'))).toEqual({
      request: 'wasm',
      source: 'flag',
    });
    expect(resolveBackendRequest('cpu', undefined, env('tensorflow'))).toEqual({
      request: 'tensorflow',
      source: 'env',
    });
    expect(resolveBackendRequest('cpu', undefined, env())).toEqual({ request: 'cpu', source: 'spec' });
    expect(resolveBackendRequest(undefined, undefined, env())).toEqual({
      request: 'auto',
      source: 'default',
    });
    expect(resolveBackendRequest('wasm', 'auto', env('cpu'))).toEqual({ request: 'auto', source: 'flag' });
  });

  it('treats empty values as absent and ignores case and spaces', () => {
    expect(resolveBackendRequest('wasm', '', env('  '))).toEqual({ request: 'wasm', source: 'spec' });
    expect(resolveBackendRequest(null, null, env(' CPU '))).toEqual({ request: 'cpu', source: 'env' });
  });

  it('rejects an unknown value, naming where it came from and what is allowed', () => {
    expect(() => resolveBackendRequest('cpu', undefined, env('gpu'))).toThrow(
      /ANNEALAB_BACKEND is "gpu".*auto, tensorflow, webgpu, wasm, cpu/,
    );
    expect(() => resolveBackendRequest('cpu', 'webgl', env())).toThrow(/--backend is "webgl"/);
    expect(() => resolveBackendRequest('cuda', undefined, env())).toThrow(/spec.*"cuda"/);
  });

  it('reads process.env by default', () => {
    const saved = process.env[BACKEND_ENV];
    process.env[BACKEND_ENV] = 'cpu';
    try {
      expect(resolveBackendRequest('wasm')).toEqual({ request: 'cpu', source: 'env' });
    } finally {
      if (saved === undefined) delete process.env[BACKEND_ENV];
      else process.env[BACKEND_ENV] = saved;
    }
  });
});

describe('initBackend', () => {
  it('wasm: activates it, says why, and takes Emscripten’s process listeners off again', async () => {
    const before = ['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
    const info = await initBackend('wasm');
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.reason).toMatch(/requested/);
    expect(info.device).toContain(describeCpu());
    expect(info.device).toMatch(/wasm/);
    expect(info.versions).toEqual({ tfjs: tf.version_core, backend: '@tensorflow/tfjs-backend-wasm 4.22.0' });
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getGradient('Conv2D')).toBeDefined();
    expect(['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e))).toEqual(before);
  });

  it('cpu: activates it and says why', async () => {
    const info = await initBackend({ request: 'cpu', source: 'env' });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(info.reason).toBe('requested by ANNEALAB_BACKEND (cpu)');
    expect(info.device).toContain(describeCpu());
    expect(info.versions.backend).toBe('@tensorflow/tfjs-backend-cpu 4.22.0');
    expect(describeDevice()).toBe(info.device);
    // Gradients work on whichever backend is chosen.
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
  });

  it.skipIf(tfjsNodeGpuInstalled())('tensorflow: throws saying what is missing and what to do', async () => {
    const attempt = initBackend('tensorflow');
    await expect(attempt).rejects.toThrow(/@tensorflow\/tfjs-node-gpu.*not installed/);
    await expect(attempt).rejects.toThrow(/npm install @tensorflow\/tfjs-node-gpu/);
    await expect(attempt).rejects.toThrow(/CUDA 11\.2 and cuDNN 8\.1/);
  });

  it.skipIf(tfjsNodeGpuInstalled())(
    'auto: without tfjs-node-gpu, takes webgpu on a GPU, else wasm, and says why',
    async () => {
      const info = await initBackend('auto');
      const tfjsNodeGpu = 'auto: @tensorflow/tfjs-node-gpu is not installed (optional dependency); ';
      if (info.backend === 'webgpu') {
        // A machine with a GPU and its Vulkan driver.
        expect(info.reason).toMatch(new RegExp(`^${escape(tfjsNodeGpu)}using webgpu: .+ \\(Vulkan`));
        expect(info.device).not.toMatch(/SwiftShader|llvmpipe/);
      } else {
        expect(info.backend).toBe('wasm');
        // No adapter, or only a software one (SwiftShader, when VK_ICD_FILENAMES points at it).
        expect(info.reason).toMatch(new RegExp(`^${escape(tfjsNodeGpu)}webgpu: [^;]+; using wasm$`));
      }
    },
  );

  it('webgpu without any Vulkan driver Dawn accepts: throws saying what to install', async () => {
    // An ICD list naming nothing that exists: Vulkan finds no driver, and the explicit request
    // must not quietly use SwiftShader either (VK_ICD_FILENAMES is the user's choice).
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = '/nonexistent/icd.json';
    try {
      const attempt = initBackend('webgpu');
      await expect(attempt).rejects.toThrow(/webgpu backend found no (GPU adapter|Vulkan loader)/);
      await expect(attempt).rejects.toThrow(/Vulkan driver/);
      await expect(attempt).rejects.toThrow(/--backend wasm/);
    } finally {
      if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
      else process.env.VK_ICD_FILENAMES = saved;
    }
  });

  it('rejects an unknown request', async () => {
    await expect(initBackend('gpu' as never)).rejects.toThrow(/Unknown backend "gpu"/);
  });

  // Vitest resolves and transforms modules itself; the CLI, the trainers and the bench workers
  // run built (out/node) under plain node and Node's own resolver, where the gradients must still
  // register and the wasm binary must be found from any working directory. The bench worker
  // trains LeNet-5's conv layers there.
  it('works built, under plain node, from another working directory: wasm trains a conv net', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'annealab-backend-'));
    try {
      const job = {
        model: 'lenet5',
        backend: 'wasm',
        batchSize: 4,
        repeats: 1,
        minSeconds: 0,
        methods: false,
      };
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.join(root, 'out/node/bench-worker.mjs'), JSON.stringify(job)],
        { cwd: dir, timeout: 60_000 },
      );
      const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(result).toMatchObject({ type: 'bench', model: 'lenet5', backend: 'wasm', batchSize: 4 });
      expect(result.trainImagesPerSec).toBeGreaterThan(0);
      expect(result.forwardImagesPerSec).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
