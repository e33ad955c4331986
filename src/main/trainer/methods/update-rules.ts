// The optimizer of each gradient method: its per-parameter buffers and step count (the state a
// checkpoint carries), and which update of backend/ it applies. SGD's momentum buffer, Adam's
// two moments (and AMSGrad's maximum), RMSprop's averages, Adagrad's sum; all created at the
// first step, as PyTorch creates its optimizer state lazily.
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { MethodSpecOf } from '../../../shared/spec';
import { adagradUpdate, adamUpdate, rmspropUpdate } from '../backend/adaptive-updates';
import { sgdUpdate } from '../backend/sgd-update';
import type { SavedTensor } from './method';

export interface UpdateRule {
  /** Update every parameter in place from its gradient, at learning rate `lr`. */
  apply(params: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number): void;
  /** Forget the buffers and the step count (a cold restart resets the optimizer). */
  reset(): void;
  /** True while buffers exist. */
  hasState(): boolean;
  saveTensors(): Promise<SavedTensor[]>;
  loadTensors(tensors: readonly SavedTensor[], params: readonly tf.Variable[]): void;
  /** The checkpoint's scalar state: the step count where the update depends on it, else nothing. */
  readonly scalarSchema: z.ZodObject;
  saveScalars(): Record<string, number>;
  loadScalars(scalars: Record<string, unknown>): void;
}

const counted = z.strictObject({ step: z.number().int().min(0) });
const uncounted = z.strictObject({});

/** Named buffers of the parameters' shapes, one set per name, plus a step count. */
abstract class BufferedRule implements UpdateRule {
  private buffers: Map<string, tf.Variable[]> | null = null;
  protected step = 0;
  readonly scalarSchema: z.ZodObject;

  /**
   * @param names the buffer sets this configuration needs (none: a stateless update)
   * @param countsSteps whether the update depends on the step count, which is then saved
   * @param fill the buffers' starting value (Adagrad's initial_accumulator_value; else 0)
   */
  constructor(
    private readonly names: readonly string[],
    private readonly countsSteps: boolean,
    private readonly fill = 0,
  ) {
    this.scalarSchema = countsSteps ? counted : uncounted;
  }

  /** Update one parameter; `buffer(name)` is its buffer of that name. */
  protected abstract update(
    w: tf.Variable,
    g: tf.Tensor,
    buffer: (name: string) => tf.Variable | null,
    lr: number,
  ): void;

  apply(params: readonly tf.Variable[], grads: readonly tf.Tensor[], lr: number): void {
    if (this.names.length > 0 && !this.buffers) {
      this.buffers = new Map(
        this.names.map((n) => [
          n,
          tf.tidy(() => params.map((p) => tf.variable(tf.fill(p.shape, this.fill), false))),
        ]),
      );
    }
    this.step += 1;
    params.forEach((w, i) => this.update(w, grads[i]!, (name) => this.buffers?.get(name)?.[i] ?? null, lr));
  }

  reset(): void {
    if (this.buffers) for (const set of this.buffers.values()) tf.dispose(set);
    this.buffers = null;
    this.step = 0;
  }

  hasState(): boolean {
    return this.buffers !== null;
  }

  /** `velocity.0`, `expAvg.3`, …: the set's name and the parameter's index. */
  async saveTensors(): Promise<SavedTensor[]> {
    const named = [...(this.buffers ?? [])].flatMap(([name, set]) =>
      set.map((v, i) => ({ name: `${name}.${i}`, tensor: v })),
    );
    return Promise.all(
      named.map(async ({ name, tensor }) => ({
        name,
        shape: [...tensor.shape],
        values: (await tensor.data()) as Float32Array,
      })),
    );
  }

