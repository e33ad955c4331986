// What `annealab analyze estimate-error` computes (the thesis's Table 2.1): the trainer's worker
// computes the table, the host adds which run it is; one definition for both sides of the process.

export interface EstimateErrorRow {
  batches: number;
  /** Examples one estimate looks at (k minibatches, fewer when the split is smaller). */
  examples: number;
  trials: number;
  rmse: number;
  rmseThesis: number;
  /** Mean of the estimates minus the exact value (a sample without replacement is unbiased: ~0). */
  bias: number;
}

export interface EstimateErrorTable {
  exact: { loss: number; lossThesis: number; accuracy: number };
  trainCount: number;
  batchSize: number;
  rows: EstimateErrorRow[];
}
