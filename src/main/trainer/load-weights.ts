// Loading a weights file (docs/weights-format.md) back into `buildNetwork`'s model: the
// network it names, its parameters, and its batch-norm running statistics bound to it, so that
// `net.apply(params, x, false)` gives what the run validated.
import * as tf from '@tensorflow/tfjs-core';
import type { SavedTensor } from './methods/method';
import { bindBuffers, buildNetwork, initialBuffers, type Network } from './models';
import { readStoredWeights, readWeightsFile, type WeightsFile, type WeightsMeta } from './weights-file';

export interface LoadedWeights {
  meta: WeightsMeta;
  /** Bound to `buffers` when the network has batch-norm: evaluate it with `params`. */
  net: Network;
  params: tf.Variable[];
  buffers: tf.Variable[];
  /** What the caller should know: e.g. running statistics the file did not have. */
  notes: string[];
  dispose(): void;
}

/**
 * `legacy`: for a best-weights file of an older Annealab (parameters only, no input shape in its
 * header), the input and classes to build its network with (the run's dataset's).
 */
export function loadWeights(
  path: string,
  legacy?: { input: WeightsMeta['input']; numClasses: number },
): LoadedWeights {
  const file = legacy ? upgraded(path, legacy) : readWeightsFile(path);
  const { meta } = file;
  const net = buildNetwork(meta.model, meta.input, meta.numClasses);
  const notes = [...meta.notes];
  expectTensors(path, 'parameters', net.params, file.params);
  let bufferValues: readonly SavedTensor[] | null = file.buffers;
  if (net.buffers.length > 0 && meta.buffers === 'not-saved') {
    bufferValues = null;
    notes.push(
      `${path} has no batch-norm running statistics (its best weights were saved before Annealab kept ` +
        'them): the network normalises with the initial ones (mean 0, variance 1), so it does not ' +
        "reproduce the run's recorded validation result",
    );
  } else {
    expectTensors(path, 'batch-norm buffers', net.buffers, file.buffers);
  }
  const params = tf.tidy(() => file.params.map((t) => tf.variable(tf.tensor(t.values, t.shape), false)));
  const buffers = tf.tidy(() =>
    (bufferValues ? bufferValues.map((t) => tf.tensor(t.values, t.shape)) : initialBuffers(net)).map((t) =>
      tf.variable(t, false),
    ),
  );
  return {
    meta,
    net: bindBuffers(net, buffers),
    params,
    buffers,
    notes,
    dispose: () => {
      tf.dispose(params);
      tf.dispose(buffers);
    },
  };
}

/** The file's tensors must be the network's, by name and shape, in order. */
function expectTensors(
  path: string,
  what: string,
  specs: readonly { name: string; shape: number[] }[],
  tensors: readonly SavedTensor[],
): void {
  const problems: string[] = [];
  if (tensors.length !== specs.length)
    problems.push(`${tensors.length} ${what}, the network has ${specs.length}`);
  specs.forEach((spec, i) => {
    const t = tensors[i];
    if (t && (t.name !== spec.name || t.shape.join('×') !== spec.shape.join('×'))) {
      problems.push(
        `#${i} is ${t.name} [${t.shape.join('×')}], expected ${spec.name} [${spec.shape.join('×')}]`,
      );
    }
  });
  if (problems.length > 0) {
    throw new Error(`${path} does not fit the network it names: ${problems.slice(0, 3).join('; ')}`);
  }
}

/** An older best-weights file as this format has it: no running statistics, the given shape. */
function upgraded(path: string, shape: { input: WeightsMeta['input']; numClasses: number }): WeightsFile {
  const stored = readStoredWeights(path);
  if (stored.kind === 'current') return stored.file;
  return {
    meta: {
      format: 'annealab-weights',
      version: 1,
      model: stored.model,
      input: shape.input,
      numClasses: shape.numClasses,
      dtype: 'float32',
      byteOrder: 'little-endian',
      kind: 'best',
      epoch: stored.epoch,
      validation: null,
      buffers: 'not-saved',
      notes: [],
    },
    params: stored.params,
    buffers: [],
  };
}
