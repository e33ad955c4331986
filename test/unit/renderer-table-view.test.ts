// Sorting and filtering of the Experiments and Queue tables.
import { describe, expect, it } from 'vitest';
import { compareValues, filterRows, nextSort, sortRows } from '../../src/renderer/util/table-view';

interface Row {
  name: string;
  acc: number | null;
}
const rows: Row[] = [
  { name: 'run 10', acc: 0.9 },
  { name: 'run 2', acc: null },
  { name: 'Run 1', acc: 0.95 },
  { name: 'lenet ssa', acc: 0.9 },
];
const value = (r: Row, k: 'name' | 'acc') => r[k];

describe('table sorting', () => {
  it('sorts numbers by value and text with numbers inside by value, case-insensitively', () => {
    expect(sortRows(rows, { key: 'name', direction: 'asc' }, value).map((r) => r.name)).toEqual([
      'lenet ssa',
      'Run 1',
      'run 2',
      'run 10',
    ]);
    expect(compareValues(2, 10)).toBeLessThan(0);
  });

  it('keeps missing values last in both directions, and equal rows in their original order', () => {
    const asc = sortRows(rows, { key: 'acc', direction: 'asc' }, value).map((r) => r.name);
    const desc = sortRows(rows, { key: 'acc', direction: 'desc' }, value).map((r) => r.name);
    expect(asc).toEqual(['run 10', 'lenet ssa', 'Run 1', 'run 2']);
    expect(desc).toEqual(['Run 1', 'run 10', 'lenet ssa', 'run 2']);
  });

  it('cycles a heading through ascending, descending and unsorted', () => {
    const a = nextSort({ key: null, direction: 'asc' }, 'acc');
    expect(a).toEqual({ key: 'acc', direction: 'asc' });
    const b = nextSort(a, 'acc');
    expect(b).toEqual({ key: 'acc', direction: 'desc' });
    expect(nextSort(b, 'acc').key).toBeNull();
    expect(nextSort(b, 'name')).toEqual({ key: 'name', direction: 'asc' });
    expect(sortRows(rows, { key: null, direction: 'asc' }, value)).toEqual(rows);
  });
});

describe('table filter', () => {
  it('keeps rows that contain every word anywhere in their fields', () => {
    const text = (r: Row) => [r.name, r.acc];
    expect(filterRows(rows, 'SSA lenet', text).map((r) => r.name)).toEqual(['lenet ssa']);
    expect(filterRows(rows, '  ', text)).toHaveLength(4);
    expect(filterRows(rows, 'run', text)).toHaveLength(3);
    expect(filterRows(rows, 'nothing', text)).toEqual([]);
  });
});