  loadTensors(tensors: readonly SavedTensor[], params: readonly tf.Variable[]): void {
    const step = this.step;
    this.reset();
    this.step = step;
    const sets = this.names.map((name) => tensors.filter((t) => t.name.startsWith(`${name}.`)));
    if (sets.every((s) => s.length === 0)) return;
    sets.forEach((set, k) => {
      if (set.length !== params.length) {
        throw new Error(
          `the checkpoint has ${set.length} ${this.names[k]} buffers for ${params.length} parameters`,
        );
      }
    });
    this.buffers = new Map(
      sets.map((set, k) => [
        this.names[k]!,
        tf.tidy(() =>
          params.map((_, i) => {
            const t = set.find((s) => s.name === `${this.names[k]}.${i}`);
            if (!t) throw new Error(`the checkpoint lacks the buffer ${this.names[k]}.${i}`);
            return tf.variable(tf.tensor(t.values, t.shape), false);
          }),
        ),
      ]),
    );
  }

  saveScalars(): Record<string, number> {
    return this.countsSteps ? { step: this.step } : {};
  }

  loadScalars(scalars: Record<string, unknown>): void {
    this.step = this.countsSteps ? (scalars.step as number) : 0;
  }
}

/** SGD with PyTorch's momentum (backend/sgd-update.ts); a buffer only when momentum > 0. */
export class SgdRule extends BufferedRule {
  constructor(private readonly o: { momentum: number; nesterov: boolean; weightDecay: number }) {
    super(o.momentum > 0 ? ['velocity'] : [], false);
  }

  protected update(w: tf.Variable, g: tf.Tensor, buffer: (name: string) => tf.Variable | null, lr: number) {
    const { momentum, nesterov, weightDecay } = this.o;
    sgdUpdate(w, g, buffer('velocity'), { lr, momentum, nesterov, weightDecay });
  }
}

/** Adam and AdamW (torch.optim.Adam / AdamW, amsgrad included). */
export class AdamRule extends BufferedRule {
  constructor(
    private readonly o: MethodSpecOf<'adam'> | MethodSpecOf<'adamw'>,
    private readonly decoupled: boolean,
  ) {
    super(o.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq'], true);
  }

  protected update(w: tf.Variable, g: tf.Tensor, buffer: (name: string) => tf.Variable | null, lr: number) {
    const [beta1, beta2] = this.o.betas;
    adamUpdate(w, g, buffer('expAvg')!, buffer('expAvgSq')!, buffer('maxExpAvgSq'), this.step, {
      lr,
      beta1,
      beta2,
      eps: this.o.eps,
      weightDecay: this.o.weightDecay,
      amsgrad: this.o.amsgrad,
      decoupled: this.decoupled,
    });
  }
}

/** torch.optim.RMSprop; its step count does not enter the update, so none is kept. */
export class RmspropRule extends BufferedRule {
  constructor(private readonly o: MethodSpecOf<'rmsprop'>) {
    super(['squareAvg', ...(o.centered ? ['gradAvg'] : []), ...(o.momentum > 0 ? ['momentum'] : [])], false);
  }

  protected update(w: tf.Variable, g: tf.Tensor, buffer: (name: string) => tf.Variable | null, lr: number) {
    rmspropUpdate(w, g, buffer('squareAvg')!, buffer('gradAvg'), buffer('momentum'), { ...this.o, lr });
  }
}

/** torch.optim.Adagrad: the sum starts at initial_accumulator_value; the step count decays the rate. */
export class AdagradRule extends BufferedRule {
  constructor(private readonly o: MethodSpecOf<'adagrad'>) {
    super(['sum'], true, o.initialAccumulatorValue);
  }

  protected update(w: tf.Variable, g: tf.Tensor, buffer: (name: string) => tf.Variable | null, lr: number) {
    adagradUpdate(w, g, buffer('sum')!, this.step, { ...this.o, lr });
  }
}

export type GradientSpec = MethodSpecOf<'sgd' | 'scheduled-sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad'>;

export function updateRuleFor(spec: GradientSpec): UpdateRule {
  switch (spec.id) {
    case 'sgd':
    case 'scheduled-sgd':
      return new SgdRule(spec);
    case 'adam':
      return new AdamRule(spec, false);
    case 'adamw':
      return new AdamRule(spec, true);
    case 'rmsprop':
      return new RmspropRule(spec);
    case 'adagrad':
      return new AdagradRule(spec);
  }
}
