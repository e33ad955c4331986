// The experiment builder's form state and its translation to and from the spec. Pure: the
// builder store and its unit tests use it, the form only binds to it.
//
// Fields hold what the user typed. Numbers are parsed when the spec is made; text that is
// not a number goes into the spec as text, so that the shared validator says what is wrong
// with it, by the same path the CLI would print ("methods[0].lr: must be a number").
import { LR_SETS, METHOD_IDS, MODEL_IDS, type MethodId, type ModelId } from '../../shared/ids';
import { LOSS_SCALES, methodSchema, type ExperimentSpec, type MethodSpec } from '../../shared/spec';

/**
 * 'json': a nested option (schedule, sweep) typed as JSON; text that is not JSON goes into the
 * spec as text, so the validator names the field as it would in a file.
 */
export type FieldKind = 'number' | 'integer' | 'boolean' | 'list' | 'choice' | 'text' | 'json';

export interface MethodField {
  key: string;
  label: string;
  kind: FieldKind;
  /** For 'choice'. */
  options?: readonly string[];
  hint?: string;
}

const SGD_FIELDS: MethodField[] = [
  { key: 'lr', label: 'η (learning rate)', kind: 'number' },
  { key: 'momentum', label: 'β (momentum)', kind: 'number' },
  { key: 'nesterov', label: 'Nesterov', kind: 'boolean' },
  { key: 'weightDecay', label: 'weight decay', kind: 'number' },
];

/** Any gradient method's learning-rate schedule (none: constant); its lr is η_max. */
const SCHEDULE_FIELD: MethodField = {
  key: 'schedule',
  label: 'lr schedule (JSON)',
  kind: 'json',
  hint: '{"kind": "sgdr", "t0": 10, "tMult": 2}; kinds: step, cosine, sgdr',
};

/** Every method: stop once validation accuracy stalls (absent: run every epoch). */
const EARLY_STOPPING_FIELD: MethodField = {
  key: 'earlyStopping',
  label: 'early stopping (JSON)',
  kind: 'json',
  hint: '{"patience": 3, "minDelta": 0}',
};

/** Every method: one entry standing for the product of the listed values. */
const SWEEP_FIELD: MethodField = {
  key: 'sweep',
  label: 'sweep (JSON)',
  kind: 'json',
  hint: '{"lr": [0.1, 0.01], "momentum": [0, 0.9]}',
};

const ADAM_FIELDS: MethodField[] = [
  { key: 'lr', label: 'η (learning rate)', kind: 'number' },
  { key: 'betas', label: 'β₁, β₂', kind: 'list', hint: 'e.g. 0.9, 0.999' },
  { key: 'eps', label: 'ε', kind: 'number' },
  { key: 'weightDecay', label: 'weight decay λ', kind: 'number' },
  { key: 'amsgrad', label: 'AMSGrad', kind: 'boolean' },
  SCHEDULE_FIELD,
];

/** SSA's, SGD-SA's and the restart's comparison scale (METHODS.md, "Loss scale"). */
const LOSS_SCALE_FIELD: MethodField = {
  key: 'lossScale',
  label: 'loss scale',
  kind: 'choice',
  options: LOSS_SCALES,
  hint: 'thesis: mean CE ÷ minibatch size, as the published code compares',
};

const ANNEAL_FIELDS: MethodField[] = [
  { key: 'temperature', label: 'T₀ (temperature)', kind: 'number' },
  { key: 'cooling', label: 'α (cooling)', kind: 'number' },
  { key: 'minTemperature', label: 'T floor', kind: 'number' },
];

