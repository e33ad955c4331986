// The SIMD kernels ship as a generated wasm module (src/main/trainer/backend/simd/); it must be
// what its generator makes today, or a change to wat.ts would silently not take effect.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED, compileKernels, generatedSource } from '../../scripts/build-simd-kernels';
import { kernelNames } from '../../src/main/trainer/backend/simd/wat';
import { KERNELS_WASM_BASE64 } from '../../src/main/trainer/backend/simd/kernels.generated';
import { webAssembly } from '../../src/main/trainer/backend/simd/webassembly';

describe('the SIMD kernels module', () => {
  it('is what wat.ts generates (run npm run build:simd after changing it)', async () => {
    expect(readFileSync(GENERATED, 'utf8')).toBe(generatedSource(await compileKernels()));
  });

  it('imports only a memory (defining none) and Math.exp / Math.log, and exports every kernel the drivers call', () => {
    const module = new webAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    expect(webAssembly.Module.imports(module)).toEqual([
      { module: 'env', name: 'memory', kind: 'memory' },
      { module: 'math', name: 'exp', kind: 'function' },
      { module: 'math', name: 'log', kind: 'function' },
    ]);
    const exports = webAssembly.Module.exports(module).map((e) => e.name);
    expect(exports.sort()).toEqual(kernelNames().sort());
    expect(exports).toContain('conv_c4_v2_t2'); // LeNet-5's first layer: 6 channels = 4 + 2
  });
});
