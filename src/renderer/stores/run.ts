// One run, live: its records grow as epochs finish; its log collects what the trainer says.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Payload, RunDetail } from '../../shared/contract';
import { queueApi, runsApi } from '../api';

export interface LogLine {
  at: string;
  text: string;
  kind: 'info' | 'error';
}

const LOG_LIMIT = 500;

export const useRunStore = defineStore('run', () => {
  const runId = ref<string | null>(null);
  const detail = ref<RunDetail | null>(null);
  const error = ref<string | null>(null);
  const log = ref<LogLine[]>([]);
  /** Per run: lines heard since this window opened (logs are not stored in the database). */
  const logs = new Map<string, LogLine[]>();
  const epochsSeen = new Map<string, Set<number>>();
  let subscribed = false;

  function remember(id: string, text: string, kind: LogLine['kind'] = 'info') {
    const lines = logs.get(id) ?? [];
    lines.push({ at: new Date().toISOString(), text, kind });
    if (lines.length > LOG_LIMIT) lines.splice(0, lines.length - LOG_LIMIT);
    logs.set(id, lines);
    if (id === runId.value) log.value = [...lines];
  }

  function onEvent(e: Payload<'runner'>) {
    if (!('runId' in e)) return;
    const mine = detail.value && e.runId === detail.value.run.id;
    switch (e.type) {
      case 'log':
        remember(e.runId, e.message);
        break;
      case 'run-started':
        remember(
          e.runId,
          `started on ${e.environment.backend} (${e.environment.backendReason})${e.resumedFromEpoch ? `, resuming after epoch ${e.resumedFromEpoch}` : ''}`,
        );
        for (const n of e.notes) remember(e.runId, n);
        // A retried or resumed run: its status, attempts and epochs are new.
        if (mine) void reload();
        break;
      case 'epoch': {
        // The follower and the executor may both report an epoch: log it once.
        const seen = epochsSeen.get(e.runId) ?? new Set<number>();
        epochsSeen.set(e.runId, seen);
        if (seen.has(e.epoch)) break;
        seen.add(e.epoch);
        remember(
          e.runId,
          `epoch ${e.epoch}: val ${(e.val.accuracy * 100).toFixed(2)} % · loss ${e.val.loss.toFixed(4)} · train loss ${e.train.loss.toFixed(4)}`,
        );
        if (mine && !detail.value!.result.epochs.some((x) => x.epoch === e.epoch)) {
          detail.value!.result.epochs = [...detail.value!.result.epochs, e];
          detail.value!.run.epochsDone = detail.value!.result.epochs.length;
        }
        break;
      }
      case 'progress':
        if (mine)
          detail.value!.run.progress = { stepsPerSecond: null, at: '', ...detail.value!.run.progress, ...e };
        break;
      case 'run-finished':
        remember(e.runId, 'finished');
        if (mine) void reload();
        break;
      case 'run-failed':
        remember(e.runId, `failed: ${e.reason}`, 'error');
        if (mine) void reload();
        break;
      case 'run-cancelled':
        remember(e.runId, 'cancelled');
        if (mine) void reload();
        break;
    }
  }

  function init() {
    if (subscribed) return;
    subscribed = true;
    runsApi.onRunner(onEvent);
    // Any queue change may be this run's: a retry turns a failed run into a queued one, which a
    // check of the status shown (failed) would miss.
    queueApi.onChanged(() => {
      if (detail.value) void reload();
    });
  }

  async function open(id: string) {
    init();
    if (runId.value !== id) detail.value = null;
    runId.value = id;
    log.value = [...(logs.get(id) ?? [])];
    await reload();
  }

  async function reload() {
    if (!runId.value) return;
    try {
      const d = await runsApi.get(runId.value);
      if (d.run.id === runId.value || d.run.id.startsWith(runId.value)) detail.value = d;
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  return { runId, detail, error, log, init, open, reload, onEvent };
});
