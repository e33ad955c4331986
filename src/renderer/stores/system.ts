// System: backend in use and why, devices, data dir, database size; the queue's executor.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ContractError, type SystemInfo } from '../../shared/contract';
import type { ExecutorSetting, ExecutorView } from '../../shared/executor';
import { queueApi, systemApi } from '../api';

export interface ExecutorProblem {
  path: string;
  message: string;
}

export const useSystemStore = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  /** What `system.executor` says: the setting in force, whether Slurm can be used, its jobs. */
  const executor = ref<ExecutorView | null>(null);
  /** The host's problems with the last setting saved, by path (`slurm.time`). */
  const executorProblems = ref<ExecutorProblem[]>([]);
  const savingExecutor = ref(false);
  let subscribed = false;
  /**
   * Bumped by every read and save of the executor: a read answers only if nothing newer began
   * meanwhile, so that a slow refresh (system.info measures the disk) never undoes a save.
   */
  let executorGeneration = 0;

  async function refresh() {
    loading.value = true;
    const g = ++executorGeneration;
    try {
      const [i, e] = await Promise.all([systemApi.info(), systemApi.executor()]);
      info.value = i;
      if (g === executorGeneration) executor.value = e;
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      loading.value = false;
    }
  }

  async function refreshExecutor() {
    const g = ++executorGeneration;
    try {
      const e = await systemApi.executor();
      if (g === executorGeneration) executor.value = e;
    } catch (err) {
      error.value = (err as Error).message;
    }
  }

  /** The setting changes from the CLI or another window too: follow the queue's change events. */
  function init() {
    if (!subscribed) {
      subscribed = true;
      queueApi.onChanged(() => void refreshExecutor());
    }
    return refresh();
  }

  /**
   * Saves the executor. A setting the host refuses with problems by path leaves them in
   * `executorProblems` (shown next to their fields) and resolves false; other refusals throw.
   */
  async function saveExecutor(setting: ExecutorSetting): Promise<boolean> {
    savingExecutor.value = true;
    ++executorGeneration;
    try {
      const e = await systemApi.setExecutor(setting);
      ++executorGeneration;
      executor.value = e;
      executorProblems.value = [];
      return true;
    } catch (err) {
      if (err instanceof ContractError && err.problems?.length) {
        executorProblems.value = err.problems;
        return false;
      }
      throw err;
    } finally {
      savingExecutor.value = false;
    }
  }

  function problemsAt(path: string): ExecutorProblem[] {
    return executorProblems.value.filter((p) => p.path === path || p.path.startsWith(`${path}.`));
  }

  return {
    info,
    error,
    loading,
    executor,
    executorProblems,
    savingExecutor,
    init,
    refresh,
    refreshExecutor,
    saveExecutor,
    problemsAt,
  };
});
