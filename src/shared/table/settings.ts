// What defines a run besides its seed, for the comparison: the spec's run settings in the
// order labels name them, the backend class, and one key per configuration. Runs with equal
// keys (and only those) are the same experiment but for their seed, and may be averaged.
import type { RunResult } from '../results';
import type { MethodSpec } from '../spec';

/** CPU-class backends (cpu, wasm) against GPU ones: their numbers differ in float rounding and speed. */
export type BackendClass = 'cpu' | 'gpu';

export function backendClassOf(backend: string | null | undefined, device?: string): BackendClass | null {
  if (!backend || backend === 'auto') return null;
  // tfjs-node-gpu without a usable GPU runs libtensorflow on the CPU ("CPU (libtensorflow)").
  if (device?.startsWith('CPU')) return 'cpu';
  return backend === 'cpu' || backend === 'wasm' ? 'cpu' : 'gpu';
}

/** The class of the backend that ran a run, else of the one its spec asked for. */
export function runBackendClass(run: RunResult): BackendClass | null {
  return run.environment
    ? backendClassOf(run.environment.backend, run.environment.device)
    : backendClassOf(run.config?.backend);
}

const count = (n: number) => n.toLocaleString('en-US');
const onOff = (b: unknown) => (b ? 'on' : 'off');

/**
 * The run settings a comparison keeps apart, in the order a label names them. `value` is
 * undefined where a hand-built result has no config: it then matches every value.
 * exactTrainLoss is not here: it adds a measurement and changes no number of the table.
 */
export const SETTINGS: {
  name: string;
  value: (r: RunResult, backend: BackendClass | null) => unknown;
  print: (v: unknown) => string;
}[] = [
  { name: 'epochs', value: (r) => r.config?.epochs, print: (v) => count(v as number) },
  {
    name: 'train',
    value: (r) => (r.config ? r.config.dataset.trainSize : undefined),
    print: (v) => (v === null ? 'all' : count(v as number)),
  },
  {
    name: 'test',
    value: (r) => (r.config ? r.config.dataset.testSize : undefined),
    print: (v) => (v === null ? 'all' : count(v as number)),
  },
  { name: 'subset seed', value: (r) => r.config?.dataset.seed, print: String },
  { name: 'batch', value: (r) => r.config?.batchSize ?? r.batchSize, print: (v) => count(v as number) },
  { name: 'drop last', value: (r) => r.config?.dropLast, print: onOff },
  { name: 'estimate batches', value: (r) => r.config?.estimateBatches, print: String },
  { name: 'augmentation', value: (r) => r.config?.augment, print: onOff },
  { name: 'init', value: (r) => r.config?.init, print: String },
  { name: 'backend', value: (_r, b) => b ?? undefined, print: (v) => (v === 'gpu' ? 'GPU' : 'CPU') },
];

/** Stable text of a value, object keys sorted, so equal settings give equal keys. */
export function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** The method's parameters without its label: what the runs trained with. */
export function parameters(spec: MethodSpec): Record<string, unknown> {
  const { label: _label, ...rest } = spec as MethodSpec & { label?: string };
  return rest;
}

/**
 * The backend class of each run: from the backend that ran it, else from the spec; a queued
 * run of an `auto` spec takes that of its experiment's runs that ran, so that it joins them.
 */
export function backendClasses(runs: readonly RunResult[]): Map<RunResult, BackendClass | null> {
  const byExperiment = new Map<string, BackendClass>();
  const own = new Map<RunResult, BackendClass | null>();
  for (const r of runs) {
    const c = runBackendClass(r);
    own.set(r, c);
    if (c && !byExperiment.has(r.experimentId)) byExperiment.set(r.experimentId, c);
  }
  for (const [r, c] of own) if (c === null) own.set(r, byExperiment.get(r.experimentId) ?? null);
  return own;
}

/** The one configuration key of a run: equal keys, and only those, may be averaged. */
export function configurationKey(run: RunResult, backend?: BackendClass | null): string {
  const b = backend === undefined ? runBackendClass(run) : backend;
  return canonical([
    run.model,
    run.dataset,
    run.label,
    parameters(run.methodSpec),
    SETTINGS.map((s) => s.value(run, b)),
  ]);
}
