// The board's archived tasks (GET tasks?archived=true, plus what was archived or restored while the board is
// open, from the store) with Restore.
import { useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import type { Board, Task } from '../api/types';
import type { BoardStore } from '../sync';
import { Dialog } from '../ui/Dialog';
import { fmtDate } from '../ui/format';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { STATUS_LABEL } from './model';
import { selectTasks, useBoardState } from './useBoardState';

interface Props { board: Board; store: BoardStore; canEdit: boolean; onClose: () => void }

export function ArchivedDialog({ board, store, canEdit, onClose }: Props) {
  const toasts = useToasts();
  const tasks = useBoardState(store, selectTasks);
  const [loaded, setLoaded] = useState<Task[] | 'failed' | null>(null);
  useEffect(() => {
    let current = true;
    api.archivedTasks(board.id).then(
      list => { if (current) setLoaded(list); },
      e => { if (!current) return; setLoaded('failed'); toasts.fail("Couldn't load the archived tasks", e, 'Close this and open it again to retry.'); });
    return () => { current = false; };
  }, [board.id, toasts]);

  const archived = useMemo(() => {
    if (!Array.isArray(loaded)) return [];
    const byId = new Map(loaded.map(t => [t.id, t]));
    for (const t of tasks.values()) { if (t.archivedAt) byId.set(t.id, t); else byId.delete(t.id); } // the store is newer
    return [...byId.values()].sort((a, b) => (b.archivedAt ?? '').localeCompare(a.archivedAt ?? ''));
  }, [loaded, tasks]);

  const restore = async (t: Task) => {
    try {
      const saved = await api.unarchiveTask(t.id);
      store.put(saved);
      toasts.show({ kind: 'success', text: `Restored “${t.title}” to ${STATUS_LABEL[saved.status]}` });
    } catch (e) { toasts.fail(`Couldn't restore “${t.title}”`, e, 'Reload the page and try again.'); }
  };

  return (
    <Dialog title="Archived tasks" onClose={onClose}>
      {loaded === null ? <Spinner label="Loading archived tasks…" /> : loaded === 'failed' ? <p className="muted">Archived tasks unavailable.</p>
        : archived.length === 0 ? <p className="muted">Nothing is archived.</p> : (
          <ul className="archived-list">
            {archived.map(t => (
              <li key={t.id}>
                <div className="grow"><div>{t.title}</div><div className="muted small">{STATUS_LABEL[t.status]} · archived {fmtDate(t.archivedAt)}</div></div>
                {canEdit && <button className="btn btn-ghost" onClick={() => void restore(t)} aria-label={`Restore “${t.title}”`}>Restore</button>}
              </li>
            ))}
          </ul>
        )}
    </Dialog>
  );
}
