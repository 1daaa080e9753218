// The trends report → what the charts draw, what the screen reader reads and what "Download CSV" saves.
// Pure functions (no DOM, no Chart.js), so vitest checks them directly.
import type { Trends } from '../api/types';

/** The colours a chart uses: read from the page's CSS variables, so each theme gets its own. */
export interface ChartColors {
  text: string; muted: string; grid: string; surface: string;
  scope: string; done: string; created: string; completed: string; bar: string; overdue: string;
}

export type Table = { caption: string; head: string[]; rows: (string | number)[][] };

/** A YYYY-MM-DD day of an instant in a time zone. */
export function isoDay(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));
}

/** A period's axis label: "14 Sep" (a week, by its Monday) or "Sep 2026" (a month), in the report's zone. */
export function periodLabel(t: Pick<Trends, 'unit' | 'timeZone'>, from: string, locale?: string): string {
  const opts: Intl.DateTimeFormatOptions = t.unit === 'week' ? { day: 'numeric', month: 'short' } : { month: 'short', year: 'numeric' };
  return new Intl.DateTimeFormat(locale, { ...opts, timeZone: t.timeZone }).format(new Date(from));
}

/** Hours as people read them: "6 h", "2.5 d". */
export function fmtHours(h: number | null | undefined): string {
  if (h == null) return '—';
  return h < 48 ? `${Math.round(h * 10) / 10} h` : `${Math.round((h / 24) * 10) / 10} d`;
}

export function rangeName(range: string): string {
  return range === '6m' ? '6 months' : '8 weeks';
}

// ── Tables: the text alternative of each chart and the rows of its CSV ────────────────────────────────────

export function burnupTable(t: Trends, locale?: string): Table {
  return {
    caption: `Created, completed, scope and done per ${t.unit}, last ${rangeName(t.range)}`,
    head: [t.unit === 'week' ? 'Week starting' : 'Month', 'Created', 'Completed', 'Scope', 'Done'],
    rows: t.periods.map(p => [periodLabel(t, p.from, locale), p.created, p.completed, p.scope, p.done]),
  };
}

export function cycleTable(t: Trends): Table {
  return {
    caption: `Cycle time of the ${t.cycleTime.count} tasks completed in the last ${rangeName(t.range)}`,
    head: ['Cycle time', 'Tasks'],
    rows: t.cycleTime.buckets.map(b => [b.label, b.count]),
  };
}

export function overdueTable(t: Trends): Table {
  return {
    caption: 'Overdue open tasks by assignee',
    head: ['Assignee', 'Overdue'],
    rows: t.overdueByAssignee.map(o => [o.displayName, o.overdue]),
  };
}

// ── Summaries (the charts' aria-labels) ───────────────────────────────────────────────────────────────────

export function burnupSummary(t: Trends): string {
  const first = t.periods[0], last = t.periods[t.periods.length - 1];
  if (!first || !last) return 'No data.';
  const created = t.periods.reduce((s, p) => s + p.created, 0), completed = t.periods.reduce((s, p) => s + p.completed, 0);
  return `Burn-up over the last ${rangeName(t.range)}: scope from ${first.scope} to ${last.scope} tasks, done from ${first.done} to ${last.done}; `
    + `${created} created and ${completed} completed in the range.`;
}

export function cycleSummary(t: Trends): string {
  const c = t.cycleTime;
  if (c.count === 0) return `Cycle time: no tasks completed in the last ${rangeName(t.range)}.`;
  return `Cycle time of ${c.count} completed tasks: median ${fmtHours(c.medianHours)}, 85th percentile ${fmtHours(c.p85Hours)}; `
    + c.buckets.map(b => `${b.label}: ${b.count}`).join(', ') + '.';
}

export function overdueSummary(t: Trends): string {
  if (t.overdueByAssignee.length === 0) return 'Overdue by assignee: no overdue open tasks.';
  return 'Overdue open tasks by assignee: ' + t.overdueByAssignee.map(o => `${o.displayName} ${o.overdue}`).join(', ') + '.';
}

// ── CSV ───────────────────────────────────────────────────────────────────────────────────────────────────

