// The experiment spec: the file users write, the UI builds and the CLI runs (DESIGN.md).
// Every parameter has the thesis's default, so `{ "id": "ssa" }` is a complete method.
import { z } from 'zod';
import { BACKEND_IDS, LR_SETS, METHOD_IDS, MODEL_IDS, type MethodId } from './ids';
import { threadsRequestSchema } from './threads';
import {
  combinations,
  describeCombination,
  readSweep,
  type Combination,
  type EntryProblem,
  type SweepAxes,
} from './sweep';

const positive = (what = 'must be > 0') => z.number({ error: 'must be a number' }).gt(0, { error: what });
const nonNegative = z.number({ error: 'must be a number' }).min(0, { error: 'must be >= 0' });
const positiveInt = z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, {
  error: 'must be >= 1',
});
const fraction = z.number({ error: 'must be a number' }).min(0, { error: 'must be in [0, 1]' }).max(1, {
  error: 'must be in [0, 1]',
});
/**
 * Bounds on what a spec may ask for: beyond them a spec is a typo or a runaway script (epochs:
 * 1e12, a 10 MB label, 100,000 seeds), not an experiment, and would fill the store before
 * anyone noticed.
 */
export const MAX_TEXT_LENGTH = 200;
/** A description is a paragraph or two, not a lab notebook. */
export const MAX_DESCRIPTION_LENGTH = 2_000;
/** Tags are for filtering (`experiments list --tag T`): a few words each, a handful per experiment. */
export const MAX_TAGS = 50;
export const MAX_EPOCHS = 100_000;
/** Runs per spec (models × methods after sweeps × seeds); `--allow-large` lifts it. */
export const MAX_RUNS_PER_SPEC = 1_000;
const fmtCount = (n: number) => n.toLocaleString('en-US');

const text = (what: string) =>
  z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(MAX_TEXT_LENGTH, { error: `must be at most ${MAX_TEXT_LENGTH} characters; shorten the ${what}` });
const label = text('label').optional();
const wholeAtLeast0 = 'must be a whole number ≥ 0';
const seed = z
  .number({ error: 'must be a number' })
  .int({ error: wholeAtLeast0 })
  .min(0, { error: wholeAtLeast0 });

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

/**
 * A learning-rate schedule for a gradient method, stepped once per epoch as PyTorch's schedulers
 * are in the thesis's code; the method's `lr` is η_max. `step` is MultiStepLR (what scheduled-sgd
 * does), `cosine` CosineAnnealingLR, `sgdr` CosineAnnealingWarmRestarts with T_cur counting epochs
 * (Loshchilov & Hutter; the thesis's Eq. 2.1), the warm restarts chapter 2 contrasts with its cold
 * ones. No schedule: a constant rate.
 */
const stepSchedule = z.strictObject({
  kind: z.literal('step'),
  milestones: z.array(positiveInt).default([30, 70]),
  gamma: positive().default(0.1),
});
const cosineSchedule = z.strictObject({
  kind: z.literal('cosine'),
  /** Epochs from η_max down to η_min; validateSpec fills in the spec's `epochs` when absent. */
  tMax: positiveInt.optional(),
  etaMin: nonNegative.default(0),
});
const sgdrSchedule = z.strictObject({
  kind: z.literal('sgdr'),
  /** Epochs of the first cycle, and the factor by which each cycle is longer than the last (SGDR's T_0 = 10, T_mult = 2). */
  t0: positiveInt.default(10),
  tMult: positiveInt.default(2),
  etaMin: nonNegative.default(0),
});
export const SCHEDULE_KINDS = ['step', 'cosine', 'sgdr'] as const;
const schedule = z
  .discriminatedUnion('kind', [stepSchedule, cosineSchedule, sgdrSchedule], {
    error: `must be an object whose "kind" is ${SCHEDULE_KINDS.map((k) => `"${k}"`).join(', ')}`,
  })
  .optional();
export type LrSchedule = z.output<typeof schedule> & {};

/**
 * Stop a run once validation accuracy has not risen by more than `minDelta` for `patience`
 * epochs in a row (PyTorch Lightning's EarlyStopping in "max" mode, and its defaults). The
 * output stays the best-on-validation weights.
 */
