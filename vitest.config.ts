// The test pyramid, as vitest projects run one group after another (`npm test` runs them all):
//   unit         fast checks of one module, files in parallel: the inner loop (`npm run test:unit`)
//   numerics     gradient checks, kernels, golden numbers, networks agreeing across backends: the
//                slow numerical files, one at a time (each loads wasm and keeps both cores busy)
//   integration  the real CLI, web host, trainers and SQLite files, one file at a time
//   e2e          the built app in a real browser (Playwright), one file at a time
// A new file under test/unit lands in `unit` unless it is listed (or named) here as numerics.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** Numerical files under test/unit (kept there so that paths and imports stay as they are). */
const NUMERICS = [
  'test/unit/gradcheck.test.ts',
  'test/unit/kernels-*.test.ts',
  'test/unit/networks.test.ts',
  'test/unit/networks-backends.test.ts',
  'test/unit/batchnorm.test.ts',
  'test/unit/perf-backprop.test.ts',
  'test/unit/perf-normals.test.ts',
  'test/unit/golden.test.ts',
  'test/unit/sgd-update.test.ts',
  'test/unit/ssa-moves.test.ts',
  'test/unit/simd-module.test.ts',
  // Every network and method on SwiftShader (Vulkan on the CPU): minutes of one core.
  'test/unit/webgpu-backend.test.ts',
  'test/unit/snapshot-ensemble.test.ts',
  'test/unit/weights-file.test.ts',
  // Room for new ones without editing this list.
  'test/numerics/**/*.test.ts',
  'test/unit/**/*.numerics.test.ts',
];

/** One file at a time: these start processes or fill both cores on their own. */
const oneFileAtATime = { fileParallelism: false } as const;

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Builds out/node (the CLI, the trainer, the bench worker) once per project that runs.
    globalSetup: ['test/setup/build-node.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: NUMERICS,
          // Two cores on the machines this runs on: both, even though vitest would keep one free.
          maxWorkers: Math.max(2, availableParallelism()),
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'numerics', include: NUMERICS, ...oneFileAtATime, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          ...oneFileAtATime,
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          ...oneFileAtATime,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
