import type { ModelId } from '../../../shared/ids';
import { alexnet } from './alexnet';
import { convnet } from './convnet';
import { lenet5 } from './lenet5';
import { mlp } from './mlp';
import { mobilenetv2 } from './mobilenetv2';
import type { InputShape, Network } from './network';
import { resnet } from './resnet';
import { squeezenet } from './squeezenet';
import { vgg } from './vgg';

export type { ApplyOptions, BufferSpec, InputShape, LayerSummary, Network, ParamSpec } from './network';
export { parameterCount } from './network';
export { initialValues, type InitScheme } from './init';
export { defineNetwork, type Body, type Ops } from './graph';
export { bindBuffers, initialBuffers, RunningStats, type SlotChoice } from './state';

export interface ModelInfo {
  build: (input: InputShape, numClasses: number) => Network;
  /** One line for `annealab models list` and the experiment builder. */
  description: string;
}

export const MODELS: Record<ModelId, ModelInfo> = {
  mlp: { build: mlp, description: 'one hidden layer of 128 ReLU units' },
  lenet5: { build: lenet5, description: 'LeNet-5: conv 6, conv 16 (5×5, max-pool), 120, 84' },
  convnet: {
    build: convnet,
    description: 'the thesis’s LeNet-like net: conv 32, conv 64 (5×5, max-pool), 1000',
  },
  alexnet: {
    build: alexnet,
    description: 'reduced AlexNet for CIFAR: five convs, three max-pools, one linear layer',
  },
  vgg11: { build: vgg('vgg11', false), description: 'VGG11, no batch-norm, one 512→classes linear layer' },
  'vgg11-bn': { build: vgg('vgg11', true), description: 'VGG11 with batch-norm after every conv' },
  vgg16: { build: vgg('vgg16', false), description: 'VGG16, no batch-norm, one 512→classes linear layer' },
  'vgg16-bn': { build: vgg('vgg16', true), description: 'VGG16 with batch-norm after every conv' },
  vgg19: { build: vgg('vgg19', false), description: 'VGG19, no batch-norm, one 512→classes linear layer' },
  'vgg19-bn': { build: vgg('vgg19', true), description: 'VGG19 with batch-norm after every conv' },
  resnet18: {
    build: resnet('resnet18', [2, 2, 2, 2]),
    description: 'ResNet18 (CIFAR variant): BasicBlocks with batch-norm, 3×3 stem',
  },
  resnet34: {
    build: resnet('resnet34', [3, 4, 6, 3]),
    description: 'ResNet34 (CIFAR variant): BasicBlocks with batch-norm, 3×3 stem',
  },
  mobilenetv2: {
    build: mobilenetv2,
    description: 'MobileNetV2 (CIFAR strides): inverted residuals, depthwise convs, batch-norm',
  },
  squeezenet: {
    build: squeezenet,
    description: 'SqueezeNet 1.0 (torchvision): Fire modules, dropout, adaptive average pool',
  },
};

export function buildNetwork(id: ModelId, input: InputShape, numClasses: number): Network {
  const info = MODELS[id];
  if (!info) throw new Error(`unknown model "${id}"; expected one of ${Object.keys(MODELS).join(', ')}`);
  return info.build(input, numClasses);
}
