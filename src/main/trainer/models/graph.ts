// One definition per architecture, run two ways. An architecture is a function of a small set of
// layer operations (`Ops<T>`), generic in what flows between them: traced once on shapes when the
// network is built, it yields the parameter and buffer specs and the layer summary; run on tensors,
// it is the network's forward pass. Both walks take the same path, so the specs cannot drift from
// the computation (and `apply` checks every parameter's shape as it reads it).
import * as tf from '@tensorflow/tfjs-core';
import {
  batchNormInfer,
  batchNormTrain,
  type AfterBatchNorm,
  conv2d as convLayer,
  dense as denseLayer,
  explicitPad,
  flatten as flattenLayer,
  updateRunningStats,
} from './layers';
import {
  ceilPoolSize,
  outSize,
  type ApplyOptions,
  type BufferSpec,
  type InitOverride,
  type InputShape,
  type LayerSummary,
  type Network,
  type ParamSpec,
} from './network';

/** The shape of one example: [height, width, channels] or [features]. */
export type Shape = readonly number[];

export interface ConvOptions {
  out: number;
  /** Square kernel size. */
  k: number;
  stride?: number;
  /** Zero padding on every side (PyTorch's `padding`). */
  pad?: number;
  /** Default true, as nn.Conv2d. */
  bias?: boolean;
  /** The published definition's own initialisation, where it has one. */
  init?: { weight?: InitOverride; bias?: InitOverride };
}

export interface DepthwiseOptions {
  k: number;
  stride?: number;
  pad?: number;
  bias?: boolean;
}

export interface PoolOptions {
  k: number;
  /** Default: the kernel size. */
  stride?: number;
  /** PyTorch's ceil_mode: keep a last, partial window. */
  ceil?: boolean;
}

export interface Ops<T> {
  shape(x: T): Shape;
  conv(x: T, name: string, o: ConvOptions): T;
  /** One filter per channel (PyTorch: groups = channels, channel multiplier 1). */
  depthwiseConv(x: T, name: string, o: DepthwiseOptions): T;
  /**
   * Batch-norm, then optionally a residual added and ReLU: one operation in training mode (see
   * layers.batchNormTrain), three rows in the summary.
   */
  batchNorm(x: T, name: string, after?: AfterBatchNorm<T>): T;
  relu(x: T): T;
  maxPool(x: T, o: PoolOptions): T;
  /** Mean over height and width: [h, w, c] → [c]. */
  globalAvgPool(x: T): T;
  flatten(x: T): T;
  dense(x: T, name: string, out: number): T;
  add(a: T, b: T): T;
  /** Along the channels. */
  concat(xs: T[]): T;
  dropout(x: T, rate: number): T;
}

/** An architecture: the input in, the logits out. */
export type Body = <T>(ops: Ops<T>, x: T) => T;

const times = (k: number) => `${k}×${k}`;

class TraceOps implements Ops<Shape> {
  readonly params: ParamSpec[] = [];
  readonly buffers: BufferSpec[] = [];
  readonly layers: LayerSummary[] = [];
  hasDropout = false;
  /** How many operations read each value (by identity): for the ReLU fusion below. */
  private readonly reads = new Map<Shape, number>();
  /** The outputs of conv and dense layers in call order, and the values a ReLU reads. */
  private readonly affineOutputs: Shape[] = [];
  private readonly reluInputs = new Set<Shape>();

  constructor(private readonly id: string) {}

  private read(...xs: Shape[]): void {
    for (const x of xs) this.reads.set(x, (this.reads.get(x) ?? 0) + 1);
  }

  /**
   * The conv and dense layers (by call order) whose output only a ReLU reads: RunOps computes
   * that ReLU in the layer's own kernel (backend/fused-ops.ts). Any other reader, or an operation
   * that hands its input on as its output, leaves the ReLU separate.
   */
  fusedRelus(): Set<number> {
    const fused = new Set<number>();
    this.affineOutputs.forEach((o, i) => {
      if (this.reluInputs.has(o) && this.reads.get(o) === 1) fused.add(i);
    });
    return fused;
  }

  private fail(what: string): never {
    throw new Error(`${this.id}: ${what}`);
  }

  private image(x: Shape, op: string): [number, number, number] {
    if (x.length !== 3) this.fail(`${op} needs an image (height × width × channels), got [${x.join(', ')}]`);
    return x as [number, number, number];
  }

