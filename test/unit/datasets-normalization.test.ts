import { describe, expect, it } from 'vitest';
import { normalizationFor, toNormalizedFloat32 } from '../../src/main/datasets';

describe('normalizationFor', () => {
  it('uses the thesis’s constants for its datasets', () => {
    expect(normalizationFor('mnist', 1)).toEqual({ mean: [0.1307], std: [0.3081] });
    expect(normalizationFor('fashion-mnist', 1)).toEqual({ mean: [0.5], std: [0.5] });
    expect(normalizationFor('cifar10', 3)).toEqual({
      mean: [0.4914, 0.4822, 0.4465],
      std: [0.247, 0.243, 0.261],
    });
    expect(normalizationFor('cifar100', 3)).toEqual({
      mean: [0.5071, 0.4865, 0.4409],
      std: [0.267, 0.256, 0.276],
    });
  });

  it('recognises the usual spellings of an imported CIFAR', () => {
    expect(normalizationFor('CIFAR-10', 3).mean).toEqual([0.4914, 0.4822, 0.4465]);
    expect(normalizationFor('cifar_100', 3).mean).toEqual([0.5071, 0.4865, 0.4409]);
  });

  it('falls back to 0.5 / 0.5 per channel for anything else', () => {
    expect(normalizationFor('my-photos', 3)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(normalizationFor('cifar10-gray-ish', 1)).toEqual({ mean: [0.5], std: [0.5] });
  });

  it('refuses a known dataset with another channel count instead of guessing', () => {
    expect(() => normalizationFor('cifar10', 1)).toThrow(
      'dataset "cifar10" has 1 channel(s), but its normalisation constants are for 3',
    );
  });

  it('returns copies, so a caller cannot change the constants for everyone', () => {
    normalizationFor('mnist', 1).mean[0] = 99;
    expect(normalizationFor('mnist', 1).mean).toEqual([0.1307]);
  });
});

describe('toNormalizedFloat32', () => {
  it('computes (x / 255 − mean) / std on one channel', () => {
    const out = toNormalizedFloat32(Uint8Array.from([0, 128, 255]), normalizationFor('mnist', 1), 1);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out[0]).toBeCloseTo(-0.1307 / 0.3081, 6);
    expect(out[1]).toBeCloseTo((128 / 255 - 0.1307) / 0.3081, 6);
    expect(out[2]).toBeCloseTo((1 - 0.1307) / 0.3081, 6);
  });

  it('uses channel index % channels on HWC pixels', () => {
    const norm = normalizationFor('cifar10', 3);
    // Two pixels: (0, 128, 255) and (255, 0, 7).
    const bytes = Uint8Array.from([0, 128, 255, 255, 0, 7]);
    const out = toNormalizedFloat32(bytes, norm, 3);
    expect(out.length).toBe(6);
    bytes.forEach((x, i) => {
      const c = i % 3;
      expect(out[i]).toBeCloseTo((x / 255 - norm.mean[c]!) / norm.std[c]!, 6);
    });
  });

  it('maps [0, 255] onto [−1, 1] with 0.5 / 0.5', () => {
    expect(Array.from(toNormalizedFloat32(Uint8Array.from([0, 255]), normalizationFor('x', 1), 1))).toEqual([
      -1, 1,
    ]);
  });

  it('rejects constants for another channel count and bytes that are not whole pixels', () => {
    expect(() => toNormalizedFloat32(new Uint8Array(6), normalizationFor('mnist', 1), 3)).toThrow(
      'normalisation has 1 mean(s) and 1 std(s) for 3 channel(s)',
    );
    expect(() => toNormalizedFloat32(new Uint8Array(7), normalizationFor('cifar10', 3), 3)).toThrow(
      '7 bytes are not whole pixels of 3 channel(s)',
    );
  });
});
