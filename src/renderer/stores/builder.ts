// The "New experiment" builder: a draft, validated as it changes with the same validator as
// the CLI, saved and loaded as JSON, submitted to the queue.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { MethodId, ModelId } from '../../shared/ids';
import { parseSpecText, validateSpec, type SpecProblem } from '../../shared/spec';
import { ContractError, type SubmitResult } from '../../shared/contract';
import { experimentsApi } from '../api';
import {
  draftToSpec,
  emptyDraft,
  methodDraft,
  pathMatches,
  PRESETS,
  specToDraft,
  type SpecDraft,
} from '../builder/draft';

export const useBuilderStore = defineStore('builder', () => {
  const draft = ref<SpecDraft>(emptyDraft());
  /** Dataset names the host knows; until they arrive, only the built-ins. */
  const datasets = ref<string[]>(['mnist', 'fashion-mnist']);
  const submitting = ref(false);
  /** Problems the host reported on submit (e.g. a dataset removed meanwhile). */
  const hostProblems = ref<SpecProblem[]>([]);
  const lastSubmitted = ref<SubmitResult | null>(null);

  const spec = computed(() => draftToSpec(draft.value));
  const specJson = computed(() => JSON.stringify(spec.value, null, 2));
  const validation = computed(() => validateSpec(spec.value, { datasets: datasets.value }));
  const problems = computed<SpecProblem[]>(() => [
    ...(validation.value.ok ? [] : validation.value.problems),
    ...hostProblems.value,
  ]);
  const valid = computed(() => problems.value.length === 0);
  const runCount = computed(() => {
    const s = spec.value as { seeds?: unknown[]; models?: unknown[]; methods?: unknown[] };
    // A sweep stands for several methods: count the validated spec's once it is valid.
    const methods = validation.value.ok ? validation.value.spec.methods.length : (s.methods?.length ?? 0);
    return (s.seeds?.length ?? 0) * (s.models?.length ?? 0) * methods;
  });

  function problemsAt(path: string): SpecProblem[] {
    return problems.value.filter((p) => pathMatches(p.path, path));
  }

  function reset() {
    draft.value = emptyDraft(datasets.value[0] ?? 'mnist');
    hostProblems.value = [];
  }

  function addMethod(id: MethodId) {
    draft.value.methods.push(methodDraft(id));
  }

  function removeMethod(key: number) {
    draft.value.methods = draft.value.methods.filter((m) => m.key !== key);
  }

  function moveMethod(key: number, delta: number) {
    const list = draft.value.methods;
    const i = list.findIndex((m) => m.key === key);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j]!, list[i]!];
  }

  function resetMethod(key: number) {
    const i = draft.value.methods.findIndex((m) => m.key === key);
    if (i >= 0) draft.value.methods[i] = methodDraft(draft.value.methods[i]!.id);
  }

  function toggleModel(id: ModelId, on: boolean) {
    const set = new Set(draft.value.models);
    if (on) set.add(id);
    else set.delete(id);
    draft.value.models = [...set];
  }

  function applyPreset(id: string) {
    const p = PRESETS.find((x) => x.id === id);
    if (!p) throw new Error(`no preset "${id}"`);
    draft.value.methods = p.methods();
    Object.assign(draft.value, p.settings ?? {});
  }

  /** Load a spec file's text (a BOM is fine); throws with the line and column when it is not JSON. */
  function loadJson(text: string) {
    const parsed = parseSpecText(text);
    if (!parsed.ok) throw new Error(`not valid JSON: ${parsed.message}`);
    draft.value = specToDraft(parsed.value);
    hostProblems.value = [];
  }

  async function submit(): Promise<SubmitResult | null> {
    if (!valid.value) return null;
    submitting.value = true;
    hostProblems.value = [];
    try {
      const result = await experimentsApi.submit(spec.value);
      lastSubmitted.value = result;
      return result;
    } catch (err) {
      if (err instanceof ContractError && err.problems) {
        hostProblems.value = err.problems;
        return null;
      }
      throw err;
    } finally {
      submitting.value = false;
    }
  }

  return {
    draft,
    datasets,
    submitting,
    hostProblems,
    lastSubmitted,
    spec,
    specJson,
    problems,
    valid,
    runCount,
    problemsAt,
    reset,
    addMethod,
    removeMethod,
    moveMethod,
    resetMethod,
    toggleModel,
    applyPreset,
    loadJson,
    submit,
  };
});
