// Import a board from a file. A Trello JSON export is first uploaded for a preview: one select per Trello list,
// set to the column the server would choose, then imported with that mapping; a TaskHub JSON export is imported
// as it is. Uploads go through uploadFile (XMLHttpRequest, for the progress bar); the new board opens after.
import { useRef, useState } from 'react';
import { api } from '../api/client';
import type { Progress } from '../api/client';
import type { Status, TrelloList } from '../api/types';
import { navigate } from '../ui/router';
import { useToasts } from '../ui/toasts';
import { changedMapping, percentOf } from './importing';

const COLUMNS: { value: Status; label: string }[] = [
  { value: 'todo', label: 'To do' }, { value: 'in_progress', label: 'In progress' }, { value: 'done', label: 'Done' },
];
type Source = 'trello' | 'taskhub';

export function ImportPanel() {
  const toasts = useToasts();
  const [source, setSource] = useState<Source>('trello');
  const [file, setFile] = useState<File | null>(null);
  const [lists, setLists] = useState<TrelloList[] | null>(null);
  const [mapping, setMapping] = useState<Record<string, Status>>({});
  const [phase, setPhase] = useState<'idle' | 'previewing' | 'importing'>('idle');
  const [percent, setPercent] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const reset = () => { setFile(null); setLists(null); setMapping({}); setPercent(null); if (input.current) input.current.value = ''; };
  const pick = async (f: File | null) => {
    setLists(null); setMapping({}); setFile(f);
    if (!f || source !== 'trello') return;
    setPhase('previewing');
    try {
      const preview = await api.trelloPreview(f);
      setLists(preview);
      setMapping(Object.fromEntries(preview.map(l => [l.listId, l.status])));
    } catch (e) { toasts.fail(`Couldn't read “${f.name}” as a Trello export`, e, 'In Trello: Menu → Print, export and share → Export as JSON, then pick that file.'); reset(); }
    finally { setPhase('idle'); }
  };
  const run = async () => {
    if (!file) return;
    setPhase('importing'); setPercent(0);
    const ctrl = new AbortController();
    abort.current = ctrl;
    const onProgress = (p: Progress) => setPercent(old => Math.max(old ?? 0, percentOf(p)));
    try {
      const b = source === 'trello'
        ? await api.importTrello(file, changedMapping(lists ?? [], mapping), onProgress, ctrl.signal)
        : await api.importTaskHub(file, onProgress, ctrl.signal);
      toasts.show({ kind: 'success', text: `Imported “${b.name}”: ${b.tasks} tasks, ${b.labels} labels, ${b.comments} comments, ${b.checklistItems} checklist items` });
      navigate(`/boards/${b.boardId}`);
    } catch (e) {
      if ((e as Error).name === 'AbortError') toasts.show({ kind: 'info', text: 'Import cancelled' });
      else toasts.fail(`Couldn't import “${file.name}”`, e, source === 'trello' ? 'Check that it is a Trello JSON export; nothing was imported.' : 'Pick a file made by Download JSON in a board’s settings; nothing was imported.');
      setPhase('idle'); setPercent(null);
    } finally { abort.current = null; }
  };

  const busy = phase !== 'idle';
  return (
    <section className="panel import-panel" aria-labelledby="import-heading">
      <h2 id="import-heading">Import a board</h2>
      <div className="row">
        <label>From
          <select value={source} disabled={busy} onChange={e => { setSource(e.target.value as Source); reset(); }}>
            <option value="trello">Trello (JSON export)</option>
            <option value="taskhub">TaskHub (JSON export)</option>
          </select>
        </label>
        <label>File
          <input ref={input} type="file" accept=".json,application/json" disabled={busy} onChange={e => void pick(e.target.files?.[0] ?? null)} />
        </label>
      </div>
      {phase === 'previewing' && <p className="muted small" role="status">Reading the lists…</p>}
      {lists && (
        <div>
          <h3>Columns</h3>
          <p className="muted small">Each Trello list becomes a column; archived lists and cards are left out.</p>
          <ul className="mapping-list" aria-label="Trello lists">
            {lists.map(l => (
              <li key={l.listId}>
                <span className="grow">{l.name} <span className="muted small">({l.cards} {l.cards === 1 ? 'card' : 'cards'})</span></span>
                <select aria-label={`Column for “${l.name}”`} value={mapping[l.listId] ?? l.status} disabled={busy}
                  onChange={e => setMapping(m => ({ ...m, [l.listId]: e.target.value as Status }))}>
                  {COLUMNS.map(c => <option key={c.value} value={c.value}>{c.label}</option>)}
                </select>
              </li>
            ))}
          </ul>
        </div>
      )}
      {percent !== null && (
        <div className="import-progress">
          <progress max={100} value={percent} aria-label={`Uploading ${file?.name ?? ''}`} />
          <span className="muted small" role="status">{percent < 100 ? `${percent} %` : 'Importing…'}</span>
          {percent < 100 && <button className="btn btn-ghost" onClick={() => abort.current?.abort()}>Cancel</button>}
        </div>
      )}
      <div className="dialog-actions"><span className="spacer" />
        <button className="btn btn-primary" disabled={!file || busy || (source === 'trello' && !lists)} onClick={() => void run()}>Import</button>
      </div>
    </section>
  );
}
