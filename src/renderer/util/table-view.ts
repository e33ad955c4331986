// Sorting and text filtering of a view's table rows, as in experiment trackers: click a column
// heading to sort by it (again to reverse), type to keep the rows whose text matches.
import { computed, ref, type Ref } from 'vue';

export type SortDirection = 'asc' | 'desc';
export type SortValue = string | number | null | undefined;

export interface SortState<K extends string> {
  key: K | null;
  direction: SortDirection;
}

/** Missing values last in either direction; numbers by value; text by locale, numbers inside it by value ("run 2" before "run 10"). */
export function compareValues(a: SortValue, b: SortValue): number {
  const missing = (v: SortValue) =>
    v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
  if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/** The rows sorted by `value` of the sort key; a stable sort, so equal rows keep their order (the queue's). */
export function sortRows<R, K extends string>(
  rows: readonly R[],
  state: SortState<K>,
  value: (row: R, key: K) => SortValue,
): R[] {
  if (!state.key) return [...rows];
  const key = state.key;
  const sign = state.direction === 'asc' ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i, v: value(row, key) }))
    .sort((a, b) => {
      const missingA = a.v === null || a.v === undefined;
      const missingB = b.v === null || b.v === undefined;
      // Missing values stay last whichever way the column is sorted.
      if (missingA || missingB) return missingA === missingB ? a.i - b.i : missingA ? 1 : -1;
      return sign * compareValues(a.v, b.v) || a.i - b.i;
    })
    .map((x) => x.row);
}

/**
 * The rows whose text contains every word of `query` (case-insensitive), each word anywhere in
 * the row's fields: "ssa lenet" keeps SSA runs on LeNet-5.
 */
export function filterRows<R>(
  rows: readonly R[],
  query: string,
  text: (row: R) => (string | number | null | undefined)[],
): R[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...rows];
  return rows.filter((row) => {
    const hay = text(row)
      .filter((t) => t !== null && t !== undefined)
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The next state after a click on the heading of `key`: ascending, then descending, then unsorted. */
export function nextSort<K extends string>(state: SortState<K>, key: K): SortState<K> {
  if (state.key !== key) return { key, direction: 'asc' };
  if (state.direction === 'asc') return { key, direction: 'desc' };
  return { key: null, direction: 'asc' };
}

/** A column heading of a sortable table (components/SortableHeadings.vue draws them). */
export interface SortableHeading<K extends string> {
  key: K;
  text: string;
  num?: boolean;
  title?: string;
  style?: string;
}

/** A view's sort and filter state and its rows through both. */
export function useTableView<R, K extends string>(
  rows: () => readonly R[],
  value: (row: R, key: K) => SortValue,
  text: (row: R) => (string | number | null | undefined)[],
) {
  const sort: Ref<SortState<K>> = ref({ key: null, direction: 'asc' }) as Ref<SortState<K>>;
  const query = ref('');
  const shown = computed(() => sortRows(filterRows(rows(), query.value, text), sort.value, value));
  const by = (key: K) => (sort.value = nextSort(sort.value, key));
  /** For the heading's aria-sort and its arrow. */
  const ariaSort = (key: K) =>
    sort.value.key !== key ? 'none' : sort.value.direction === 'asc' ? 'ascending' : 'descending';
  const arrow = (key: K) => (sort.value.key !== key ? '' : sort.value.direction === 'asc' ? ' ▲' : ' ▼');
  return { sort, query, shown, by, ariaSort, arrow };
}