/** Each method's own parameters, in the order the thesis (or PyTorch) introduces them. */
const OWN_FIELDS: Record<MethodId, MethodField[]> = {
  sgd: [...SGD_FIELDS, SCHEDULE_FIELD],
  'scheduled-sgd': [
    ...SGD_FIELDS,
    { key: 'milestones', label: 'milestones (epochs)', kind: 'list', hint: 'e.g. 30, 70' },
    { key: 'gamma', label: 'γ (factor)', kind: 'number' },
  ],
  restart: [
    ...SGD_FIELDS,
    { key: 'restartEpsilon', label: 'restart below ε', kind: 'number' },
    { key: 'checkEvery', label: 'check every', kind: 'text', hint: '"epoch" or a number of steps' },
    LOSS_SCALE_FIELD,
    SCHEDULE_FIELD,
  ],
  ssa: [
    { key: 'epsilon', label: 'ε₀ (move scale)', kind: 'number' },
    ...ANNEAL_FIELDS,
    { key: 'acceptedBound', label: 'accepted bound', kind: 'number' },
    { key: 'objective', label: 'objective', kind: 'choice', options: ['loss', 'accuracy'] },
    LOSS_SCALE_FIELD,
  ],
  'sgd-sa': [
    { key: 'lrSet', label: 'η set', kind: 'choice', options: ['H1', 'H2', 'custom'] },
    { key: 'lrCustom', label: 'custom rates', kind: 'list', hint: 'e.g. 0.5, 0.1, 0.01' },
    ...ANNEAL_FIELDS,
    LOSS_SCALE_FIELD,
  ],
  adam: ADAM_FIELDS,
  adamw: ADAM_FIELDS,
  rmsprop: [
    { key: 'lr', label: 'η (learning rate)', kind: 'number' },
    { key: 'alpha', label: 'α (smoothing)', kind: 'number' },
    { key: 'eps', label: 'ε', kind: 'number' },
    { key: 'weightDecay', label: 'weight decay λ', kind: 'number' },
    { key: 'momentum', label: 'momentum', kind: 'number' },
    { key: 'centered', label: 'centered', kind: 'boolean' },
    SCHEDULE_FIELD,
  ],
  adagrad: [
    { key: 'lr', label: 'η (learning rate)', kind: 'number' },
    { key: 'lrDecay', label: 'lr decay', kind: 'number' },
    { key: 'eps', label: 'ε', kind: 'number' },
    { key: 'weightDecay', label: 'weight decay λ', kind: 'number' },
    { key: 'initialAccumulatorValue', label: 'initial accumulator', kind: 'number' },
    SCHEDULE_FIELD,
  ],
};

/** The parameter form of each method, then the options every method takes. */
export const METHOD_FIELDS = Object.fromEntries(
  Object.entries(OWN_FIELDS).map(([id, fields]) => [id, [...fields, EARLY_STOPPING_FIELD, SWEEP_FIELD]]),
) as Record<MethodId, MethodField[]>;

export const METHOD_NAMES: Record<MethodId, string> = {
  sgd: 'SGD',
  'scheduled-sgd': 'Scheduled SGD',
  restart: 'SGD with cold restarts',
  ssa: 'SSA',
  'sgd-sa': 'SGD-SA',
  adam: 'Adam',
  adamw: 'AdamW',
  rmsprop: 'RMSprop',
  adagrad: 'Adagrad',
};

export type FieldValue = string | boolean;

export interface MethodDraft {
  /** Stable key for list rendering; not part of the spec. */
  key: number;
  id: MethodId;
  label: string;
  values: Record<string, FieldValue>;
}

export interface SpecDraft {
  name: string;
  description: string;
  /** Comma-separated, as typed (a tag may hold spaces). */
  tags: string;
  dataset: { id: string; trainSize: string; testSize: string; seed: string };
  models: ModelId[];
  methods: MethodDraft[];
  seeds: string;
  epochs: string;
  batchSize: string;
  estimateBatches: string;
  exactTrainLoss: boolean;
  init: 'pytorch' | 'glorot';
  backend: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  /** "auto" or a count, as typed (threads of the SIMD kernels on wasm). */
  threads: string;
}

let nextKey = 1;

const show = (v: unknown): FieldValue =>
  typeof v === 'boolean'
    ? v
    : Array.isArray(v)
      ? v.join(', ')
      : v === undefined || v === null
        ? ''
        : String(v);

/** A nested option as the user would type it; '' when absent. */
const showJson = (v: unknown): string => (v === undefined || v === null ? '' : JSON.stringify(v));

/** '' → undefined (absent); JSON → its value; anything else as typed, for the validator to name. */
export function parseJson(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return t;
  }
}

/** A method's form, filled with the thesis's defaults (and any values given). */
export function methodDraft(id: MethodId, given: Partial<Record<string, unknown>> = {}): MethodDraft {
  const defaults = methodSchema.parse({ id }) as Record<string, unknown>;
  const merged = { ...defaults, ...given };
  const values: Record<string, FieldValue> = {};
  for (const f of METHOD_FIELDS[id]) {
    if (f.key === 'lrSet' || f.key === 'lrCustom') continue;
    values[f.key] = f.kind === 'json' ? showJson(merged[f.key]) : show(merged[f.key]);
  }
  if (id === 'sgd-sa') {
    const set = merged.lrSet;
    values.lrSet = Array.isArray(set) ? 'custom' : String(set);
    values.lrCustom = Array.isArray(set) ? set.join(', ') : LR_SETS.H2.join(', ');
  }
  return { key: nextKey++, id, label: typeof given.label === 'string' ? given.label : '', values };
}

