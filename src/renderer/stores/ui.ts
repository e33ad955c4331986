// Theme, notices and the host the app runs in.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { systemApi } from '../api';

export type Theme = 'light' | 'dark';

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

function initialTheme(): Theme {
  if (typeof window === 'undefined') return 'light';
  const saved = window.localStorage?.getItem('annealab.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export const useUiStore = defineStore('ui', () => {
  const theme = ref<Theme>(initialTheme());
  const notices = ref<Notice[]>([]);
  const host = ref<{ host: 'web' | 'electron'; version: string; dataDir: string } | null>(null);
  let next = 1;

  function setTheme(t: Theme) {
    theme.value = t;
    if (typeof document !== 'undefined') document.documentElement.dataset.theme = t;
    if (typeof window !== 'undefined') window.localStorage?.setItem('annealab.theme', t);
  }

  function toggleTheme() {
    setTheme(theme.value === 'dark' ? 'light' : 'dark');
  }

  function notify(text: string, kind: Notice['kind'] = 'info', ms = 5000) {
    const id = next++;
    // At most three at a time, newest last: older ones go rather than pile up over the view.
    notices.value = [...notices.value.slice(-2), { id, kind, text }];
    if (ms > 0) setTimeout(() => dismiss(id), ms);
  }

  function dismiss(id: number) {
    notices.value = notices.value.filter((n) => n.id !== id);
  }

  /** Run an action and turn its failure into a notice instead of an unhandled rejection. */
  async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      notify(`${what}: ${(err as Error).message}`, 'error', 10_000);
      return undefined;
    }
  }

  async function loadHost() {
    host.value = await systemApi.app();
  }

  return { theme, notices, host, setTheme, toggleTheme, notify, dismiss, attempt, loadHost };
});
