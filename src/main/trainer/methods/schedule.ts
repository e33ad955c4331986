// Learning-rate schedules, per epoch (1-based), for every gradient method: the rate in force
// during an epoch is a pure function of the epoch, so a schedule adds nothing to a checkpoint.
// Each is PyTorch's scheduler stepped once after every epoch, as the thesis's code steps them.
import type { LrSchedule, MethodSpec } from '../../../shared/spec';

/** MultiStepLR (and scheduled-sgd): η·γ^(number of milestones before the epoch). */
export function scheduledLr(lr: number, milestones: readonly number[], gamma: number, epoch: number): number {
  const passed = milestones.filter((m) => epoch > m).length;
  return lr * gamma ** passed;
}

/** η_min + ½(η_max − η_min)(1 + cos(π·T_cur/T)): CosineAnnealingLR's closed form, and Eq. 2.1's. */
export function cosineLr(etaMax: number, etaMin: number, tCur: number, period: number): number {
  return etaMin + ((etaMax - etaMin) * (1 + Math.cos((Math.PI * tCur) / period))) / 2;
}

/**
 * Where `epoch` falls in SGDR's cycles (T_i = T_0·T_mult^i): T_cur, the epochs completed since the
 * last restart, and T_i, the length of the cycle it belongs to. With T_0 = 10, T_mult = 2 the cycles
 * are epochs 1–10, 11–30, 31–70, …: the rate restarts at η_max after epochs 10, 30 and 70.
 */
export function sgdrCycle(t0: number, tMult: number, epoch: number): { tCur: number; tI: number } {
  let tCur = epoch - 1;
  let tI = t0;
  while (tCur >= tI) {
    tCur -= tI;
    tI *= tMult;
  }
  return { tCur, tI };
}

/** The rate during `epoch` of a method whose constant rate (η_max) is `lr`. */
export function scheduleLr(lr: number, s: LrSchedule | undefined, epoch: number): number {
  if (!s) return lr;
  switch (s.kind) {
    case 'step':
      return scheduledLr(lr, s.milestones, s.gamma, epoch);
    case 'cosine': {
      // validateSpec fills tMax with the spec's epochs; a spec that skipped it cannot mean anything else.
      if (s.tMax === undefined) throw new Error('a cosine schedule without tMax reached the trainer');
      // PyTorch's T_max is the half period; past it the rate rises again along the same cosine.
      return cosineLr(lr, s.etaMin, epoch - 1, s.tMax);
    }
    case 'sgdr': {
      const { tCur, tI } = sgdrCycle(s.t0, s.tMult, epoch);
      return cosineLr(lr, s.etaMin, tCur, tI);
    }
  }
}

/** The rate in force during `epoch` for any gradient method's spec. */
export function epochLr(spec: Extract<MethodSpec, { lr: number }>, epoch: number): number {
  if (spec.id === 'scheduled-sgd') return scheduledLr(spec.lr, spec.milestones, spec.gamma, epoch);
  return scheduleLr(spec.lr, spec.schedule, epoch);
}