const earlyStopping = z
  .strictObject(
    {
      patience: positiveInt.default(3),
      minDelta: nonNegative.default(0),
    },
    { error: 'must be an object such as {"patience": 3, "minDelta": 0}' },
  )
  .optional();
export type EarlyStoppingOptions = z.output<typeof earlyStopping> & {};

/** Fields every method takes. */
const common = { label, earlyStopping };

/**
 * M, the snapshots a snapshot ensemble averages (Huang et al.; the thesis's Fig. 2.3): the
 * weights before each restart of a `restart` run or at the end of each SGDR cycle. Restart and
 * SGDR runs always keep the ensemble's series; absent means DEFAULT_SNAPSHOT_ENSEMBLE.
 */
export const DEFAULT_SNAPSHOT_ENSEMBLE = 3;
export const MAX_SNAPSHOT_ENSEMBLE = 20;
const snapshotEnsemble = positiveInt
  .max(MAX_SNAPSHOT_ENSEMBLE, { error: `must be at most ${MAX_SNAPSHOT_ENSEMBLE} snapshots` })
  .optional();

/** A gradient method's snapshot ensemble needs restarts to take snapshots at: SGDR's. */
const ensembleNeedsRestarts = (
  m: { snapshotEnsemble?: number; schedule?: { kind: string } },
  ctx: z.core.$RefinementCtx,
) => {
  if (m.snapshotEnsemble !== undefined && m.schedule?.kind !== 'sgdr')
    ctx.addIssue({
      code: 'custom',
      path: ['snapshotEnsemble'],
      message: 'applies only where there are restarts: the restart method, or a schedule of kind "sgdr"',
    });
};

const momentumOption = z.number({ error: 'must be a number' }).min(0).lt(1, { error: 'must be in [0, 1)' });

/** Options shared by every SGD method (PyTorch's SGD semantics). */
const sgdOptions = {
  lr: positive().default(0.1),
  momentum: momentumOption.default(0),
  nesterov: z.boolean({ error: 'must be true or false' }).default(false),
  weightDecay: nonNegative.default(0),
};

const sgd = z
  .strictObject({ id: z.literal('sgd'), ...common, ...sgdOptions, schedule, snapshotEnsemble })
  .superRefine(ensembleNeedsRestarts);

const scheduledSgd = z.strictObject({
  id: z.literal('scheduled-sgd'),
  ...common,
  ...sgdOptions,
  /** Epochs after which lr is multiplied by gamma: lr 0.1 for 1–30, 0.01 for 31–70, 0.001 after. */
  milestones: z.array(positiveInt).default([30, 70]),
  gamma: positive().default(0.1),
});

const restart = z.strictObject({
  id: z.literal('restart'),
  ...common,
  ...sgdOptions,
  lr: positive().default(0.001),
  momentum: momentumOption.default(0.9),
  schedule,
  snapshotEnsemble,
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
  ...common,
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
  ...common,
  lrSet: z
    .union([z.enum(lrSetNames), z.array(positive()).min(1, { error: 'must hold at least one rate' })], {
      error: `must be ${lrSetNames.map((n) => `"${n}"`).join(' or ')} or a list of learning rates`,
    })
    .default('H2'),
  ...annealing,
  cooling: positive().max(1, { error: 'must be in (0, 1]' }).default(0.93),
  lossScale,
});

// The adaptive baselines: PyTorch 1.13's torch.optim semantics and defaults, parameter for
// parameter (betas, eps, weight_decay, amsgrad; alpha, momentum, centered; lr_decay,
// initial_accumulator_value), in the spec's camelCase.
const beta = z.number({ error: 'must be a number' }).min(0, { error: 'must be in [0, 1)' }).lt(1, {
  error: 'must be in [0, 1)',
});
const adamOptions = {
  lr: positive().default(1e-3),
  betas: z.tuple([beta, beta], { error: 'must be a pair [β₁, β₂]' }).default([0.9, 0.999]),
  eps: nonNegative.default(1e-8),
  weightDecay: nonNegative.default(0),
  amsgrad: z.boolean({ error: 'must be true or false' }).default(false),
  schedule,
  snapshotEnsemble,
};
const adam = z
  .strictObject({ id: z.literal('adam'), ...common, ...adamOptions })
  .superRefine(ensembleNeedsRestarts);
