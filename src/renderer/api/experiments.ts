// The experiments domain: list, validate and submit specs.
import type { ExperimentSpecInput } from '../../shared/spec';
import { bridge } from './bridge';

export const experimentsApi = {
  list: () => bridge().invoke('experiments.list', {}),
  validate: (spec: unknown) => bridge().invoke('experiments.validate', { spec }),
  submit: (spec: ExperimentSpecInput | unknown) => bridge().invoke('experiments.submit', { spec }),
};
export type ExperimentsApi = typeof experimentsApi;