  private row(name: string, op: string, output: Shape, added: ParamSpec[]): Shape {
    this.params.push(...added);
    const params = added.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
    this.layers.push({ name, op, output: [...output], params });
    return output;
  }

  private spatial(size: number, k: number, stride: number, pad: number, op: string): number {
    const out = outSize(size, k, stride, pad);
    if (out < 1) this.fail(`${op} leaves no output from a ${size}-pixel side: the input is too small`);
    return out;
  }

  shape(x: Shape): Shape {
    return x;
  }

  conv(x: Shape, name: string, o: ConvOptions): Shape {
    this.read(x);
    const [h, w, cin] = this.image(x, 'conv');
    const { out, k, stride = 1, pad = 0, bias = true } = o;
    const op = `Conv2d ${times(k)}/${stride}${pad ? `, pad ${pad}` : ''}${bias ? '' : ', no bias'}`;
    const fanIn = k * k * cin;
    const fanOut = k * k * out;
    const specs: ParamSpec[] = [
      { name: `${name}.weight`, shape: [k, k, cin, out], fanIn, fanOut, kind: 'weight' },
    ];
    if (o.init?.weight) specs[0]!.pytorchInit = o.init.weight;
    if (bias) {
      specs.push({ name: `${name}.bias`, shape: [out], fanIn, fanOut, kind: 'bias' });
      if (o.init?.bias) specs[1]!.pytorchInit = o.init.bias;
    }
    const oh = this.spatial(h, k, stride, pad, op);
    const ow = this.spatial(w, k, stride, pad, op);
    const output = this.row(name, op, [oh, ow, out], specs);
    this.affineOutputs.push(output);
    return output;
  }

  depthwiseConv(x: Shape, name: string, o: DepthwiseOptions): Shape {
    this.read(x);
    const [h, w, c] = this.image(x, 'depthwise conv');
    const { k, stride = 1, pad = 0, bias = true } = o;
    const op = `DepthwiseConv2d ${times(k)}/${stride}${pad ? `, pad ${pad}` : ''}${bias ? '' : ', no bias'}`;
    // PyTorch's weight [c, 1, k, k]: each output sees k·k inputs of its own channel.
    const fan = k * k;
    const specs: ParamSpec[] = [
      { name: `${name}.weight`, shape: [k, k, c, 1], fanIn: fan, fanOut: fan, kind: 'weight' },
    ];
    if (bias) specs.push({ name: `${name}.bias`, shape: [c], fanIn: fan, fanOut: fan, kind: 'bias' });
    const oh = this.spatial(h, k, stride, pad, op);
    const ow = this.spatial(w, k, stride, pad, op);
    return this.row(name, op, [oh, ow, c], specs);
  }

  batchNorm(x: Shape, name: string, after: AfterBatchNorm<Shape> = {}): Shape {
    this.read(x);
    const c = x[x.length - 1]!;
    this.buffers.push(
      { name: `${name}.running_mean`, shape: [c], initial: 0 },
      { name: `${name}.running_var`, shape: [c], initial: 1 },
    );
    let out = this.row(name, x.length === 3 ? 'BatchNorm2d' : 'BatchNorm1d', x, [
      { name: `${name}.weight`, shape: [c], fanIn: c, fanOut: c, kind: 'gamma' },
      { name: `${name}.bias`, shape: [c], fanIn: c, fanOut: c, kind: 'beta' },
    ]);
    if (after.add) out = this.add(out, after.add);
    return after.relu ? this.relu(out) : out;
  }

  relu(x: Shape): Shape {
    this.read(x);
    this.reluInputs.add(x);
    return this.row('', 'ReLU', [...x], []);
  }

  maxPool(x: Shape, o: PoolOptions): Shape {
    this.read(x);
    const [h, w, c] = this.image(x, 'max-pool');
    const { k, stride = k, ceil = false } = o;
    const op = `MaxPool ${times(k)}/${stride}${ceil ? ', ceil' : ''}`;
    const size = (n: number) => (ceil ? ceilPoolSize(n, k, stride).out : outSize(n, k, stride, 0));
    // Ceil mode keeps a window that overhangs the edge, so it fits any map; floor mode does not.
    if (!ceil && (h < k || w < k)) this.fail(`${op} on a ${h}×${w} map: the input is too small`);
    return this.row('', op, [size(h), size(w), c], []);
  }

