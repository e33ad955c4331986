// The identifiers every layer agrees on: methods, models, built-in datasets, backends.

/** The thesis's five, then the adaptive baselines with PyTorch's semantics and defaults. */
export const METHOD_IDS = [
  'sgd',
  'scheduled-sgd',
  'restart',
  'ssa',
  'sgd-sa',
  'adam',
  'adamw',
  'rmsprop',
  'adagrad',
] as const;
export type MethodId = (typeof METHOD_IDS)[number];

/**
 * Models this build can construct (DESIGN.md's list). `vgg11`/`vgg16`/`vgg19` are the thesis's,
 * without batch-norm; the `-bn` ids add a BatchNorm2d after every convolution.
 */
export const MODEL_IDS = [
  'mlp',
  'lenet5',
  'convnet',
  'alexnet',
  'vgg11',
  'vgg11-bn',
  'vgg16',
  'vgg16-bn',
  'vgg19',
  'vgg19-bn',
  'resnet18',
  'resnet34',
  'mobilenetv2',
  'squeezenet',
] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export const BUILTIN_DATASET_IDS = ['mnist', 'fashion-mnist'] as const;
export type BuiltinDatasetId = (typeof BUILTIN_DATASET_IDS)[number];

/** In auto's order: tfjs-node-gpu (CUDA), WebGPU on a real GPU, our wasm kernels, plain JavaScript. */
export const BACKEND_IDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];
/** What a spec, flag or environment variable may ask for: a backend, or the first that loads. */
export type BackendRequest = BackendId | 'auto';

/** The thesis's learning-rate sets for SGD-SA (chapter 4). */
export const LR_SETS: Record<'H1' | 'H2', readonly number[]> = {
  H1: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.09, 0.08, 0.07, 0.06, 0.05],
  H2: [0.5, 0.4, 0.3, 0.2, 0.1, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01],
};
