// The queue: every run with its status and live progress, and the controls.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ExecutorState, QueueSnapshot, RunView } from '../../shared/contract';
import type { ExecutorSetting, ExecutorView, JobRecord } from '../../shared/executor';
import { queueApi, runsApi, systemApi } from '../api';

export interface LiveBest {
  accuracy: number;
  epoch: number | null;
}

export const useQueueStore = defineStore('queue', () => {
  const snapshot = ref<QueueSnapshot | null>(null);
  const error = ref<string | null>(null);
  const executor = ref<ExecutorState | null>(null);
  /** How runs get a process (local or slurm) and the Slurm jobs of running runs. */
  const executorView = ref<ExecutorView | null>(null);
  let subscribed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;

  const runs = computed<RunView[]>(() => snapshot.value?.runs ?? []);
  const queued = computed(() => runs.value.filter((r) => r.status === 'queued'));
  const running = computed(() => runs.value.filter((r) => r.status === 'running'));
  const paused = computed(() => snapshot.value?.paused ?? false);
  /**
   * Best validation accuracy so far of runs that have no summary yet (the host writes it when a
   * run ends): from their epochs, fetched once per run, then from each epoch event.
   */
  const liveBest = ref<Record<string, LiveBest>>({});
  const fetchingBest = new Set<string>();

  function noteEpoch(runId: string, epoch: number, accuracy: number) {
    const b = liveBest.value[runId];
    if (b && b.accuracy >= accuracy) return;
    liveBest.value = { ...liveBest.value, [runId]: { accuracy, epoch } };
  }

  /** Fills `liveBest` for running runs that recorded epochs before this window listened. */
  function fillLiveBest() {
    for (const r of running.value) {
      if (r.summary || r.epochsDone === 0 || liveBest.value[r.id] || fetchingBest.has(r.id)) continue;
      fetchingBest.add(r.id);
      void runsApi
        .get(r.id)
        .then((d) => {
          for (const e of d.result.epochs) noteEpoch(r.id, e.epoch, e.val.accuracy);
        })
        .catch(() => {
          // The next refresh tries again; the column shows "–" meanwhile.
        })
        .finally(() => fetchingBest.delete(r.id));
    }
  }

  /** The run's best validation accuracy: its summary's once ended, the best epoch so far while running. */
  function bestOf(run: RunView): LiveBest | null {
    const s = run.summary;
    if (s?.bestValAccuracy != null) return { accuracy: s.bestValAccuracy, epoch: s.bestEpoch ?? null };
    return liveBest.value[run.id] ?? null;
  }

  /** The Slurm job of a running run, when it has one. */
  function jobOf(runId: string): JobRecord | null {
    return executorView.value?.jobs.find((j) => j.runId === runId) ?? null;
  }

  async function refresh() {
    try {
      snapshot.value = await queueApi.list();
      executor.value = snapshot.value.executor;
      error.value = null;
      fillLiveBest();
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  /** The executor in force and the Slurm jobs of running runs: with the queue's changes and ticks. */
  async function refreshExecutorView() {
    try {
      executorView.value = await systemApi.executor();
    } catch {
      // A host without the route (or a test bridge): the queue shows without the executor.
      executorView.value = null;
    }
  }

  function refreshSoon(ms = 150) {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void refresh();
      void refreshExecutorView();
    }, ms);
  }

  /** Progress between snapshots: the bar moves with every report, the ETA with each refetch. */
  function applyProgress(runId: string, p: { epoch: number; step: number; steps: number; epochs: number }) {
    const run = snapshot.value?.runs.find((r) => r.id === runId);
    if (!run) return refreshSoon();
    run.progress = { stepsPerSecond: null, at: new Date().toISOString(), ...run.progress, ...p };
  }

  function init() {
    if (!subscribed) {
      subscribed = true;
      queueApi.onChanged(() => refreshSoon());
      queueApi.onExecutor((state) => {
        executor.value = state;
        refreshSoon();
      });
      runsApi.onRunner((e) => {
        if (e.type === 'progress') applyProgress(e.runId, e);
        else if (e.type === 'epoch') {
          const run = snapshot.value?.runs.find((r) => r.id === e.runId);
          if (run) run.epochsDone = Math.max(run.epochsDone, e.epoch);
          // Events cross a process boundary; one without a validation result adds no best.
          if (typeof e.val?.accuracy === 'number') noteEpoch(e.runId, e.epoch, e.val.accuracy);
        } else if (e.type === 'run-started') {
          // A retried run starts over: its old best is not its best any more.
          const { [e.runId]: _old, ...rest } = liveBest.value;
          liveBest.value = rest;
        }
      });
      // ETAs and throughput come from the host's measurements: refetch while something runs or
      // waits to run, so that a missed event (a stream reconnecting) never leaves a stale row.
      if (typeof window !== 'undefined') {
        ticker = setInterval(() => {
          if (running.value.length > 0 || queued.value.length > 0) {
            void refresh();
            void refreshExecutorView();
          }
        }, 2000);
      }
    }
    void refreshExecutorView();
    return refresh();
  }

  async function pause() {
    await queueApi.pause();
    await refresh();
  }
  async function resume() {
    await queueApi.resume();
    await refresh();
  }
  async function setConcurrency(value: number | null) {
    await queueApi.setConcurrency(value);
    await refresh();
  }
  async function cancel(runId: string) {
    await queueApi.cancel(runId);
    await refresh();
  }
  async function retry(runId: string, resumeFromCheckpoint = false) {
    await queueApi.retry(runId, resumeFromCheckpoint);
    await refresh();
  }
  /** Move a queued run up (-1) or down (+1) among the queued runs. */
  async function move(runId: string, delta: number) {
    const i = queued.value.findIndex((r) => r.id === runId);
    if (i < 0) return;
    const to = Math.max(0, Math.min(queued.value.length - 1, i + delta));
    if (to === i) return;
    await queueApi.move(runId, to);
    await refresh();
  }

  function stop() {
    if (ticker) clearInterval(ticker);
    ticker = null;
  }

  return {
    snapshot,
    error,
    executor,
    executorView,
    jobOf,
    refreshExecutorView,
    runs,
    queued,
    running,
    paused,
    liveBest,
    bestOf,
    init,
    refresh,
    refreshSoon,
    applyProgress,
    pause,
    resume,
    setConcurrency,
    cancel,
    retry,
    move,
    stop,
  };
});

/** Fraction of a run done: finished epochs plus the minibatches of the current one. */
export function runFraction(run: RunView): number {
  if (run.status === 'finished') return 1;
  const p = run.progress;
  if (p && run.status === 'running')
    return Math.min(1, ((p.epoch - 1) * p.steps + p.step) / (p.epochs * p.steps));
  return run.epochs > 0 ? Math.min(1, run.epochsDone / run.epochs) : 0;
}

/** The executor new runs get, for the Queue's badge: "local", or "slurm · partition gpu". */
export function executorBadge(s: ExecutorSetting): string {
  if (s.kind === 'local') return 'local';
  return `slurm · ${s.slurm.partition ? `partition ${s.slurm.partition}` : 'default partition'}`;
}

/** A running run's Slurm job in a few words: "job 123 · PENDING (Resources)", "job 123 · RUNNING on n1". */
export function jobLabel(j: JobRecord): string {
  const why = j.reason && j.reason !== 'None' ? ` (${j.reason})` : '';
  const node = j.node ? ` on ${j.node}` : '';
  return `job ${j.jobId ?? '…'} · ${j.state ?? 'submitted'}${why}${node}`;
}