  globalAvgPool(x: Shape): Shape {
    this.read(x);
    const [, , c] = this.image(x, 'global average pool');
    return this.row('', 'GlobalAvgPool', [c], []);
  }

  flatten(x: Shape): Shape {
    this.read(x);
    return this.row('', 'Flatten', [x.reduce((a, b) => a * b, 1)], []);
  }

  dense(x: Shape, name: string, out: number): Shape {
    this.read(x);
    if (x.length !== 1) this.fail(`dense layer ${name} needs flat features, got [${x.join(', ')}]`);
    const inputs = x[0]!;
    const output = this.row(
      name,
      'Linear',
      [out],
      [
        { name: `${name}.weight`, shape: [inputs, out], fanIn: inputs, fanOut: out, kind: 'weight' },
        { name: `${name}.bias`, shape: [out], fanIn: inputs, fanOut: out, kind: 'bias' },
      ],
    );
    this.affineOutputs.push(output);
    return output;
  }

  add(a: Shape, b: Shape): Shape {
    this.read(a, b);
    if (a.length !== b.length || a.some((v, i) => v !== b[i])) {
      this.fail(`cannot add [${a.join(', ')}] and [${b.join(', ')}]`);
    }
    return this.row('', 'Add', a, []);
  }

  concat(xs: Shape[]): Shape {
    this.read(...xs);
    const first = xs[0];
    if (!first) this.fail('concat of nothing');
    const lead = first.slice(0, -1);
    if (xs.some((s) => s.length !== first.length || s.slice(0, -1).some((v, i) => v !== lead[i]))) {
      this.fail(`cannot concatenate ${xs.map((s) => `[${s.join(', ')}]`).join(' and ')} along channels`);
    }
    return this.row('', 'Concat', [...lead, xs.reduce((n, s) => n + s[s.length - 1]!, 0)], []);
  }

  dropout(x: Shape, rate: number): Shape {
    this.read(x);
    this.hasDropout = true;
    return this.row('', `Dropout(${rate})`, x, []);
  }
}

class RunOps implements Ops<tf.Tensor> {
  private p = 0;
  private b = 0;
  private readonly updated: tf.Tensor[] = [];
  /** Conv and dense layers so far (the index TraceOps.fusedRelus counts in). */
  private affine = 0;
  /** Outputs whose ReLU their layer's kernel already applied. */
  private readonly activated = new Set<tf.Tensor>();

  constructor(
    private readonly net: Pick<Network, 'id' | 'params' | 'buffers'>,
    private readonly params: readonly tf.Tensor[],
    private readonly training: boolean,
    private readonly options: ApplyOptions,
    private readonly fusedRelus: ReadonlySet<number> = new Set(),
  ) {}

  /** The activation the next conv or dense layer's kernel applies. */
  private nextActivation(): 'relu' | 'linear' {
    return this.fusedRelus.has(this.affine++) ? 'relu' : 'linear';
  }

  private activatedBy(activation: 'relu' | 'linear', y: tf.Tensor): tf.Tensor {
    if (activation === 'relu') this.activated.add(y);
    return y;
  }

  private param(): tf.Tensor {
    const spec = this.net.params[this.p];
    const t = this.params[this.p];
    this.p++;
    if (!spec || !t)
      throw new Error(`${this.net.id}: asked for parameter ${this.p - 1} of ${this.params.length}`);
    if (t.shape.length !== spec.shape.length || t.shape.some((v, i) => v !== spec.shape[i])) {
      throw new Error(`${this.net.id}: ${spec.name} has shape [${t.shape}], expected [${spec.shape}]`);
    }
    return t;
  }

  private buffer(i: number): tf.Tensor {
    const t = this.options.buffers?.[i];
    if (!t) {
      throw new Error(
        `${this.net.id} has batch-norm: ${this.training ? 'reporting running statistics' : 'inference mode'} ` +
          'needs its running statistics (ApplyOptions.buffers)',
      );
    }
    return t;
  }

  shape(x: tf.Tensor): Shape {
    return x.shape.slice(1);
  }

  conv(x: tf.Tensor, _name: string, o: ConvOptions): tf.Tensor {
    const w = this.param() as tf.Tensor4D;
    const { stride = 1, pad = 0, bias = true } = o;
    const activation = this.nextActivation();
    return this.activatedBy(
      activation,
      convLayer(x as tf.Tensor4D, w, bias ? this.param() : null, stride, pad, activation),
    );
  }

