// The experiment spec: the file users write, the UI builds and the CLI runs (DESIGN.md).
// Every parameter has the thesis's default, so `{ "id": "ssa" }` is a complete method.
import { z } from 'zod';
import { BACKEND_IDS, LR_SETS, METHOD_IDS, MODEL_IDS } from './ids';

const positive = (what = 'must be > 0') => z.number({ error: 'must be a number' }).gt(0, { error: what });
const nonNegative = z.number({ error: 'must be a number' }).min(0, { error: 'must be >= 0' });
const positiveInt = z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, {
  error: 'must be >= 1',
});
const fraction = z.number({ error: 'must be a number' }).min(0, { error: 'must be in [0, 1]' }).max(1, {
  error: 'must be in [0, 1]',
});
const label = z.string().min(1, { error: 'must not be empty' }).optional();

/**
 * The scale on which SSA's and SGD-SA's Metropolis rule and the restart threshold compare
 * losses (METHODS.md, "Loss scale"). The published code compares the minibatch-mean
 * cross-entropy divided by the minibatch size again, so the thesis's T0 = 1 and ε = 1e-4 mean
 * what they mean there only on that scale: "thesis" (the default) is it, "mean" the textbook
 * mean cross-entropy.
 */
export const LOSS_SCALES = ['thesis', 'mean'] as const;
export type LossScale = (typeof LOSS_SCALES)[number];
const lossScale = z
  .enum(LOSS_SCALES, {
    error: 'must be "thesis" (mean CE / minibatch size, as the published code) or "mean"',
  })
  .default('thesis');

/** Options shared by every gradient method (PyTorch's SGD semantics). */
const sgdOptions = {
  lr: positive().default(0.1),
  momentum: z.number({ error: 'must be a number' }).min(0).lt(1, { error: 'must be in [0, 1)' }).default(0),
  nesterov: z.boolean({ error: 'must be true or false' }).default(false),
  weightDecay: nonNegative.default(0),
};

const sgd = z.strictObject({ id: z.literal('sgd'), label, ...sgdOptions });

const scheduledSgd = z.strictObject({
  id: z.literal('scheduled-sgd'),
  label,
  ...sgdOptions,
  /** Epochs after which lr is multiplied by gamma: lr 0.1 for 1–30, 0.01 for 31–70, 0.001 after. */
  milestones: z.array(positiveInt).default([30, 70]),
  gamma: positive().default(0.1),
});

const restart = z.strictObject({
  id: z.literal('restart'),
  label,
  ...sgdOptions,
  lr: positive().default(0.001),
  momentum: z.number({ error: 'must be a number' }).min(0).lt(1, { error: 'must be in [0, 1)' }).default(0.9),
  /** Restart when the training-loss estimate falls below this (thesis: 1e-4 AlexNet, 1e-6/1e-7 VGG16/ResNet34). */
  restartEpsilon: positive().default(1e-4),
  /** When to estimate: after each epoch (the published code) or every N minibatch steps (the text). */
  checkEvery: z
    .union([z.literal('epoch'), positiveInt], { error: 'must be "epoch" or a whole number of steps' })
    .default('epoch'),
  /** The estimate compared with restartEpsilon: Σ minibatch-mean CE / examples ("thesis") or mean CE. */
  lossScale,
});

const annealing = {
  temperature: positive().default(1),
  minTemperature: positive().default(1e-10),
};

const ssa = z.strictObject({
  id: z.literal('ssa'),
  label,
  epsilon: positive().default(0.01),
  ...annealing,
  cooling: positive().max(1, { error: 'must be in (0, 1]' }).default(0.97),
  /** ε ← ε/10 after an epoch whose ratio of better moves is below this (0 disables the drops). */
  acceptedBound: fraction.default(0.6),
  objective: z.enum(['loss', 'accuracy'], { error: 'must be "loss" or "accuracy"' }).default('loss'),
  /** The loss the Metropolis rule compares (an accuracy objective is a fraction on both scales). */
  lossScale,
});

