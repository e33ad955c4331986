// What the hosts predict about backends without loading TensorFlow.js or Dawn: whether auto would
// find a real GPU for webgpu, and the default concurrency that follows (one run per GPU adapter).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuAdapterPredicted, tfjsNodeGpuEntry } from '../../src/main/trainer/backend/backend-request';
import { defaultConcurrency } from '../../src/main/services/concurrency';

const dir = mkdtempSync(join(tmpdir(), 'annealab-icd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function manifest(name: string, library: string): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library } }));
  return file;
}

describe('gpuAdapterPredicted', () => {
  const nvidia = manifest('nvidia_icd.json', 'libGLX_nvidia.so.0');
  const swiftshader = manifest('vk_swiftshader_icd.json', './libvk_swiftshader.so');
  const lavapipe = manifest('lvp_icd.x86_64.json', '/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so');

  it('sees a GPU driver among the ICDs Vulkan is pointed at', () => {
    expect(gpuAdapterPredicted({ VK_ICD_FILENAMES: nvidia }, 'linux')).toBe(true);
    expect(gpuAdapterPredicted({ VK_ICD_FILENAMES: `${swiftshader}:${nvidia}` }, 'linux')).toBe(true);
  });

  it('does not count software drivers, missing files or broken manifests', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(gpuAdapterPredicted({ VK_ICD_FILENAMES: `${swiftshader}:${lavapipe}` }, 'linux')).toBe(false);
    expect(gpuAdapterPredicted({ VK_ICD_FILENAMES: `${broken}:${join(dir, 'absent.json')}` }, 'linux')).toBe(
      false,
    );
  });

  it('takes macOS (Metal) and Windows (D3D12) to have a GPU driver', () => {
    expect(gpuAdapterPredicted({}, 'darwin')).toBe(true);
    expect(gpuAdapterPredicted({}, 'win32')).toBe(true);
  });
});

describe('defaultConcurrency', () => {
  const cores = Math.max(1, availableParallelism());

  it('runs one at a time on a GPU backend and one per core on wasm and cpu', () => {
    expect(defaultConcurrency('webgpu', () => false)).toBe(1);
    expect(defaultConcurrency('tensorflow', () => false)).toBe(1);
    expect(defaultConcurrency('wasm', () => true)).toBe(cores);
    expect(defaultConcurrency('cpu', () => true)).toBe(cores);
  });

  it('auto: one run when a GPU adapter is predicted, else one per core (unless tfjs-node-gpu is installed)', () => {
    expect(defaultConcurrency('auto', () => true)).toBe(1);
    expect(defaultConcurrency('auto', () => false)).toBe(tfjsNodeGpuEntry() !== null ? 1 : cores);
  });
});