  depthwiseConv(x: tf.Tensor, _name: string, o: DepthwiseOptions): tf.Tensor {
    const w = this.param() as tf.Tensor4D;
    const { stride = 1, pad = 0, bias = true } = o;
    const y = tf.depthwiseConv2d(x as tf.Tensor4D, w, stride, pad === 0 ? 'valid' : explicitPad(pad));
    return bias ? tf.add(y, this.param()) : y;
  }

  batchNorm(x: tf.Tensor, _name: string, after: AfterBatchNorm<tf.Tensor> = {}): tf.Tensor {
    const gamma = this.param();
    const beta = this.param();
    const i = this.b;
    this.b += 2;
    if (!this.training) return batchNormInfer(x, gamma, beta, this.buffer(i), this.buffer(i + 1), after);
    const { y, mean, variance } = batchNormTrain(x, gamma, beta, after);
    try {
      if (this.options.onRunningStats) {
        const count = x.size / x.shape[x.rank - 1]!;
        this.updated.push(...updateRunningStats(this.buffer(i), this.buffer(i + 1), mean, variance, count));
      }
    } finally {
      tf.dispose([mean, variance]);
    }
    return y;
  }

  relu(x: tf.Tensor): tf.Tensor {
    return this.activated.has(x) ? x : tf.relu(x);
  }

  maxPool(x: tf.Tensor, o: PoolOptions): tf.Tensor {
    const { k, stride = k, ceil = false } = o;
    if (!ceil) return tf.maxPool(x as tf.Tensor4D, k, stride, 'valid');
    // The overhang of ceil mode as explicit padding, which max-pooling ignores (cpu and wasm).
    const [, h, w] = x.shape as [number, number, number, number];
    const bottom = ceilPoolSize(h, k, stride).extra;
    const right = ceilPoolSize(w, k, stride).extra;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [0, bottom],
      [0, right],
      [0, 0],
    ];
    return tf.maxPool(x as tf.Tensor4D, k, stride, bottom === 0 && right === 0 ? 'valid' : pad);
  }

  globalAvgPool(x: tf.Tensor): tf.Tensor {
    return tf.mean(x, [1, 2]);
  }

  flatten(x: tf.Tensor): tf.Tensor {
    return x.rank === 2 ? x : flattenLayer(x as tf.Tensor4D);
  }

  dense(x: tf.Tensor, _name: string, _out: number): tf.Tensor {
    const activation = this.nextActivation();
    return this.activatedBy(activation, denseLayer(x as tf.Tensor2D, this.param(), this.param(), activation));
  }

  add(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.add(a, b);
  }

  concat(xs: tf.Tensor[]): tf.Tensor {
    return tf.concat(xs, xs[0]!.rank - 1);
  }

  dropout(x: tf.Tensor, rate: number): tf.Tensor {
    const seed = this.training ? this.options.dropoutSeed : undefined;
    return seed ? tf.dropout(x, rate, undefined, seed()) : x;
  }

  /** After the body: every parameter used, and the updated running statistics handed over. */
  finish(): void {
    if (this.p !== this.params.length) {
      throw new Error(`${this.net.id}: used ${this.p} of the ${this.params.length} parameters given`);
    }
    if (this.training && this.options.onRunningStats && this.net.buffers.length > 0) {
      this.options.onRunningStats(this.updated.map((t) => tf.keep(t)));
    }
  }
}

/** A network from its architecture: traced now for its specs and summary, run by `apply`. */
export function defineNetwork(id: string, input: InputShape, numClasses: number, body: Body): Network {
  const trace = new TraceOps(id);
  const out = body(trace, [input.height, input.width, input.channels]);
  if (out.length !== 1 || out[0] !== numClasses) {
    throw new Error(`${id}: the architecture ends in [${out.join(', ')}], not [${numClasses}] logits`);
  }
  const spec = { id, params: trace.params, buffers: trace.buffers };
  const fusedRelus = trace.fusedRelus();
  return {
    id,
    input,
    numClasses,
    params: trace.params,
    buffers: trace.buffers,
    layers: trace.layers,
    hasDropout: trace.hasDropout,
    apply(params, x, training, options = {}) {
      if (params.length !== spec.params.length) {
        throw new Error(`${id} has ${spec.params.length} parameters, got ${params.length}`);
      }
      const ops = new RunOps(spec, params, training, options, fusedRelus);
      const logits = body(ops, x) as tf.Tensor2D;
      ops.finish();
      return logits;
    },
  };
}
