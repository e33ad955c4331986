// Compare: a selection of experiments (or some of their runs), their curves drawn with the
// shared figure builders, and the thesis-format table from the shared table model.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { FIGURE_KINDS, methodStyles, type ChartX, type FigureKind } from '../../shared/charts';
import { smoothRuns, type ExportFile } from '../../shared/contract';
import type { RunResult } from '../../shared/results';
import {
  buildComparisonTable,
  type ComparisonTable,
  type LossNorm,
  type SignificanceTest,
  type TableStat,
} from '../../shared/table';
import { exportsApi, runsApi } from '../api';

export type TableFormat = 'csv' | 'latex' | 'markdown';

export const useCompareStore = defineStore('compare', () => {
  const experimentIds = ref<string[]>([]);
  /** When set, only these runs of the chosen experiments. */
  const runIds = ref<string[] | null>(null);
  const results = ref<RunResult[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const kinds = ref<FigureKind[]>(['val-accuracy', 'val-loss', 'train-vs-val-loss', 'moves']);
  const x = ref<ChartX>('epoch');
  const smoothing = ref(0);
  const bands = ref(true);
  const norm = ref<LossNorm>('mean');

  const stat = ref<TableStat>('best');
  const baseline = ref<string>('');
  const test = ref<SignificanceTest>('welch');
  let subscribed = false;

  const selected = computed(() =>
    runIds.value ? results.value.filter((r) => runIds.value!.includes(r.runId)) : results.value,
  );
  /** What the curves show: the chosen runs that have epochs, smoothed as asked. */
  const plotted = computed(() =>
    smoothRuns(
      selected.value.filter((r) => r.epochs.length > 0),
      smoothing.value,
    ),
  );
  /**
   * Colours and legend order from the whole selection, whatever each run's status: the export
   * computes them the same way from the same selection, so the two agree.
   */
  const styles = computed(() => methodStyles(selected.value));
  /** The table counts finished runs only (the model notes the others). */
  const table = computed<ComparisonTable | null>(() => {
    if (selected.value.length === 0) return null;
    try {
      return buildComparisonTable(selected.value, {
        stat: stat.value,
        norm: norm.value,
        test: test.value,
        ...(baseline.value ? { baseline: baseline.value } : {}),
      });
    } catch (err) {
      error.value = (err as Error).message;
      return null;
    }
  });
  const methodLabels = computed(() => [...new Set(selected.value.map((r) => r.label))]);

  async function load() {
    if (experimentIds.value.length === 0) {
      results.value = [];
      return;
    }
    loading.value = true;
    try {
      results.value = await runsApi.results(experimentIds.value);
      error.value = null;
    } catch (err) {
      error.value = (err as Error).message;
    } finally {
      loading.value = false;
    }
  }

  function init() {
    if (subscribed) return;
    subscribed = true;
    runsApi.onRunner((e) => {
      if (e.type === 'epoch') {
        const run = results.value.find((r) => r.runId === e.runId);
        if (run && !run.epochs.some((x) => x.epoch === e.epoch)) run.epochs = [...run.epochs, e];
      } else if (e.type === 'run-finished' || e.type === 'run-failed' || e.type === 'run-cancelled') {
        if (experimentIds.value.includes(e.experimentId)) void load();
      }
    });
  }

  async function setExperiments(ids: string[]) {
    experimentIds.value = [...new Set(ids)];
    runIds.value = null;
    if (baseline.value && !results.value.some((r) => r.label === baseline.value)) baseline.value = '';
    await load();
  }

  function toggleExperiment(id: string, on: boolean) {
    const next = on ? [...experimentIds.value, id] : experimentIds.value.filter((x) => x !== id);
    return setExperiments(next);
  }

  function toggleRun(id: string, on: boolean) {
    const all = results.value.map((r) => r.runId);
    const current = new Set(runIds.value ?? all);
    if (on) current.add(id);
    else current.delete(id);
    runIds.value = current.size === all.length ? null : [...current];
  }

  function selection() {
    return { experimentIds: experimentIds.value, ...(runIds.value ? { runIds: runIds.value } : {}) };
  }

  function exportTable(format: TableFormat): Promise<ExportFile> {
    return exportsApi.table({
      ...selection(),
      format,
      options: {
        stat: stat.value,
        norm: norm.value,
        test: test.value,
        ...(baseline.value ? { baseline: baseline.value } : {}),
      },
    });
  }

  function exportFigure(kind: FigureKind, format: 'svg' | 'png'): Promise<ExportFile> {
    return exportsApi.figure({
      ...selection(),
      kind,
      format,
      options: {
        x: x.value,
        bands: bands.value,
        norm: norm.value,
        smoothing: smoothing.value,
        width: 900,
        height: 560,
      },
    });
  }

  return {
    experimentIds,
    runIds,
    results,
    loading,
    error,
    kinds,
    x,
    smoothing,
    bands,
    norm,
    stat,
    baseline,
    test,
    selected,
    plotted,
    styles,
    table,
    methodLabels,
    init,
    load,
    setExperiments,
    toggleExperiment,
    toggleRun,
    exportTable,
    exportFigure,
  };
});

export { FIGURE_KINDS };
