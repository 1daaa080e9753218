import { describe, expect, it } from 'vitest';
import { filtersFromSearch, searchWithFilters, searchWithout } from './filterUrl';
import { NO_FILTERS } from './model';

const U = '0d3c7a9e-1b2c-4d5e-8f90-123456789abc';
const L = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

describe('filters in the URL', () => {
  it('round-trips every filter', () => {
    const f = { assignee: U, priority: 'high', due: 'overdue', label: L };
    expect(filtersFromSearch(searchWithFilters('', f))).toEqual(f);
    expect(filtersFromSearch(searchWithFilters('', { ...NO_FILTERS, assignee: 'none', label: 'none', due: 'none' })))
      .toEqual({ ...NO_FILTERS, assignee: 'none', label: 'none', due: 'none' });
  });
  it('writes only what is set, and nothing at all for no filter', () => {
    expect(searchWithFilters('', NO_FILTERS)).toBe('');
    expect(searchWithFilters('', { ...NO_FILTERS, priority: 'urgent' })).toBe('?priority=urgent');
  });
  it('keeps other parameters and drops a cleared filter', () => {
    expect(searchWithFilters(`?task=t1&priority=low`, { ...NO_FILTERS, due: 'soon' })).toBe('?task=t1&due=soon');
    expect(searchWithout('?task=t1&due=soon', 'task')).toBe('?due=soon');
    expect(searchWithout('?task=t1', 'task')).toBe('');
  });
  it('ignores unknown keys and invalid values from a hand-edited link', () => {
    expect(filtersFromSearch('?priority=extreme&due=yesterday&assignee=<script>&label=x&foo=bar')).toEqual(NO_FILTERS);
    expect(filtersFromSearch(`?ASSIGNEE=${U}`)).toEqual(NO_FILTERS);
  });
  it('decodes encoded values', () => {
    expect(filtersFromSearch(`?assignee=${encodeURIComponent(U.toUpperCase())}`).assignee).toBe(U.toUpperCase());
  });
});
