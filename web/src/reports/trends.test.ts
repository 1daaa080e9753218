import { describe, expect, it } from 'vitest';
import type { Trends } from '../api/types';
import {
  burnupChart, burnupCsv, burnupSummary, burnupTable, csvField, cycleChart, cycleCsv, cycleSummary, fmtHours, overdueChart,
  overdueCsv, overdueSummary, periodLabel, type ChartColors,
} from './trends';

const colors: ChartColors = {
  text: 'T', muted: 'M', grid: 'G', surface: 'S', scope: 'SCOPE', done: 'DONE', created: 'CREATED', completed: 'COMPLETED', bar: 'BAR', overdue: 'OVERDUE',
};

const week = (from: string, to: string, created: number, completed: number, scope: number, done: number) => ({ from, to, created, completed, scope, done });

/** Three weeks in Auckland (UTC+13 in November): each Monday 00:00 local is Sunday 11:00 UTC. */
const trends: Trends = {
  range: '8w', unit: 'week', from: '2026-10-18T11:00:00Z', to: '2026-11-08T11:00:00Z', asOf: '2026-11-08T11:00:00Z', timeZone: 'Pacific/Auckland',
  periods: [
    week('2026-10-18T11:00:00Z', '2026-10-25T11:00:00Z', 2, 1, 6, 2),
    week('2026-10-25T11:00:00Z', '2026-11-01T11:00:00Z', 0, 3, 6, 5),
    week('2026-11-01T11:00:00Z', '2026-11-08T11:00:00Z', 4, 0, 10, 5),
  ],
  cycleTime: {
    basis: 'firstInProgress', count: 4, medianHours: 30, p85Hours: 400,
    buckets: [
      { label: '<1d', minHours: 0, maxHours: 24, count: 1 }, { label: '1–3d', minHours: 24, maxHours: 72, count: 2 },
      { label: '3–7d', minHours: 72, maxHours: 168, count: 0 }, { label: '1–2w', minHours: 168, maxHours: 336, count: 0 },
      { label: '>2w', minHours: 336, maxHours: null, count: 1 },
    ],
  },
  overdueByAssignee: [
    { userId: 'a1', displayName: 'Ada, "the" Countess', overdue: 3 },
    { userId: 'b2', displayName: '=HYPERLINK("x")', overdue: 1 },
    { userId: null, displayName: 'Unassigned', overdue: 1 },
  ],
};

describe('CSV', () => {
  it('quotes commas, quotes and newlines, and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('-3')).toBe("'-3");
    expect(csvField(-3)).toBe('-3');
    expect(csvField(null)).toBe('');
  });

  it('writes the burn-up per period with the days in the report zone', () => {
    expect(burnupCsv(trends)).toBe(
      'period_start,period_end,created,completed,scope,done\r\n'
      + '2026-10-19,2026-10-26,2,1,6,2\r\n'
      + '2026-10-26,2026-11-02,0,3,6,5\r\n'
      + '2026-11-02,2026-11-09,4,0,10,5\r\n');
  });

  it('writes the cycle-time buckets and the overdue rows', () => {
    expect(cycleCsv(trends)).toBe('bucket,min_hours,max_hours,tasks\r\n<1d,0,24,1\r\n1–3d,24,72,2\r\n3–7d,72,168,0\r\n1–2w,168,336,0\r\n>2w,336,,1\r\n');
    expect(overdueCsv(trends)).toBe(
      'assignee_id,assignee,overdue\r\n'
      + 'a1,"Ada, ""the"" Countess",3\r\n'
      + `b2,"'=HYPERLINK(""x"")",1\r\n`
      + ',Unassigned,1\r\n');
  });
});

describe('data → chart', () => {
  it('draws created/completed as bars and scope/done as lines, labelled by the local Monday', () => {
    const spec = burnupChart(trends, colors, 'en-GB');
    expect(spec.data.labels).toEqual(['19 Oct', '26 Oct', '2 Nov']);
    const byLabel = Object.fromEntries(spec.data.datasets.map(d => [d.label, d]));
    expect(byLabel.Scope).toMatchObject({ type: 'line', data: [6, 6, 10], borderColor: 'SCOPE' });
    expect(byLabel.Done).toMatchObject({ type: 'line', data: [2, 5, 5], borderColor: 'DONE' });
    expect(byLabel.Created).toMatchObject({ type: 'bar', data: [2, 0, 4], backgroundColor: 'CREATED' });
    expect(byLabel.Completed).toMatchObject({ type: 'bar', data: [1, 3, 0], backgroundColor: 'COMPLETED' });
    expect(spec.options).toMatchObject({ animation: false, plugins: { legend: { labels: { color: 'T' } } } });
  });

  it('labels months by month and year', () => {
    expect(periodLabel({ unit: 'month', timeZone: 'UTC' }, '2026-10-01T00:00:00Z', 'en-GB')).toBe('Oct 2026');
    expect(periodLabel({ unit: 'month', timeZone: 'UTC' }, '2026-05-01T00:00:00Z', 'en-GB')).toBe('May 2026');
  });

  it('draws the cycle-time buckets and the overdue rows (horizontal)', () => {
    const cycle = cycleChart(trends, colors);
    expect(cycle.data.labels).toEqual(['<1d', '1–3d', '3–7d', '1–2w', '>2w']);
    expect(cycle.data.datasets[0].data).toEqual([1, 2, 0, 0, 1]);
    const overdue = overdueChart(trends, colors);
    expect(overdue.data.labels).toEqual(['Ada, "the" Countess', '=HYPERLINK("x")', 'Unassigned']);
    expect(overdue.data.datasets[0]).toMatchObject({ data: [3, 1, 1], backgroundColor: 'OVERDUE' });
    expect(overdue.options).toMatchObject({ indexAxis: 'y' });
  });
});

describe('text alternatives', () => {
  it('summarise each chart in words', () => {
    expect(burnupSummary(trends)).toBe('Burn-up over the last 8 weeks: scope from 6 to 10 tasks, done from 2 to 5; 6 created and 4 completed in the range.');
    expect(cycleSummary(trends)).toBe('Cycle time of 4 completed tasks: median 30 h, 85th percentile 16.7 d; <1d: 1, 1–3d: 2, 3–7d: 0, 1–2w: 0, >2w: 1.');
    expect(overdueSummary(trends)).toBe('Overdue open tasks by assignee: Ada, "the" Countess 3, =HYPERLINK("x") 1, Unassigned 1.');
    expect(overdueSummary({ ...trends, overdueByAssignee: [] })).toBe('Overdue by assignee: no overdue open tasks.');
    expect(burnupTable(trends, 'en-GB').rows[2]).toEqual(['2 Nov', 4, 0, 10, 5]);
    expect(fmtHours(null)).toBe('—');
  });
});
