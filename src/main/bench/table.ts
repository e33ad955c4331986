// The bench's lines and its table: plain data and a pure function, shared by `annealab bench`
// and scripts/gpu-check (which runs the workers itself, from bundles).

export interface BenchLine {
  type: 'bench';
  model: string;
  backend: string;
  device: string;
  batchSize: number;
  /** The images' shape, "32x32x3". */
  input?: string;
  trainImagesPerSec: number;
  forwardImagesPerSec: number;
  peakRssMb: number;
  /** Threads of the SIMD kernels in each process (wasm rows; absent elsewhere). */
  threads?: number;
  /** Processes measured at once (aggregate throughput when > 1). */
  processes?: number;
  methods?: Record<string, { minibatchesPerSec: number; overheadPct: number }>;
  /** Where SSA and SGD-SA took their Metropolis decision in the method rows (host or device). */
  metropolis?: string;
}

/**
 * The bench table: one row per measurement, with ratios to PyTorch's row of the same model and
 * the same number of processes at once.
 */
export function benchTable(lines: readonly BenchLine[]): string {
  const key = (l: BenchLine) => `${l.model}/${l.processes ?? 1}`;
  const torch = new Map(lines.filter((l) => l.backend === 'pytorch').map((l) => [key(l), l]));
  const head = [
    'model',
    'backend',
    'threads',
    'procs',
    'train img/s',
    '× torch',
    'forward img/s',
    '× torch',
    'peak RSS MB',
    '× torch',
  ];
  const rows = lines.map((l) => {
    const t = torch.get(key(l));
    const ratio = (a: number, b?: number) => (b && l.backend !== 'pytorch' ? (a / b).toFixed(2) : '');
    return [
      l.model,
      l.backend,
      l.threads === undefined ? '' : String(l.threads),
      String(l.processes ?? 1),
      l.trainImagesPerSec.toFixed(0),
      ratio(l.trainImagesPerSec, t?.trainImagesPerSec),
      l.forwardImagesPerSec.toFixed(0),
      ratio(l.forwardImagesPerSec, t?.forwardImagesPerSec),
      l.peakRssMb.toFixed(0),
      ratio(l.peakRssMb, t?.peakRssMb),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [fmt(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(fmt)];
  const withMethods = lines.filter((l) => l.methods);
  if (withMethods.length > 0) {
    out.push('', 'minibatches/s per method (overhead beyond the passes the method needs)');
    for (const l of withMethods) {
      const m = Object.entries(l.methods!)
        .map(
          ([id, v]) =>
            `${id} ${v.minibatchesPerSec.toFixed(1)} (${v.overheadPct >= 0 ? '+' : ''}${v.overheadPct.toFixed(0)}%)`,
        )
        .join('  ');
      out.push(
        `${l.model} on ${l.backend}: ${m}${l.metropolis ? ` (Metropolis on the ${l.metropolis})` : ''}`,
      );
    }
  }
  return out.join('\n');
}
