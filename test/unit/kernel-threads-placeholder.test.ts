// The contract of kernel-threads.ts that the rest relies on, checked on the placeholder: the
// lead's implementation replaces the module (and may replace this file with its own tests).
import { afterEach, describe, expect, it } from 'vitest';
import { kernelThreads, setKernelThreads } from '../../src/main/trainer/backend/kernel-threads';

describe('kernel-threads (placeholder)', () => {
  afterEach(() => setKernelThreads(1));

  it('starts at one thread and reports what was set', async () => {
    expect(kernelThreads()).toBe(1);
    await setKernelThreads(3);
    expect(kernelThreads()).toBe(3);
  });

  it('refuses what is not a whole number ≥ 1 and keeps the last good count', async () => {
    await setKernelThreads(2);
    for (const bad of [0, -1, 1.5, Number.NaN])
      await expect(setKernelThreads(bad)).rejects.toThrow(/integer ≥ 1/);
    expect(kernelThreads()).toBe(2);
  });
});
