// Which run an event is about, as every runner event names it.
import type { RunIdentity } from '../../shared/events';
import type { RunRow } from '../store';

export const identityOf = (run: RunRow): RunIdentity => ({
  experimentId: run.experimentId,
  runId: run.id,
  method: run.method,
  label: run.label,
  model: run.model,
  seed: run.seed,
});