/** AdamW: the weight decay is decoupled from the gradient (w ← w(1 − ηλ)); PyTorch's λ = 1e-2. */
const adamw = z
  .strictObject({
    id: z.literal('adamw'),
    ...common,
    ...adamOptions,
    weightDecay: nonNegative.default(1e-2),
  })
  .superRefine(ensembleNeedsRestarts);
const rmsprop = z
  .strictObject({
    id: z.literal('rmsprop'),
    ...common,
    lr: positive().default(1e-2),
    alpha: nonNegative.default(0.99),
    eps: nonNegative.default(1e-8),
    weightDecay: nonNegative.default(0),
    momentum: nonNegative.default(0),
    centered: z.boolean({ error: 'must be true or false' }).default(false),
    schedule,
    snapshotEnsemble,
  })
  .superRefine(ensembleNeedsRestarts);
const adagrad = z
  .strictObject({
    id: z.literal('adagrad'),
    ...common,
    lr: positive().default(1e-2),
    lrDecay: nonNegative.default(0),
    eps: nonNegative.default(1e-10),
    weightDecay: nonNegative.default(0),
    initialAccumulatorValue: nonNegative.default(0),
    schedule,
    snapshotEnsemble,
  })
  .superRefine(ensembleNeedsRestarts);

/** Each method's schema by its id: what a sweep may vary is what the method takes. */
const METHOD_SCHEMAS = {
  sgd,
  'scheduled-sgd': scheduledSgd,
  restart,
  ssa,
  'sgd-sa': sgdSa,
  adam,
  adamw,
  rmsprop,
  adagrad,
} as const satisfies Record<MethodId, z.ZodObject>;

export const methodSchema = z.discriminatedUnion('id', [
  sgd,
  scheduledSgd,
  restart,
  ssa,
  sgdSa,
  adam,
  adamw,
  rmsprop,
  adagrad,
]);

const tags = z
  .array(text('tag'), { error: 'must be a list of strings' })
  .max(MAX_TAGS, { error: `must hold at most ${MAX_TAGS} tags` })
  .superRefine((list, ctx) => {
    // A repeated tag changes no filter; it is a slip, like a repeated seed.
    list.forEach((t, j) => {
      const i = list.indexOf(t);
      if (i < j)
        ctx.addIssue({
          code: 'custom',
          path: [j],
          message: `duplicates tags[${i}] ("${t}"); list each tag once`,
        });
    });
  });

/**
 * Record the histogram of η·gradient against SSA's random move ε·N(0, 1) at the end of these
 * epochs, for every run (the thesis's Fig. 3.1, 3.2; `annealab figure --kind move-histogram`).
 * ε defaults to the SSA run's ε in force, else 0.01.
 */
const moveHistogram = z
  .strictObject(
    {
      epochs: z.array(positiveInt).min(1, { error: 'must name at least one epoch' }).max(100),
      lr: positive().default(0.01),
      epsilon: positive().optional(),
      bins: positiveInt.min(4, { error: 'must be at least 4' }).max(1000).default(60),
    },
    { error: 'must be an object such as {"epochs": [1, 10], "lr": 0.01}' },
  )
  .optional();
export type MoveHistogramOptions = z.output<typeof moveHistogram> & {};

