// A network is a pure function of its parameters: `apply(params, x)`. The parameters live
// outside it, so a method can evaluate candidate weights (w + Δ, w − ηg) without touching
// the model's own variables, and a rejected move needs no restore at all.
import type * as tf from '@tensorflow/tfjs-core';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Inputs feeding one output unit: kh·kw·cin for a conv kernel, the input width for a dense one. */
  fanIn: number;
  /** Output units fed by one input, for Glorot's rule. */
  fanOut: number;
  kind: 'weight' | 'bias';
}

export interface InputShape {
  height: number;
  width: number;
  channels: number;
}

export interface Network {
  id: string;
  input: InputShape;
  numClasses: number;
  params: ParamSpec[];
  /** Logits [batch, numClasses] for images [batch, height, width, channels]. */
  apply(params: readonly tf.Tensor[], x: tf.Tensor4D, training: boolean): tf.Tensor2D;
}

export function parameterCount(net: Pick<Network, 'params'>): number {
  return net.params.reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** Builders of parameter specs, so architectures read like their PyTorch definitions. */
export function convParams(name: string, kh: number, kw: number, cin: number, cout: number): ParamSpec[] {
  return [
    {
      name: `${name}.weight`,
      shape: [kh, kw, cin, cout],
      fanIn: kh * kw * cin,
      fanOut: kh * kw * cout,
      kind: 'weight',
    },
    { name: `${name}.bias`, shape: [cout], fanIn: kh * kw * cin, fanOut: kh * kw * cout, kind: 'bias' },
  ];
}

export function denseParams(name: string, inputs: number, outputs: number): ParamSpec[] {
  return [
    { name: `${name}.weight`, shape: [inputs, outputs], fanIn: inputs, fanOut: outputs, kind: 'weight' },
    { name: `${name}.bias`, shape: [outputs], fanIn: inputs, fanOut: outputs, kind: 'bias' },
  ];
}

/** Spatial size after a conv or pool, PyTorch's formula. */
export function outSize(size: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((size + 2 * pad - kernel) / stride) + 1;
}
