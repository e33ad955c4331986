// The datasets domain.
import type { Input, Payload } from '../../shared/contract';
import { bridge } from './bridge';

export const datasetsApi = {
  list: () => bridge().invoke('datasets.list', {}),
  preview: (id: string, samples = 80) => bridge().invoke('datasets.preview', { id, samples }),
  import: (input: Input<'datasets.import'>) => bridge().invoke('datasets.import', input),
  delete: (name: string) => bridge().invoke('datasets.delete', { name }),
  choosePaths: (folders: boolean) =>
    bridge().invoke('host.choosePaths', { title: 'Choose what to import', folders }),
  onImportProgress: (listener: (p: Payload<'datasets.importProgress'>) => void) =>
    bridge().on('datasets.importProgress', listener),
  onChanged: (listener: (p: Payload<'datasets.changed'>) => void) =>
    bridge().on('datasets.changed', listener),
};
export type DatasetsApi = typeof datasetsApi;
