// Curve smoothing for the Compare view and its exported figures: an exponential moving
// average over epochs with TensorBoard's debiasing, so the first epochs are not pulled to 0.
// Applied to the plotted quantities only; the tables always use the raw records.
import type { EpochRecord } from '../records';
import type { RunResult } from '../results';

/** `weight` in [0, 1): 0 leaves the values as they are; 0.9 smooths strongly. */
export function smoothSeries(values: readonly number[], weight: number): number[] {
  if (!(weight > 0)) return [...values];
  let acc = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    n++;
    acc = weight * acc + (1 - weight) * v;
    return acc / (1 - weight ** n);
  });
}

/** The runs with their curves smoothed (validation and training-estimate loss and accuracy). */
export function smoothRuns(runs: readonly RunResult[], weight: number): RunResult[] {
  if (!(weight > 0)) return [...runs];
  return runs.map((run) => {
    const epochs = [...run.epochs].sort((a, b) => a.epoch - b.epoch);
    const pick = (f: (e: EpochRecord) => number) => smoothSeries(epochs.map(f), weight);
    const valLoss = pick((e) => e.val.loss);
    const valLossThesis = pick((e) => e.val.lossThesis);
    const valAcc = pick((e) => e.val.accuracy);
    const trainLoss = pick((e) => e.train.loss);
    const trainAcc = pick((e) => e.train.accuracy);
    return {
      ...run,
      epochs: epochs.map((e, i) => ({
        ...e,
        val: { loss: valLoss[i]!, lossThesis: valLossThesis[i]!, accuracy: valAcc[i]! },
        train: { loss: trainLoss[i]!, accuracy: trainAcc[i]! },
      })),
    };
  });
}
