// The experiments domain: list, validate and submit specs; show, rename and delete experiments.
import type { ExperimentSpecInput } from '../../shared/spec';
import { bridge } from './bridge';

export const experimentsApi = {
  list: () => bridge().invoke('experiments.list', {}),
  validate: (spec: unknown) => bridge().invoke('experiments.validate', { spec }),
  submit: (spec: ExperimentSpecInput | unknown) => bridge().invoke('experiments.submit', { spec }),
  /** One experiment by name, id or unique id prefix, with its description, tags and runs. */
  get: (key: string) => bridge().invoke('experiments.get', { key }),
  rename: (key: string, name: string) => bridge().invoke('experiments.rename', { key, name }),
  /** Refused while a run of it is running, unless `cancel`. */
  remove: (key: string, cancel = false) => bridge().invoke('experiments.delete', { key, cancel }),
};
export type ExperimentsApi = typeof experimentsApi;
