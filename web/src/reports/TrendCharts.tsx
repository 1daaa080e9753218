// The trend charts of the reports page (Chart.js on canvas): burn-up/throughput, cycle time, overdue by assignee.
// Each has a heading, a text alternative (an aria-label summary and a visually hidden table), and CSV/PNG downloads.
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartConfiguration, type Plugin,
} from 'chart.js';
import { flushSync } from 'react-dom';
import { api } from '../api/client';
import type { TrendRange, Trends } from '../api/types';
import { Spinner } from '../ui/Spinner';
import {
  burnupChart, burnupCsv, burnupSummary, burnupTable, cycleChart, cycleCsv, cycleSummary, cycleTable, fmtHours, isoDay,
  overdueChart, overdueCsv, overdueSummary, overdueTable, rangeName, type ChartColors, type ChartSpec, type Table,
} from './trends';
import './reports.css';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

/** Paints the panel's colour under the chart, so a PNG is not transparent (dark text on nothing). */
const background: Plugin = {
  id: 'taskhubBackground',
  beforeDraw(chart, _args, opts: { color?: string }) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = opts.color ?? '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

function readColors(): ChartColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#1b1b1f'), muted: v('--muted', '#6b6b76'), grid: v('--border', '#e3e3e8'), surface: v('--surface', '#ffffff'),
    scope: v('--muted', '#6b6b76'), done: v('--green', '#2f9e6e'), created: v('--accent', '#5e6ad2'), completed: v('--amber', '#975a16'),
    bar: v('--accent', '#5e6ad2'), overdue: v('--danger', '#c0263a'),
  };
}

/** Paper is white whatever the theme: the light theme's colours (see the print styles in reports.css). */
const PRINT_COLORS: ChartColors = {
  text: '#000000', muted: '#44444c', grid: '#cfcfd6', surface: '#ffffff',
  scope: '#44444c', done: '#2f9e6e', created: '#5e6ad2', completed: '#975a16', bar: '#5e6ad2', overdue: '#c0263a',
};

/** The theme's chart colours, read again whenever the theme changes (the toggle or the system setting), and the
 *  light ones while printing (redrawn synchronously in beforeprint, so the printout has them). */
function useChartColors(): ChartColors {
  const [colors, setColors] = useState(readColors);
  useEffect(() => {
    const update = () => setColors(readColors());
    const observer = new MutationObserver(update);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class'] });
    const media = matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', update);
    const print = () => flushSync(() => setColors(PRINT_COLORS));
    window.addEventListener('beforeprint', print);
    window.addEventListener('afterprint', update);
    return () => {
      observer.disconnect(); media.removeEventListener('change', update);
      window.removeEventListener('beforeprint', print); window.removeEventListener('afterprint', update);
    };
  }, []);
  return colors;
}

function download(name: string, href: string) {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function downloadText(name: string, text: string, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(name, url);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function ChartPanel({ id, title, note, summary, spec, table, csv, fileBase, colors, height = 280 }: {
  id: string; title: string; note?: string; summary: string; spec: ChartSpec; table: Table; csv: string; fileBase: string;
  colors: ChartColors; height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const config = {
      ...spec,
      options: { ...spec.options, plugins: { ...(spec.options.plugins as object), taskhubBackground: { color: colors.surface } } },
      plugins: [background],
    } as unknown as ChartConfiguration;
    const c = new Chart(canvas.current, config);
    chart.current = c;
    // Printing lays the page out again at paper width: let the chart follow, and come back afterwards.
    const resize = () => c.resize();
    window.addEventListener('beforeprint', resize);
    window.addEventListener('afterprint', resize);
    return () => {
      window.removeEventListener('beforeprint', resize);
      window.removeEventListener('afterprint', resize);
      c.destroy();
      chart.current = null;
    };
  }, [spec, colors]);
  return (
    <section className="panel chart-panel" aria-labelledby={`${id}-title`} data-chart={id}>
      <div className="chart-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <div className="chart-actions no-print">
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => downloadText(`${fileBase}.csv`, csv)} aria-label={`Download CSV: ${title}`}>Download CSV</button>
          <button type="button" className="btn btn-ghost btn-sm" aria-label={`Download PNG: ${title}`}
            onClick={() => { if (chart.current) download(`${fileBase}.png`, chart.current.toBase64Image('image/png', 1)); }}>Download PNG</button>
        </div>
      </div>
      {note && <p className="muted small">{note}</p>}
      <div className="chart-box" style={{ height }}>
        <canvas ref={canvas} role="img" aria-label={summary} id={`${id}-canvas`} />
      </div>
      <table className="sr-only">
        <caption>{table.caption}</caption>
        <thead><tr>{table.head.map(h => <th key={h} scope="col">{h}</th>)}</tr></thead>
        <tbody>{table.rows.map((r, i) => <tr key={i}>{r.map((v, j) => j === 0 ? <th key={j} scope="row">{v}</th> : <td key={j}>{v}</td>)}</tr>)}</tbody>
      </table>
    </section>
  );
}

