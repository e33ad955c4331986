// The experiment grid: methods × models × seeds, in the order runs are queued
// (all methods of one model and seed together, so early results already compare methods).
import { methodLabel, type ExperimentSpec } from '../../shared/spec';
import type { NewRun } from '../store';

export function experimentGrid(spec: ExperimentSpec): NewRun[] {
  const runs: NewRun[] = [];
  for (const seed of spec.seeds) {
    for (const model of spec.models) {
      spec.methods.forEach((m, methodIndex) => {
        runs.push({ position: runs.length, methodIndex, method: m.id, label: methodLabel(m), model, seed });
      });
    }
  }
  return runs;
}