/** One CSV field: quoted when needed; a text starting with = + - @ (a formula to a spreadsheet) gets a leading '. */
export function csvField(v: string | number | null | undefined): string {
  if (v == null) return '';
  if (typeof v === 'number') return String(v);
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(head: string[], rows: (string | number | null)[][]): string {
  return [head, ...rows].map(r => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** The burn-up CSV: ISO dates (in the report's zone) rather than screen labels, so spreadsheets sort them. */
export function burnupCsv(t: Trends): string {
  return toCsv(['period_start', 'period_end', 'created', 'completed', 'scope', 'done'],
    t.periods.map(p => [isoDay(p.from, t.timeZone), isoDay(p.to, t.timeZone), p.created, p.completed, p.scope, p.done]));
}

export function cycleCsv(t: Trends): string {
  return toCsv(['bucket', 'min_hours', 'max_hours', 'tasks'],
    t.cycleTime.buckets.map(b => [b.label, b.minHours, b.maxHours ?? null, b.count]));
}

export function overdueCsv(t: Trends): string {
  return toCsv(['assignee_id', 'assignee', 'overdue'],
    t.overdueByAssignee.map(o => [o.userId ?? '', o.displayName, o.overdue]));
}

// ── Chart.js configurations (plain objects: Chart.js is given them as they are) ───────────────────────────

type Dataset = { type?: 'bar' | 'line'; label: string; data: number[]; backgroundColor: string; borderColor: string; [k: string]: unknown };
export type ChartSpec = { type: 'bar'; data: { labels: string[]; datasets: Dataset[] }; options: Record<string, unknown> };

function baseOptions(c: ChartColors, title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const axis = { ticks: { color: c.muted, precision: 0 }, grid: { color: c.grid }, border: { color: c.grid } };
  return {
    responsive: true, maintainAspectRatio: false, animation: false,
    plugins: { legend: { labels: { color: c.text } }, title: { display: false, text: title }, tooltip: { enabled: true } },
    scales: { x: { ...axis }, y: { ...axis, beginAtZero: true } },
    ...extra,
  };
}

/** Created and completed as bars (throughput), scope and done as lines (burn-up). */
export function burnupChart(t: Trends, c: ChartColors, locale?: string): ChartSpec {
  const labels = t.periods.map(p => periodLabel(t, p.from, locale));
  const line = (label: string, data: number[], color: string, dash?: number[]): Dataset =>
    ({ type: 'line', label, data, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 3, borderDash: dash, order: 0 });
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        line('Scope', t.periods.map(p => p.scope), c.scope, [6, 4]),
        line('Done', t.periods.map(p => p.done), c.done),
        { type: 'bar', label: 'Created', data: t.periods.map(p => p.created), backgroundColor: c.created, borderColor: c.created, order: 1 },
        { type: 'bar', label: 'Completed', data: t.periods.map(p => p.completed), backgroundColor: c.completed, borderColor: c.completed, order: 1 },
      ],
    },
    options: baseOptions(c, 'Burn-up and throughput'),
  };
}

export function cycleChart(t: Trends, c: ChartColors): ChartSpec {
  return {
    type: 'bar',
    data: {
      labels: t.cycleTime.buckets.map(b => b.label),
      datasets: [{ label: 'Completed tasks', data: t.cycleTime.buckets.map(b => b.count), backgroundColor: c.bar, borderColor: c.bar }],
    },
    options: baseOptions(c, 'Cycle time distribution'),
  };
}

export function overdueChart(t: Trends, c: ChartColors): ChartSpec {
  return {
    type: 'bar',
    data: {
      labels: t.overdueByAssignee.map(o => o.displayName),
      datasets: [{ label: 'Overdue tasks', data: t.overdueByAssignee.map(o => o.overdue), backgroundColor: c.overdue, borderColor: c.overdue }],
    },
    options: baseOptions(c, 'Overdue by assignee', {
      indexAxis: 'y',
      scales: {
        x: { ticks: { color: c.muted, precision: 0 }, grid: { color: c.grid }, border: { color: c.grid }, beginAtZero: true },
        y: { ticks: { color: c.muted }, grid: { color: c.grid }, border: { color: c.grid } },
      },
    }),
  };
}
