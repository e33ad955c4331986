// The SIMD kernels ship as a generated wasm module (src/main/trainer/backend/simd/); it must be
// what its generator makes today, or a change to wat.ts would silently not take effect.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED, compileKernels, generatedSource } from '../../scripts/build-simd-kernels';
import {
  filterGradName,
  inputGradName,
  LANES,
  MAX_INPUT_VECTORS,
  MAX_ROWS,
  MAX_VECTORS,
} from '../../src/main/trainer/backend/simd/wat';
import { KERNELS_WASM_BASE64 } from '../../src/main/trainer/backend/simd/kernels.generated';
import { webAssembly } from '../../src/main/trainer/backend/simd/webassembly';

describe('the SIMD kernels module', () => {
  it('is what wat.ts generates (run npm run build:simd after changing it)', async () => {
    expect(readFileSync(GENERATED, 'utf8')).toBe(generatedSource(await compileKernels()));
  });

  it('imports only a memory, defines none, and exports every kernel the drivers may call', () => {
    const module = new webAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    expect(webAssembly.Module.imports(module)).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    const exports = webAssembly.Module.exports(module).map((e) => e.name);
    const expected: string[] = [];
    for (let rows = 1; rows <= MAX_ROWS; rows++) {
      for (let vectors = 1; vectors <= MAX_VECTORS; vectors++) {
        for (let tail = 0; tail < LANES; tail++) expected.push(filterGradName(rows, vectors, tail));
      }
    }
    for (let vectors = 1; vectors <= MAX_INPUT_VECTORS; vectors++) expected.push(inputGradName(vectors));
    expect(exports.sort()).toEqual(expected.sort());
  });
});