const lrSetNames = Object.keys(LR_SETS) as ['H1', 'H2'];
const sgdSa = z.strictObject({
  id: z.literal('sgd-sa'),
  label,
  lrSet: z
    .union([z.enum(lrSetNames), z.array(positive()).min(1, { error: 'must hold at least one rate' })], {
      error: `must be ${lrSetNames.map((n) => `"${n}"`).join(' or ')} or a list of learning rates`,
    })
    .default('H2'),
  ...annealing,
  cooling: positive().max(1, { error: 'must be in (0, 1]' }).default(0.93),
  lossScale,
});

export const methodSchema = z.discriminatedUnion('id', [sgd, scheduledSgd, restart, ssa, sgdSa]);

export const specSchema = z.strictObject({
  name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  dataset: z.strictObject({
    id: z.string({ error: 'must be a dataset name' }).min(1, { error: 'must not be empty' }),
    /** Size of the training subset (class-stratified); the whole training split when absent. */
    trainSize: positiveInt.optional(),
    testSize: positiveInt.optional(),
    /** Seed of the subset draw, the same for every run so that all runs see the same data. */
    seed: z.number().int().min(0).default(0),
  }),
  models: z.array(z.enum(MODEL_IDS)).min(1, { error: 'must name at least one model' }),
  methods: z.array(methodSchema).min(1, { error: 'must name at least one method' }),
  seeds: z
    .array(z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0))
    .min(1, { error: 'must hold at least one seed' })
    .default([1]),
  epochs: positiveInt.default(10),
  /** The published code's default, which the thesis's tables use. */
  batchSize: positiveInt.default(512),
  dropLast: z.boolean().default(false),
  /** Minibatches drawn for the per-epoch training estimate (thesis §2.3). */
  estimateBatches: positiveInt.default(10),
  /** Also compute the exact training loss over the whole training split each epoch. */
  exactTrainLoss: z.boolean().default(false),
  /**
   * Augment the training minibatches as the thesis's code can: a random crop back to the image
   * size from a 4-pixel zero padding, then a horizontal flip with probability ½ (seeded per run).
   */
  augment: z.boolean({ error: 'must be true or false' }).default(false),
  init: z.enum(['pytorch', 'glorot'], { error: 'must be "pytorch" or "glorot"' }).default('pytorch'),
  backend: z
    .enum([...BACKEND_IDS, 'auto'], { error: `must be one of ${[...BACKEND_IDS, 'auto'].join(', ')}` })
    .default('auto'),
});

export type ExperimentSpec = z.output<typeof specSchema>;
export type ExperimentSpecInput = z.input<typeof specSchema>;
export type MethodSpec = z.output<typeof methodSchema>;
export type MethodSpecOf<Id extends MethodSpec['id']> = Extract<MethodSpec, { id: Id }>;

export type SpecProblem = { path: string; message: string };
export type SpecResult = { ok: true; spec: ExperimentSpec } | { ok: false; problems: SpecProblem[] };

/** `methods[2].lr` from zod's ['methods', 2, 'lr']. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(spec)';
}

/** Zod reports an unknown discriminator vaguely; name the valid ids instead. */
function unknownMethodProblems(input: unknown): SpecProblem[] {
  const methods = (input as { methods?: unknown })?.methods;
  if (!Array.isArray(methods)) return [];
  const problems: SpecProblem[] = [];
  methods.forEach((m, i) => {
    const id = (m as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' || !(METHOD_IDS as readonly string[]).includes(id)) {
      problems.push({
        path: `methods[${i}].id`,
        message: `unknown method ${JSON.stringify(id ?? null)}; expected one of ${METHOD_IDS.join(', ')}`,
      });
    }
  });
  return problems;
}

export interface SpecContext {
  /** Dataset names the spec may use (built-in and imported). */
  datasets: readonly string[];
}

