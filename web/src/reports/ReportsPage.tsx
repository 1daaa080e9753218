// A board's weekly / monthly report.
import { lazy, Suspense, useEffect, useState } from 'react';
import { useTitle } from '../ui/title';
import { api } from '../api/client';
import type { Board, Report } from '../api/types';
import { fmtDate } from '../ui/format';
import { Link } from '../ui/router';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { BarChart, Stat } from './charts';

// The trend charts bring Chart.js: a chunk of their own, loaded when a reports page opens.
const TrendCharts = lazy(() => import('./TrendCharts').then(m => ({ default: m.TrendCharts })));

export function ReportsPage({ boardId }: { boardId: string }) {
  const [period, setPeriod] = useState<'weekly' | 'monthly'>('weekly');
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [report, setReport] = useState<Report | null>(null);
  const [board, setBoard] = useState<Board | null>(null);
  const [error, setError] = useState('');
  useTitle(board ? `Reports: ${board.name}` : 'Reports');
  const toasts = useToasts();
  useEffect(() => {
    api.board(boardId).then(setBoard, e => toasts.fail("Couldn't load the board's name", e, 'The report itself is not affected; reload the page to try again.'));
  }, [boardId, toasts]);
  useEffect(() => {
    setReport(null); setError('');
    api.report(boardId, period, date).then(setReport).catch(e => setError(e.message));
  }, [boardId, period, date]);
  const max = report ? Math.max(1, ...report.perAssignee.flatMap(a => [a.created, a.completed, a.open, a.overdue])) : 1;
  return (
    <div className="page">
      <div className="page-head">
        <h1>Reports{board ? ` · ${board.name}` : ''}</h1>
        <div className="page-head-actions no-print">
          <button type="button" className="btn btn-ghost" onClick={() => window.print()}>Print</button>
          <Link to={`/boards/${boardId}`} className="btn btn-ghost">Back to board</Link>
        </div>
      </div>
      <div className="filters no-print">
        <label>Period<select value={period} onChange={e => setPeriod(e.target.value as 'weekly' | 'monthly')}><option value="weekly">Weekly</option><option value="monthly">Monthly</option></select></label>
        <label>Date<input type="date" value={date} onChange={e => setDate(e.target.value)} /></label>
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      {!report ? (!error && <Spinner />) : (
        <>
          <p className="muted">{fmtDate(report.from, false)} – {fmtDate(report.to, false)} · {report.timeZone}</p>
          <div className="stats">
            <Stat label="Created" value={report.created} /><Stat label="Completed" value={report.completed} />
            <Stat label="Open" value={report.open} /><Stat label="Overdue" value={report.overdue} tone="bad" />
            <Stat label="Completion rate" value={`${Math.round((report.completionRate ?? 0) * (report.completionRate <= 1 ? 100 : 1))}%`} />
            <Stat label="Median cycle time" value={report.medianCycleTimeHours == null ? '—' : `${report.medianCycleTimeHours.toFixed(1)} h`} />
          </div>
          <section className="panel">
            <h2>Summary</h2>
            <BarChart rows={[['Created', report.created, 'c1'], ['Completed', report.completed, 'c2'], ['Open', report.open, 'c3'], ['Overdue', report.overdue, 'c4']]} />
          </section>
          <section className="panel">
            <h2>Per assignee</h2>
            {report.perAssignee.length === 0 ? <p className="muted">No assigned tasks in this period.</p> : (
              <div className="per-assignee">
                <div className="legend"><span className="lg c1">created</span><span className="lg c2">completed</span><span className="lg c3">open</span><span className="lg c4">overdue</span></div>
                {report.perAssignee.map(a => (
                  <div key={a.userId} className="pa-row">
                    <span className="pa-name">{a.displayName}</span>
                    <div className="pa-bars" role="img" aria-label={`${a.displayName}: ${a.created} created, ${a.completed} completed, ${a.open} open, ${a.overdue} overdue`}>
                      {([['c1', a.created], ['c2', a.completed], ['c3', a.open], ['c4', a.overdue]] as const).map(([c, v]) => (
                        <div key={c} className={`bar ${c}`} style={{ width: `${(v / max) * 100}%` }}><span>{v}</span></div>
                      ))}
                    </div>
                  </div>
                ))}
              </div>
            )}
          </section>
        </>
      )}
      <Suspense fallback={<Spinner />}>
        <TrendCharts boardId={boardId} date={date} boardName={board?.name} />
      </Suspense>
    </div>
  );
}