export function TrendCharts({ boardId, date, boardName }: { boardId: string; date: string; boardName?: string }) {
  const [range, setRange] = useState<TrendRange>('8w');
  const [trends, setTrends] = useState<Trends | null>(null);
  const [error, setError] = useState('');
  const colors = useChartColors();
  useEffect(() => {
    let live = true;
    setTrends(null); setError('');
    api.trends(boardId, range, date).then(t => { if (live) setTrends(t); }, e => { if (live) setError(e.message); });
    return () => { live = false; };
  }, [boardId, range, date]);
  const specs = useMemo(
    () => trends && { burnup: burnupChart(trends, colors), cycle: cycleChart(trends, colors), overdue: overdueChart(trends, colors) },
    [trends, colors]);
  const slug = (boardName ?? 'board').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'board';
  const suffix = trends ? `${slug}-${trends.range}-${isoDay(trends.to, trends.timeZone)}` : slug;
  return (
    <div className="trends">
      <div className="trends-head">
        <h2 className="trends-title">Trends · last {rangeName(range)}</h2>
        <div className="segmented no-print" role="group" aria-label="Trend range">
          {(['8w', '6m'] as const).map(r => (
            <button key={r} type="button" className={`btn btn-sm ${range === r ? 'btn-primary' : 'btn-ghost'}`} aria-pressed={range === r} onClick={() => setRange(r)}>
              {rangeName(r)}
            </button>
          ))}
        </div>
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      {!trends || !specs ? (!error && <Spinner />) : (
        <div className="trend-grid">
          <ChartPanel id="burnup" title="Burn-up and throughput" colors={colors} fileBase={`burnup-${suffix}`}
            note={`Per ${trends.unit}: tasks created and completed (bars); all tasks so far and those done (lines).`}
            summary={burnupSummary(trends)} spec={specs.burnup} table={burnupTable(trends)} csv={burnupCsv(trends)} />
          <ChartPanel id="cycle" title="Cycle time" colors={colors} fileBase={`cycle-time-${suffix}`}
            note={`${trends.cycleTime.count} tasks completed · median ${fmtHours(trends.cycleTime.medianHours)} · 85th percentile ${fmtHours(trends.cycleTime.p85Hours)} · from first in progress (or creation) to done`}
            summary={cycleSummary(trends)} spec={specs.cycle} table={cycleTable(trends)} csv={cycleCsv(trends)} height={240} />
          <ChartPanel id="overdue" title="Overdue by assignee" colors={colors} fileBase={`overdue-${suffix}`}
            note={trends.overdueByAssignee.length === 0 ? 'No overdue open tasks.' : 'Open tasks past their deadline.'}
            summary={overdueSummary(trends)} spec={specs.overdue} table={overdueTable(trends)} csv={overdueCsv(trends)}
            height={Math.max(160, 48 + 36 * trends.overdueByAssignee.length)} />
        </div>
      )}
    </div>
  );
}
