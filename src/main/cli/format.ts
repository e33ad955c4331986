// How the CLI writes times: a clock (1:05, 1:02:03) where a line is redrawn or compared, and an
// ETA in words (40 s, 5 min, 1.2 h) in the queue's list. Seconds that are unknown (null, NaN,
// negative) print as "–" on the clock and as nothing in the list.
export const fmtDuration = (s: number): string => {
  if (!Number.isFinite(s) || s < 0) return '–';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0
    ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`
    : `${m}:${String(sec).padStart(2, '0')}`;
};

export const fmtEta = (s: number | null): string =>
  s === null || !Number.isFinite(s)
    ? ''
    : s >= 3600
      ? `${(s / 3600).toFixed(1)} h`
      : s >= 60
        ? `${Math.round(s / 60)} min`
        : `${Math.round(s)} s`;