export function emptyDraft(datasetId = 'mnist'): SpecDraft {
  return {
    name: 'experiment',
    description: '',
    tags: '',
    dataset: { id: datasetId, trainSize: '2000', testSize: '500', seed: '0' },
    models: ['lenet5'],
    methods: [methodDraft('sgd'), methodDraft('ssa')],
    seeds: '1, 2',
    epochs: '5',
    batchSize: '64',
    estimateBatches: '10',
    exactTrainLoss: false,
    init: 'pytorch',
    backend: 'auto',
    threads: 'auto',
  };
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** '' → undefined (the default applies); a number → the number; anything else as typed. */
export function parseNumber(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return NUMBER.test(t) ? Number(t) : t;
}

/** "1, 2 3" → [1, 2, 3]; items that are not numbers stay text (the validator names them). */
export function parseList(text: string): (number | string)[] {
  return text
    .split(/[\s,;]+/)
    .filter(Boolean)
    .map((t) => parseNumber(t)!);
}

function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

export function methodToSpec(m: MethodDraft): Record<string, unknown> {
  const out: Record<string, unknown> = { id: m.id };
  if (m.label.trim()) out.label = m.label.trim();
  // A swept parameter takes its values from the sweep: its own field (always filled) is left out.
  const sweep = parseJson(String(m.values.sweep ?? ''));
  const swept = sweep && typeof sweep === 'object' && !Array.isArray(sweep) ? Object.keys(sweep) : [];
  for (const f of METHOD_FIELDS[m.id]) {
    const v = m.values[f.key];
    if (f.key === 'lrCustom' || swept.includes(f.key)) continue;
    if (f.key === 'lrSet') {
      out.lrSet = v === 'custom' ? parseList(String(m.values.lrCustom ?? '')) : v;
      continue;
    }
    if (v === undefined) continue;
    switch (f.kind) {
      case 'boolean':
        out[f.key] = Boolean(v);
        break;
      case 'list':
        out[f.key] = parseList(String(v));
        break;
      case 'choice':
        put(out, f.key, v === '' ? undefined : v);
        break;
      case 'json':
        put(out, f.key, parseJson(String(v)));
        break;
      case 'text': {
        // checkEvery: "epoch" or a whole number of steps.
        const parsed = parseNumber(String(v));
        put(out, f.key, parsed);
        break;
      }
      default:
        put(out, f.key, parseNumber(String(v)));
    }
  }
  return out;
}

/** "baseline, lenet 5" → ["baseline", "lenet 5"]: tags split at commas only. */
export function parseTags(text: string): string[] {
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** The spec JSON the draft stands for (not yet validated). */
export function draftToSpec(d: SpecDraft): Record<string, unknown> {
  const dataset: Record<string, unknown> = { id: d.dataset.id };
  put(dataset, 'trainSize', parseNumber(d.dataset.trainSize));
  put(dataset, 'testSize', parseNumber(d.dataset.testSize));
  put(dataset, 'seed', parseNumber(d.dataset.seed));
  const spec: Record<string, unknown> = {
    name: d.name,
    ...(d.description.trim() ? { description: d.description.trim() } : {}),
    ...(parseTags(d.tags).length ? { tags: parseTags(d.tags) } : {}),
    dataset,
    models: [...d.models],
    methods: d.methods.map(methodToSpec),
    seeds: parseList(d.seeds),
  };
  put(spec, 'epochs', parseNumber(d.epochs));
  put(spec, 'batchSize', parseNumber(d.batchSize));
  put(spec, 'estimateBatches', parseNumber(d.estimateBatches));
  if (d.exactTrainLoss) spec.exactTrainLoss = true;
  if (d.init !== 'pytorch') spec.init = d.init;
  if (d.backend !== 'auto') spec.backend = d.backend;
  // "auto" (or nothing) is the default; anything else goes in as typed, for the validator to name.
  const threads = d.threads.trim();
  if (threads !== '' && threads !== 'auto') spec.threads = parseNumber(threads);
  return spec;
}

/** A draft from a spec file's JSON; throws with a message when it is not an object. */
export function specToDraft(json: unknown): SpecDraft {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('a spec is a JSON object');
  const s = json as Partial<Record<keyof ExperimentSpec, unknown>> & { dataset?: Record<string, unknown> };
  const base = emptyDraft();
  const ds = (s.dataset ?? {}) as Record<string, unknown>;
  const methods = Array.isArray(s.methods) ? (s.methods as Record<string, unknown>[]) : [];
  return {
    name: typeof s.name === 'string' ? s.name : base.name,
    description: typeof s.description === 'string' ? s.description : '',
    tags: Array.isArray(s.tags) ? s.tags.join(', ') : '',
    dataset: {
      id: typeof ds.id === 'string' ? ds.id : base.dataset.id,
      trainSize: show(ds.trainSize) as string,
      testSize: show(ds.testSize) as string,
      seed: show(ds.seed ?? 0) as string,
    },
    models: Array.isArray(s.models)
      ? (s.models.filter((m) => (MODEL_IDS as readonly unknown[]).includes(m)) as ModelId[])
      : base.models,
    methods: methods
      .filter((m) => (METHOD_IDS as readonly unknown[]).includes(m?.id))
      .map((m) => methodDraft(m.id as MethodId, m)),
    seeds: Array.isArray(s.seeds) ? s.seeds.join(', ') : '1',
    epochs: show(s.epochs ?? 10) as string,
    batchSize: show(s.batchSize ?? 512) as string,
    estimateBatches: show(s.estimateBatches ?? 10) as string,
    exactTrainLoss: s.exactTrainLoss === true,
    init: s.init === 'glorot' ? 'glorot' : 'pytorch',
    backend: (['tensorflow', 'webgpu', 'wasm', 'cpu'] as unknown[]).includes(s.backend)
      ? (s.backend as SpecDraft['backend'])
      : 'auto',
    threads: s.threads === undefined ? 'auto' : String(s.threads),
  };
}

export interface Preset {
  id: string;
  title: string;
  description: string;
  methods: () => MethodDraft[];
  /** Settings the chapter's experiments used, applied with the methods. */
  settings?: Partial<Pick<SpecDraft, 'batchSize' | 'epochs'>>;
}

/** The thesis's method line-ups, chapter by chapter (METHODS.md). */
export const PRESETS: Preset[] = [
  {
    id: 'chapter-2',
    title: 'Chapter 2: cold restarts',
    description: 'SGD with momentum (η = 0.001, β = 0.9) against the same with cold restarts (Algorithm 5)',
    methods: () => [
      methodDraft('sgd', { lr: 0.001, momentum: 0.9, label: 'SGD momentum' }),
      methodDraft('restart', { lr: 0.001, momentum: 0.9, restartEpsilon: 1e-4 }),
    ],
  },
  {
    id: 'chapter-3',
    title: 'Chapter 3: SSA',
    description: 'Derivative-free SSA (ε₀ = 0.01, T₀ = 1, α = 0.97, bound 0.6) against SGD (η = 0.1)',
    methods: () => [methodDraft('sgd', { lr: 0.1 }), methodDraft('ssa')],
  },
  {
    id: 'chapter-4',
    title: 'Chapter 4: SGD-SA (Table 4.2)',
    description: 'SGD (η = 0.1), scheduled SGD, SGD with momentum and SGD-SA with the set H2, batch 512',
    methods: () => [
      methodDraft('sgd', { lr: 0.1 }),
      methodDraft('scheduled-sgd', { lr: 0.1, milestones: [30, 70], gamma: 0.1 }),
      methodDraft('sgd', { lr: 0.001, momentum: 0.9, label: 'SGD momentum' }),
      methodDraft('sgd-sa', { lrSet: 'H2', temperature: 1, cooling: 0.93 }),
    ],
    settings: { batchSize: '512' },
  },
];

/** Does a problem path belong to a form field? `methods[0]` holds `methods[0].lr`; `seeds` holds `seeds[1]`. */
export function pathMatches(problemPath: string, fieldPath: string): boolean {
  return (
    problemPath === fieldPath ||
    problemPath.startsWith(`${fieldPath}[`) ||
    problemPath.startsWith(`${fieldPath}.`)
  );
}

/** Field path of a method parameter, as the validator reports it. */
export function methodFieldPath(index: number, key: string): string {
  return `methods[${index}].${key === 'lrCustom' ? 'lrSet' : key}`;
}

export type { MethodSpec };
