// The experiments list, kept fresh by the host's change events; renaming and deleting them.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { Deletion, ExperimentRename, ExperimentSummary } from '../../shared/contract';
import { experimentsApi, queueApi, runsApi } from '../api';

export const useExperimentsStore = defineStore('experiments', () => {
  const items = ref<ExperimentSummary[]>([]);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  let subscribed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function refresh() {
    try {
      items.value = await experimentsApi.list();
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      loaded.value = true;
    }
  }

  /** Many events arrive together (a run ends, the next starts): refetch once for them. */
  function refreshSoon(ms = 300) {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void refresh();
    }, ms);
  }

  function init() {
    if (!subscribed) {
      subscribed = true;
      queueApi.onChanged(() => refreshSoon());
      runsApi.onRunner((e) => {
        if (e.type === 'epoch') refreshSoon(1000);
      });
    }
    return refresh();
  }

  /** Rename by id (names need not be unique); the list shows the new name at once. */
  async function rename(id: string, name: string): Promise<ExperimentRename> {
    const trimmed = name.trim();
    if (!trimmed) throw new Error('a name cannot be empty');
    const renamed = await experimentsApi.rename(id, trimmed);
    items.value = items.value.map((e) => (e.id === id ? { ...e, name: renamed.to } : e));
    return renamed;
  }

  /** Delete by id with its runs, epochs and run files; throws the host's refusal while runs run. */
  async function remove(id: string, cancel = false): Promise<Deletion> {
    const deleted = await experimentsApi.remove(id, cancel);
    items.value = items.value.filter((e) => e.id !== id);
    return deleted;
  }

  const byId = computed(() => new Map(items.value.map((e) => [e.id, e])));

  return { items, loaded, error, byId, init, refresh, refreshSoon, rename, remove };
});
