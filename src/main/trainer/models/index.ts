import type { ModelId } from '../../../shared/ids';
import { convnet } from './convnet';
import { lenet5 } from './lenet5';
import { mlp } from './mlp';
import type { InputShape, Network } from './network';

export type { InputShape, Network, ParamSpec } from './network';
export { parameterCount } from './network';
export { initialValues, type InitScheme } from './init';

const BUILDERS: Record<ModelId, (input: InputShape, numClasses: number) => Network> = {
  mlp,
  lenet5,
  convnet,
};

export function buildNetwork(id: ModelId, input: InputShape, numClasses: number): Network {
  const build = BUILDERS[id];
  if (!build) throw new Error(`unknown model "${id}"; expected one of ${Object.keys(BUILDERS).join(', ')}`);
  return build(input, numClasses);
}