/** Validate a parsed JSON value; every problem is listed by its path in the file. */
export function validateSpec(input: unknown, context?: SpecContext): SpecResult {
  const problems = unknownMethodProblems(input);
  const badMethodPaths = new Set(problems.map((p) => p.path.replace(/\.id$/, '')));
  const parsed = specSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = formatPath(issue.path);
      if ([...badMethodPaths].some((p) => path === p || path.startsWith(`${p}.`))) continue;
      let message = issue.message;
      if (issue.code === 'invalid_value' && 'values' in issue && path.startsWith('models[')) {
        const got = lookup(input, issue.path);
        message = `unknown model ${JSON.stringify(got)}; expected one of ${MODEL_IDS.join(', ')}`;
      } else if (issue.code === 'unrecognized_keys') {
        message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      problems.push({ path, message });
    }
  }
  const datasetId = lookup(input, ['dataset', 'id']);
  if (context && typeof datasetId === 'string' && datasetId) {
    const id = datasetId;
    if (!context.datasets.includes(id)) {
      problems.push({
        path: 'dataset.id',
        message: `unknown dataset ${JSON.stringify(id)}; available: ${context.datasets.join(', ') || 'none'}`,
      });
    }
  }
  if (parsed.success) {
    parsed.data.methods.forEach((m, i) => {
      if (m.id === 'scheduled-sgd') {
        const sorted = [...m.milestones].sort((a, b) => a - b);
        if (sorted.some((v, j) => v !== m.milestones[j] || (j > 0 && v === sorted[j - 1]))) {
          problems.push({ path: `methods[${i}].milestones`, message: 'must be strictly increasing' });
        }
      }
    });
  }
  problems.sort((a, b) => a.path.localeCompare(b.path));
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, spec: parsed.data };
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = value;
  for (const p of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[p];
  return v;
}

/** A short human label with the key parameters, e.g. "SGD (η = 0.1)" or "SGD-SA (H2)". */
export function methodLabel(m: MethodSpec): string {
  if (m.label) return m.label;
  const mom = (x: { momentum: number }) => (x.momentum > 0 ? `, β = ${x.momentum}` : '');
  // Only the departure from the thesis's scale is named, so default labels stay as they were.
  const scale = (x: { lossScale: LossScale }) => (x.lossScale === 'mean' ? ', mean-CE scale' : '');
  switch (m.id) {
    case 'sgd':
      return m.momentum > 0 ? `SGD with momentum (η = ${m.lr}${mom(m)})` : `SGD (η = ${m.lr})`;
    case 'scheduled-sgd':
      return `Scheduled SGD (η = ${m.lr}, ×${m.gamma} at ${m.milestones.join(', ') || 'never'})`;
    case 'restart':
      return `SGD with restarts (η = ${m.lr}${mom(m)}, ε = ${m.restartEpsilon}${scale(m)})`;
    case 'ssa':
      return `SSA (ε = ${m.epsilon}, T = ${m.temperature}, α = ${m.cooling}${scale(m)})`;
    case 'sgd-sa':
      return `SGD-SA (${typeof m.lrSet === 'string' ? m.lrSet : `{${m.lrSet.join(', ')}}`}${scale(m)})`;
  }
}

/**
 * The mean cross-entropy at which a restart fires, to draw its threshold beside mean-CE curves: ε
 * on the mean scale, ε·|B| on the thesis's (its estimate is Σ minibatch-mean CE / examples, which
 * for full minibatches is the mean CE / |B|). Specs stored before the option ran on the mean scale.
 */
export function restartThresholdMeanCe(m: MethodSpecOf<'restart'>, batchSize: number): number {
  return m.lossScale === 'thesis' ? m.restartEpsilon * batchSize : m.restartEpsilon;
}

/** The learning-rate set of an SGD-SA method, resolved. */
export function resolveLrSet(lrSet: MethodSpecOf<'sgd-sa'>['lrSet']): readonly number[] {
  return typeof lrSet === 'string' ? LR_SETS[lrSet] : lrSet;
}
