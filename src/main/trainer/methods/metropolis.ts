// The accept/reject rule SSA and SGD-SA share, and the move statistics they record.
import type { AcceptanceSummary, MoveCounts } from '../../../shared/records';
import type { Rng } from '../../../shared/rng';

/** At most this many acceptance probabilities are stored per epoch; beyond it, an even sample. */
export const SAMPLE_LIMIT = 1024;

export type MoveKind = 'better' | 'acceptedWorse' | 'rejectedWorse';

export interface MoveDecision {
  kind: MoveKind;
  /** exp(−Δ/T) for a worsening move, null for a better one. */
  probability: number | null;
}

/**
 * Decide a move from how much it worsens the objective (`worsening` = L' − L0 for a loss,
 * acc0 − acc' for an accuracy). A move that does not worsen is always taken; otherwise it is
 * taken with probability exp(−worsening/T), drawing one uniform from `rng`.
 */
export function metropolis(worsening: number, temperature: number, rng: Rng): MoveDecision {
  if (!(worsening > 0)) {
    if (Number.isNaN(worsening)) throw new Error('the objective is NaN: the weights have diverged');
    return { kind: 'better', probability: null };
  }
  const probability = Math.exp(-worsening / temperature);
  return { kind: rng.uniform() < probability ? 'acceptedWorse' : 'rejectedWorse', probability };
}

/** Per-epoch tally of moves and of the acceptance probabilities of worsening ones. */
export class MoveStats {
  counts: MoveCounts = { better: 0, acceptedWorse: 0, rejectedWorse: 0 };
  private probabilities: number[] = [];

  record(decision: MoveDecision): void {
    this.counts[decision.kind] += 1;
    if (decision.probability !== null) this.probabilities.push(decision.probability);
  }

  get total(): number {
    const c = this.counts;
    return c.better + c.acceptedWorse + c.rejectedWorse;
  }

  summary(): AcceptanceSummary {
    return summarizeProbabilities(this.probabilities);
  }

  reset(): void {
    this.counts = { better: 0, acceptedWorse: 0, rejectedWorse: 0 };
    this.probabilities = [];
  }
}

export function summarizeProbabilities(ps: readonly number[]): AcceptanceSummary {
  if (ps.length === 0) {
    return { count: 0, mean: null, min: null, max: null, median: null, sample: [], sampled: false };
  }
  const sorted = [...ps].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const sampled = ps.length > SAMPLE_LIMIT;
  const sample = sampled
    ? Array.from({ length: SAMPLE_LIMIT }, (_, i) => ps[Math.floor((i * ps.length) / SAMPLE_LIMIT)]!)
    : [...ps];
  return {
    count: ps.length,
    mean: ps.reduce((a, b) => a + b, 0) / ps.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    median,
    sample,
    sampled,
  };
}

/** T ← max(α·T, Tmin), after each epoch. */
export function cool(temperature: number, cooling: number, minTemperature: number): number {
  return Math.max(cooling * temperature, minTemperature);
}
