// Early stopping, an option of every method: the run ends once validation accuracy has not risen
// by more than minDelta for `patience` epochs in a row (PyTorch Lightning's EarlyStopping in
// "max" mode: an improvement is acc − minDelta > best, and only an improvement moves best). The
// run still ends "finished", with the best-on-validation weights as its output; its last record
// says it stopped early. The count lives in each epoch's record, so a checkpoint carries it.
import type { EarlyStoppingState } from '../../shared/records';
import type { EarlyStoppingOptions } from '../../shared/spec';

export class EarlyStopping {
  private best: number | null;
  private wait: number;
  private done: boolean;

  /** `resumed`: the state in the checkpoint's last record, to continue the count exactly. */
  constructor(
    private readonly options: EarlyStoppingOptions,
    resumed?: EarlyStoppingState,
  ) {
    this.best = resumed?.bestAccuracy ?? null;
    this.wait = resumed?.epochsWithoutImprovement ?? 0;
    this.done = resumed?.stopped ?? false;
  }

  /** After an epoch's validation; returns what its record keeps. */
  observe(accuracy: number): EarlyStoppingState {
    if (this.best === null || accuracy - this.options.minDelta > this.best) {
      this.best = accuracy;
      this.wait = 0;
    } else {
      this.wait += 1;
    }
    this.done = this.wait >= this.options.patience;
    return {
      bestAccuracy: this.best,
      epochsWithoutImprovement: this.wait,
      patience: this.options.patience,
      stopped: this.done,
    };
  }

  /** True once the patience has run out: no further epoch runs. */
  get stopped(): boolean {
    return this.done;
  }
}
