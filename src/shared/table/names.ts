// Display names for model and dataset ids, as papers print them. Ids the list does not know
// (imported datasets, future models) are shown as they are.

const MODEL_NAMES: Record<string, string> = {
  mlp: 'MLP',
  lenet5: 'LeNet-5',
  convnet: 'LeNet-like',
  alexnet: 'AlexNet',
  vgg11: 'VGG11',
  vgg16: 'VGG16',
  vgg19: 'VGG19',
  resnet18: 'ResNet18',
  resnet34: 'ResNet34',
  mobilenetv2: 'MobileNetV2',
  squeezenet: 'SqueezeNet',
};

const DATASET_NAMES: Record<string, string> = {
  mnist: 'MNIST',
  'fashion-mnist': 'Fashion-MNIST',
  cifar10: 'CIFAR-10',
  'cifar-10': 'CIFAR-10',
  cifar100: 'CIFAR-100',
  'cifar-100': 'CIFAR-100',
};

export function modelName(id: string): string {
  return MODEL_NAMES[id] ?? id;
}

export function datasetName(id: string): string {
  return DATASET_NAMES[id] ?? id;
}
