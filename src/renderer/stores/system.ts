// System: backend in use and why, devices, data dir, database size.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SystemInfo } from '../../shared/contract';
import { systemApi } from '../api';

export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);

  async function refresh() {
    loading.value = true;
    try {
      info.value = await systemApi.info();
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      loading.value = false;
    }
  }

  return { info, error, loading, refresh };
});