export const specSchema = z.strictObject({
  name: text('name'),
  /** What the experiment is for, in the user's words; shown by `experiments show` and the UI. */
  description: z
    .string({ error: 'must be a string' })
    .max(MAX_DESCRIPTION_LENGTH, {
      error: `must be at most ${fmtCount(MAX_DESCRIPTION_LENGTH)} characters; shorten the description`,
    })
    .optional(),
  tags: tags.optional(),
  dataset: z.strictObject({
    id: z.string({ error: 'must be a dataset name' }).min(1, { error: 'must not be empty' }),
    /** Size of the training subset (class-stratified); the whole training split when absent. */
    trainSize: positiveInt.optional(),
    testSize: positiveInt.optional(),
    /** Seed of the subset draw, the same for every run so that all runs see the same data. */
    seed: seed.default(0),
  }),
  models: z.array(z.enum(MODEL_IDS)).min(1, { error: 'must name at least one model' }),
  methods: z.array(methodSchema).min(1, { error: 'must name at least one method' }),
  seeds: z
    .array(seed)
    .min(1, { error: 'must hold at least one seed' })
    .superRefine((seeds, ctx) => {
      // A repeated seed is the same run twice: it inflates n and makes the tests look surer.
      const first = new Map<number, number>();
      seeds.forEach((s, j) => {
        const i = first.get(s);
        if (i === undefined) first.set(s, j);
        else
          ctx.addIssue({
            code: 'custom',
            path: [j],
            message: `duplicates seeds[${i}] (${s}): a repeated seed repeats the same run; list each seed once`,
          });
      });
    })
    .default([1]),
  epochs: positiveInt.max(MAX_EPOCHS, { error: `must be at most ${fmtCount(MAX_EPOCHS)}` }).default(10),
  /** The published code's default, which the thesis's tables use. */
  batchSize: positiveInt.default(512),
  dropLast: z.boolean().default(false),
  /** Minibatches drawn for the per-epoch training estimate (thesis §2.3). */
  estimateBatches: positiveInt.default(10),
  moveHistogram,
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
  /**
   * Threads each run's SIMD kernels split across on the wasm backend (ignored on the others):
   * "auto" shares the cores out among the runs the queue runs at once (services/run-threads.ts); `--threads`
   * overrides it. Speed only: the numbers are the same whatever it is.
   */
  threads: threadsRequestSchema.default('auto'),
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
  /**
   * Training examples of each dataset's whole train split, where the caller knows them (the
   * services do; the UI does not), so that a batch larger than the data is refused.
   */
  trainCounts?: Readonly<Record<string, number>>;
  /** Accept more than MAX_RUNS_PER_SPEC runs (the CLI's `--allow-large`). */
  allowLarge?: boolean;
}

/** Validate a parsed JSON value; every problem is listed by its path in the file. */
export function validateSpec(input: unknown, context?: SpecContext): SpecResult {
  const problems = unknownMethodProblems(input);
  const badMethodPaths = new Set(problems.map((p) => p.path.replace(/\.id$/, '')));
  const { plain, sweeps } = takeSweeps(input, badMethodPaths, problems);
  const parsed = specSchema.safeParse(plain);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = formatPath(issue.path);
      if ([...badMethodPaths].some((p) => path === p || path.startsWith(`${p}.`))) continue;
      // zod says "must be a string" of a field that is not there at all; say what is wrong.
      const missing = issue.code === 'invalid_type' && lookup(plain, issue.path) === undefined;
      problems.push({ path, message: missing ? 'required' : issueMessage(issue, input) });
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
  const spec = parsed.success ? resolveMethods(parsed.data, plain, sweeps, problems) : null;
  if (spec) problems.push(...sizeProblems(spec, context));
  problems.sort((a, b) => a.path.localeCompare(b.path));
  if (problems.length > 0 || !spec) return { ok: false, problems };
  return { ok: true, spec };
}

/** What the spec asks for as a whole: its number of runs, and a batch no larger than the data. */
function sizeProblems(spec: ExperimentSpec, context: SpecContext | undefined): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const runs = spec.models.length * spec.methods.length * spec.seeds.length;
  if (runs > MAX_RUNS_PER_SPEC && !context?.allowLarge) {
    problems.push({
      path: '(spec)',
      message:
        `${fmtCount(runs)} runs (${spec.models.length} models × ${spec.methods.length} methods after sweeps × ` +
        `${fmtCount(spec.seeds.length)} seeds) exceed the limit of ${fmtCount(MAX_RUNS_PER_SPEC)} per spec; ` +
        'split the spec, or pass --allow-large to `annealab run` if you mean it',
    });
  }
  const whole = context?.trainCounts?.[spec.dataset.id];
  const { trainSize } = spec.dataset;
  if (whole !== undefined && trainSize !== undefined && trainSize > whole) {
    problems.push({
      path: 'dataset.trainSize',
      message: `must be at most ${fmtCount(whole)}, the training examples of "${spec.dataset.id}"`,
    });
  }
  const available = trainSize !== undefined ? Math.min(trainSize, whole ?? trainSize) : whole;
  if (available !== undefined && spec.batchSize > available) {
    const of = available === trainSize ? 'dataset.trainSize' : `the training split of "${spec.dataset.id}"`;
    problems.push({
      path: 'batchSize',
      message: `must be at most the training set's ${fmtCount(available)} examples (${of})`,
    });
  }
  return problems;
}

