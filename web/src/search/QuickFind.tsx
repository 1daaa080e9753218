// Quick-find (Ctrl/Cmd-K): a combobox over the server's search. Typing is debounced and stale answers dropped
// (quickFind.ts); ↑/↓ (wrapping), Home/End pick a result, Enter or a click opens its task at
// /boards/{boardId}?task={taskId}; Escape closes. The snippet is set with dangerouslySetInnerHTML: the server
// HTML-encodes the text and adds only <mark> around the matches (GET /api/search), so it is inserted as is — the
// title is plain text.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { api } from '../api/client';
import { Dialog } from '../ui/Dialog';
import { failure } from '../ui/errors';
import { navigate } from '../ui/router';
import { createSearcher, hitUrl, moveActive, MIN_QUERY, type SearchState } from './quickFind';

export function QuickFind({ onClose, boardId }: { onClose: () => void; boardId?: string }) {
  const [q, setQ] = useState('');
  const [state, setState] = useState<SearchState>({ kind: 'idle' });
  const [active, setActive] = useState(-1);
  const [onlyBoard, setOnlyBoard] = useState(false);
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);
  // the Dialog's showModal (a child's effect, so it runs first) focuses its first button: take the focus after it
  useEffect(() => { input.current?.focus(); }, []);
  const scope = onlyBoard ? boardId : undefined;
  const searcher = useMemo(() => createSearcher((text, signal) => api.search(text, signal, scope), s => { setState(s); setActive(s.kind === 'done' && s.hits.length ? 0 : -1); }), [scope]);
  useEffect(() => () => searcher.dispose(), [searcher]);
  useEffect(() => { searcher.type(q); }, [searcher]); // eslint-disable-line react-hooks/exhaustive-deps -- a new scope searches again

  const hits = state.kind === 'done' ? state.hits : [];
  const open = (i: number) => {
    const h = hits[i];
    if (!h) return;
    onClose();
    navigate(hitUrl(h));
  };
  const onKey = (e: React.KeyboardEvent) => {
    if (['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key) && hits.length) {
      e.preventDefault();
      const next = moveActive(active, hits.length, e.key);
      setActive(next);
      document.getElementById(`${listId}-${next}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') { e.preventDefault(); open(active < 0 ? 0 : active); }
  };
  const status = state.kind === 'idle' ? (q.trim() ? `Type at least ${MIN_QUERY} characters.` : 'Search task titles, descriptions and comments.')
    : state.kind === 'loading' ? 'Searching…'
    : state.kind === 'failed' ? failure('Search failed', state.error, 'Try again in a moment.')
    : hits.length === 0 ? `Nothing matches “${state.q}”.` : `${hits.length} result${hits.length === 1 ? '' : 's'}. Up and down arrows pick one, Enter opens it.`;

  return (
    <Dialog title="Quick find" onClose={onClose}>
      <div className="quick-find">
        <input ref={input} type="search" role="combobox" aria-label="Search tasks and comments" value={q} placeholder="Search…"
          aria-expanded={hits.length > 0} aria-controls={listId} aria-autocomplete="list"
          aria-activedescendant={active >= 0 && hits.length ? `${listId}-${active}` : undefined}
          onChange={e => { setQ(e.target.value); searcher.type(e.target.value); }} onKeyDown={onKey} />
        {boardId && (
          <label className="inline-check"><input type="checkbox" checked={onlyBoard} onChange={e => setOnlyBoard(e.target.checked)} /> Only this board</label>
        )}
        <p className={`small ${state.kind === 'failed' ? 'field-error' : 'muted'}`} role={state.kind === 'failed' ? 'alert' : 'status'}>{status}</p>
        <ul id={listId} role="listbox" aria-label="Results" className="qf-results">
          {hits.map((h, i) => (
            <li key={`${h.kind}-${h.taskId}-${i}`} id={`${listId}-${i}`} role="option" aria-selected={i === active}
              className={i === active ? 'active' : ''} onMouseMove={() => setActive(i)} onClick={() => open(i)}>
              <div className="qf-title">
                <span className="ellipsis">{h.title}</span>
                {h.kind === 'comment' && <span className="chip">comment</span>}
                {h.archived && <span className="chip archived-badge">archived</span>}
              </div>
              {/* server-encoded text whose only markup is <mark> (see the header comment) */}
              <div className="qf-snippet small" dangerouslySetInnerHTML={{ __html: h.snippet }} />
            </li>
          ))}
        </ul>
      </div>
    </Dialog>
  );
}