/** Zod's message, or a plainer one where zod's is vague. */
function issueMessage(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'invalid_value' && 'values' in issue && formatPath(issue.path).startsWith('models[')) {
    const got = lookup(input, issue.path);
    return `unknown model ${JSON.stringify(got)}; expected one of ${MODEL_IDS.join(', ')}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

/**
 * The input with every method entry's `sweep` taken out (so the schema checks the rest of the
 * entry by its own path), and the axes of each valid sweep by the entry's index. A sweep's
 * problems are added to `problems` by their paths (`methods[1].sweep.lr[2]`).
 */
function takeSweeps(
  input: unknown,
  badMethodPaths: ReadonlySet<string>,
  problems: SpecProblem[],
): { plain: unknown; sweeps: Map<number, SweepAxes> } {
  const sweeps = new Map<number, SweepAxes>();
  const methods = (input as { methods?: unknown } | null)?.methods;
  if (!Array.isArray(methods) || !methods.some((m) => m && typeof m === 'object' && 'sweep' in m)) {
    return { plain: input, sweeps };
  }
  const plainMethods = methods.map((entry: unknown, i) => {
    if (!entry || typeof entry !== 'object' || !('sweep' in entry)) return entry;
    const { sweep, ...base } = entry as Record<string, unknown>;
    if (badMethodPaths.has(`methods[${i}]`)) return base;
    const schema = METHOD_SCHEMAS[base.id as MethodId];
    const check = (key: string, value: unknown): EntryProblem[] => {
      const r = schema.safeParse({ ...base, [key]: value });
      if (r.success) return [];
      // Only the value's own problems: the rest of the entry is reported once, at its path.
      return r.error.issues
        .filter((issue) => issue.path[0] === key)
        .map((issue) => ({ path: issue.path, message: issueMessage(issue, undefined) }));
    };
    const read = readSweep(
      sweep,
      { id: String(base.id), params: Object.keys(schema.shape), given: Object.keys(base) },
      check,
    );
    for (const p of read.problems)
      problems.push({ path: formatPath(['methods', i, ...p.path]), message: p.message });
    if (read.axes) sweeps.set(i, read.axes);
    return base;
  });
  return { plain: { ...(input as object), methods: plainMethods }, sweeps };
}

/**
 * The spec's methods as the runs see them: each sweep expanded in place into its combinations
 * (labelled by their values), a cosine schedule's tMax filled with the spec's epochs, and the
 * checks that span several fields, reported by the path of the entry the user wrote.
 */
function resolveMethods(
  spec: ExperimentSpec,
  plain: unknown,
  sweeps: ReadonlyMap<number, SweepAxes>,
  problems: SpecProblem[],
): ExperimentSpec {
  const entries = (plain as { methods: Record<string, unknown>[] }).methods;
  const seen = new Set(problems.map((p) => `${p.path}\n${p.message}`));
  const report = (p: SpecProblem) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push(p);
  };
  const methods = spec.methods.flatMap((m, i): MethodSpec[] => {
    const axes = sweeps.get(i);
    if (!axes) {
      const resolved = withEpochs(m, spec.epochs);
      for (const p of crossFieldProblems(resolved))
        report({ path: formatPath(['methods', i, ...p.path]), message: p.message });
      return [resolved];
    }
    const combos = combinations(axes);
    const members = combos.map((combo) => {
      const values = Object.fromEntries(combo.map(({ key, value }) => [key, value]));
      return withEpochs(methodSchema.parse({ ...entries[i], ...values }), spec.epochs);
    });
    members.forEach((member, j) => {
      const combo = combos[j]!;
      for (const p of crossFieldProblems(member)) {
        const swept = combo.find((c) => c.key === p.path[0]);
        report(
          swept
            ? {
                path: formatPath(['methods', i, 'sweep', swept.key, swept.index, ...p.path.slice(1)]),
                message: p.message,
              }
            : {
                path: formatPath(['methods', i, ...p.path]),
                message: `${p.message} (with ${describeCombination(combo)})`,
              },
        );
      }
    });
    return sweepLabels(members, combos, m.label);
  });
  return { ...spec, methods };
}

/**
 * A sweep's methods, each labelled by its values: "Mine (lr = 0.05, momentum = 0.9)" under a
 * label of the user's; otherwise methodLabel's own ("SGD (η = 0.05)") when it tells them apart,
 * else that label with the swept values added ("SGD (η = 0.1; weightDecay = 0.001)").
 */
function sweepLabels(members: MethodSpec[], combos: Combination[], label: string | undefined): MethodSpec[] {
  if (label) return members.map((m, j) => ({ ...m, label: `${label} (${describeCombination(combos[j]!)})` }));
  const defaults = members.map(methodLabel);
  if (new Set(defaults).size === defaults.length) return members;
  return members.map((m, j) => {
    const d = defaults[j]!;
    const values = describeCombination(combos[j]!);
    return { ...m, label: d.endsWith(')') ? `${d.slice(0, -1)}; ${values})` : `${d} (${values})` };
  });
}

/** A cosine schedule without tMax anneals over the whole run, as CosineAnnealingLR(T_max=epochs). */
function withEpochs(m: MethodSpec, epochs: number): MethodSpec {
  if (!('schedule' in m) || m.schedule?.kind !== 'cosine' || m.schedule.tMax !== undefined) return m;
  return { ...m, schedule: { ...m.schedule, tMax: epochs } };
}

const strictlyIncreasing = (xs: readonly number[]) => xs.every((v, j) => j === 0 || v > xs[j - 1]!);

/** Checks that span fields of one method; paths relative to the method. */
function crossFieldProblems(m: MethodSpec): EntryProblem[] {
  const out: EntryProblem[] = [];
  if (m.id === 'scheduled-sgd' && !strictlyIncreasing(m.milestones)) {
    out.push({ path: ['milestones'], message: 'must be strictly increasing' });
  }
  if (!('schedule' in m) || !m.schedule) return out;
  const s = m.schedule;
  if (s.kind === 'step' && !strictlyIncreasing(s.milestones)) {
    out.push({ path: ['schedule', 'milestones'], message: 'must be strictly increasing' });
  }
  if (s.kind !== 'step' && !(s.etaMin < m.lr)) {
    out.push({ path: ['schedule', 'etaMin'], message: `must be below lr (η_max = ${m.lr})` });
  }
  return out;
}

function lookup(value: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = value;
  for (const p of path) v = (v as Record<PropertyKey, unknown> | undefined)?.[p];
  return v;
}

/** A short human label with the key parameters, e.g. "SGD (η = 0.1)" or "SGD-SA (H2)". */
export function methodLabel(m: MethodSpec): string {
  if (m.label) return m.label;
  return (
    baseLabel(m) + (m.earlyStopping ? ` with early stopping (patience ${m.earlyStopping.patience})` : '')
  );
}

function baseLabel(m: MethodSpec): string {
  const mom = (x: { momentum: number }) => (x.momentum > 0 ? `, β = ${x.momentum}` : '');
  // Only the departure from the thesis's scale is named, so default labels stay as they were.
  const scale = (x: { lossScale: LossScale }) => (x.lossScale === 'mean' ? ', mean-CE scale' : '');
  const sched = (x: { schedule?: LrSchedule }) => (x.schedule ? `, ${scheduleLabel(x.schedule)}` : '');
  // The adaptive methods name what departs from PyTorch's defaults.
  const opt = (on: boolean, text: string) => (on ? `, ${text}` : '');
  switch (m.id) {
    case 'sgd':
      return m.momentum > 0
        ? `SGD with momentum (η = ${m.lr}${mom(m)}${sched(m)})`
        : `SGD (η = ${m.lr}${sched(m)})`;
    case 'scheduled-sgd':
      return `Scheduled SGD (η = ${m.lr}, ×${m.gamma} at ${m.milestones.join(', ') || 'never'})`;
    case 'restart':
      return `SGD with restarts (η = ${m.lr}${mom(m)}, ε = ${m.restartEpsilon}${scale(m)}${sched(m)})`;
    case 'ssa':
      return `SSA (ε = ${m.epsilon}, T = ${m.temperature}, α = ${m.cooling}${scale(m)})`;
    case 'sgd-sa':
      return `SGD-SA (${typeof m.lrSet === 'string' ? m.lrSet : `{${m.lrSet.join(', ')}}`}${scale(m)})`;
    case 'adam':
    case 'adamw': {
      const [b1, b2] = m.betas;
      return (
        `${m.id === 'adam' ? 'Adam' : 'AdamW'} (η = ${m.lr}` +
        opt(b1 !== 0.9 || b2 !== 0.999, `β = (${b1}, ${b2})`) +
        opt(m.id === 'adamw' || m.weightDecay > 0, `λ = ${m.weightDecay}`) +
        opt(m.eps !== 1e-8, `ε = ${m.eps}`) +
        opt(m.amsgrad, 'AMSGrad') +
        `${sched(m)})`
      );
    }
    case 'rmsprop':
      return (
        `RMSprop (η = ${m.lr}, α = ${m.alpha}` +
        opt(m.momentum > 0, `β = ${m.momentum}`) +
        opt(m.centered, 'centered') +
        opt(m.weightDecay > 0, `λ = ${m.weightDecay}`) +
        opt(m.eps !== 1e-8, `ε = ${m.eps}`) +
        `${sched(m)})`
      );
    case 'adagrad':
      return (
        `Adagrad (η = ${m.lr}` +
        opt(m.lrDecay > 0, `decay ${m.lrDecay}`) +
        opt(m.weightDecay > 0, `λ = ${m.weightDecay}`) +
        opt(m.initialAccumulatorValue > 0, `S₀ = ${m.initialAccumulatorValue}`) +
        opt(m.eps !== 1e-10, `ε = ${m.eps}`) +
        `${sched(m)})`
      );
  }
}

/** "×0.1 at 30, 70", "cosine to 0 over 30", "SGDR T₀ = 10, T_mult = 2". */
export function scheduleLabel(s: LrSchedule): string {
  switch (s.kind) {
    case 'step':
      return `×${s.gamma} at ${s.milestones.join(', ') || 'never'}`;
    case 'cosine':
      return `cosine to ${s.etaMin}${s.tMax !== undefined ? ` over ${s.tMax}` : ''}`;
    case 'sgdr':
      return `SGDR T₀ = ${s.t0}, T_mult = ${s.tMult}${s.etaMin > 0 ? `, η_min = ${s.etaMin}` : ''}`;
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

export type SpecTextResult =
  { ok: true; value: unknown } | { ok: false; message: string; line: number; column: number };

/**
 * A spec file's text as JSON, for the CLI and the UI's "Open JSON" alike: a UTF-8 byte-order
 * mark (which editors on Windows write) is dropped, and a syntax error says where, by line and
 * column, which V8's "at position 1234" of Node 20 does not say usefully.
 */
export function parseSpecText(text: string): SpecTextResult {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (err) {
    const raw = (err as Error).message;
    const at = /at position (\d+)/.exec(raw);
    // Without a position ("Unexpected end of JSON input") the problem is at the end.
    const offset = at ? Number(at[1]) : body.length;
    const before = body.slice(0, offset).split(/\r\n|\r|\n/);
    const line = before.length;
    const column = before[before.length - 1]!.length + 1;
    const what = raw
      .replace(/\s*in JSON at position \d+.*$/s, '')
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/^Unexpected end of JSON input$/, 'the text ends before the JSON does');
    return { ok: false, message: `line ${line}, column ${column}: ${what}`, line, column };
  }
}
