// The board screen: header, filters, three windowed columns, the task and members dialogs.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Board, Status, Task } from '../api/types';
import type { BoardStore } from '../sync';
import { Link, navigate, useQueryParam, useSearch } from '../ui/router';
import { filtersFromSearch, searchWithFilters, searchWithout } from './filterUrl';
import { Spinner } from '../ui/Spinner';
import { useTitle } from '../ui/title';
import { useToasts } from '../ui/toasts';
import type { BoardActions } from './actions';
import { BoardHeader } from './BoardHeader';
import { Column } from './Column';
import { ConnectionBanner } from './ConnectionBanner';
import { FilterBar } from './FilterBar';
import { MembersDialog } from './MembersDialog';
import { LabelsDialog } from './LabelsDialog';
import { ArchivedDialog } from './ArchivedDialog';
import { STATUSES, STATUS_LABEL, columnsOf, filterOf, placement, stepSlot, type Filters } from './model';
import { useNameOf } from './names';
import { TaskDialog } from './TaskDialog';
import { useBoardSession } from './useBoardSession';
import { selectLabels, selectMembers, selectPresence, selectRenamed, selectTasks, useBoardState } from './useBoardState';

export function BoardPage({ boardId }: { boardId: string }) {
  const session = useBoardSession(boardId);
  useTitle(session.state === 'open' ? undefined : session.state === 'failed' ? 'Board not found' : null); // open: BoardView names it
  if (session.state === 'failed') return <div className="page"><p className="empty">{session.message}</p><Link to="/">Back to boards</Link></div>;
  if (session.state === 'loading') return <div className="page"><Spinner label="Loading board…" /></div>;
  return <BoardView {...session} />;
}

interface BoardViewProps {
  board: Board; store: BoardStore; actions: BoardActions; flash: ReadonlySet<string>; reloadMembers: () => Promise<void>;
}

function BoardView({ board: loaded, store, actions, flash, reloadMembers }: BoardViewProps) {
  // the board as loaded, with its name as renamed since (live, BoardRenamed)
  const renamed = useBoardState(store, selectRenamed);
  const board = useMemo(() => (renamed && renamed.version > loaded.version ? { ...loaded, ...renamed } : loaded), [loaded, renamed]);
  useTitle(board.name);
  const [editing, setEditing] = useState<Task | 'new' | null>(null);
  const [dropped, setDropped] = useState<File[] | undefined>(undefined);
  const open = useCallback((t: Task | 'new' | null) => { setDropped(undefined); setEditing(t); }, []);
  const onFiles = useCallback((t: Task, files: File[]) => { setDropped(files); setEditing(t); }, []);
  const [showMembers, setShowMembers] = useState(false);
  const [showLabels, setShowLabels] = useState(false);
  const [showArchived, setShowArchived] = useState(false);
  // the filters live in the query string (filterUrl.ts): a filtered board is a shareable link and survives a reload
  const search = useSearch();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const setFilters = useCallback((f: Filters) => navigate(`/boards/${board.id}${searchWithFilters(location.search, f)}`, { replace: true }), [board.id]);
  const tasks = useBoardState(store, selectTasks);
  const members = useBoardState(store, selectMembers);
  const labelList = useBoardState(store, selectLabels);
  const labels = useMemo(() => new Map(labelList.map(l => [l.id, l])), [labelList]);
  const presenceCount = useBoardState(store, selectPresence).length;
  const nameOf = useNameOf(members);
  const canEdit = board.role !== 'viewer';

  // `?task=<id>` (the inbox's and the emails' links) opens that task's dialog, once: the parameter is then dropped
  const taskParam = useQueryParam('task');
  const toasts = useToasts();
  useEffect(() => {
    if (!taskParam) return;
    navigate(`/boards/${board.id}${searchWithout(location.search, 'task')}`, { replace: true });
    const task = store.getSnapshot().tasks.get(taskParam);
    if (task) setEditing(task);
    else toasts.show({ kind: 'error', text: 'That task is not on this board any more: it may have been deleted.' });
  }, [taskParam, store, board.id, toasts]);

  // someone joining or leaving may have changed the member list (e.g. a role change): refresh it
  useEffect(() => { if (presenceCount) void reloadMembers(); }, [presenceCount, reloadMembers]);

  const filter = useMemo(() => filterOf(filters), [filters]);
  const all = useMemo(() => columnsOf(tasks.values()), [tasks]);
  const columns = useMemo(() => (filter ? columnsOf(tasks.values(), filter) : all), [tasks, filter, all]);

  // Moves read the columns through a ref, so the callbacks stay the same and the memoised cards do not re-render.
  const cols = useRef({ all, columns });
  cols.current = { all, columns };
  const place = useCallback((id: string, status: Status, slot: number, said?: string) => {
    const { all, columns } = cols.current;
    const without = (l: Task[]) => l.filter(t => t.id !== id);
    const full = without(all[status]);
    const to = placement(full, without(columns[status]), slot);
    const now = STATUSES.flatMap(s => all[s]).find(t => t.id === id);
    if (!now) return;
    const above = all[status][all[status].findIndex(t => t.id === id) - 1]?.id ?? null;
    if (now.status === status && above === to.afterId) return; // dropped where it was
    actions.move(id, status, to, said);
  }, [actions]);
  const step = useCallback((id: string, dir: -1 | 1) => {
    const { columns } = cols.current;
    const t = store.getSnapshot().tasks.get(id);
    if (!t) return;
    const shown = columns[t.status];
    const slot = stepSlot(shown, id, dir);
    if (slot === null) { toasts.announce(`“${t.title}” is already at the ${dir < 0 ? 'top' : 'bottom'} of ${STATUS_LABEL[t.status]}`); return; }
    place(id, t.status, slot, `Moved “${t.title}” ${dir < 0 ? 'up' : 'down'}: ${slot + 1} of ${shown.length} in ${STATUS_LABEL[t.status]}`);
  }, [store, place, toasts]);

  /** Delete, then put the focus on the card that took its place (the next one, else the one above), else its column. */
  const remove = useCallback((t: Task) => {
    const shown = cols.current.columns[t.status];
    const i = shown.findIndex(x => x.id === t.id);
    const next = shown[i + 1]?.id ?? shown[i - 1]?.id ?? null;
    actions.remove(t);
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const el = (next && document.querySelector(`[data-task-id="${CSS.escape(next)}"]`))
        || document.querySelector(`.column[data-status="${t.status}"]`);
      (el as HTMLElement | null)?.focus();
    }));
  }, [actions]);

  return (
    <div className="board-page">
      <ConnectionBanner store={store} />
      <BoardHeader board={board} store={store} canEdit={canEdit} onMembers={() => setShowMembers(true)} onLabels={() => setShowLabels(true)} onArchived={() => setShowArchived(true)} onNewTask={() => setEditing('new')} />
      <FilterBar filters={filters} members={members} labels={labelList} onChange={setFilters} />
      <div className="columns">
        {STATUSES.map(s => (
          <Column key={s} status={s} tasks={columns[s]} flash={flash} nameOf={nameOf} labels={labels}
            onPlace={place} onStep={step} onOpen={open} onDelete={remove} onFiles={canEdit ? onFiles : undefined} />
        ))}
      </div>
      {editing && (
        <TaskDialog key={editing === 'new' ? 'new' : editing.id} board={board} task={editing === 'new' ? null : editing} store={store} members={members}
          canEdit={canEdit} nameOf={nameOf} actions={actions} initialFiles={dropped}
          onClose={() => open(null)}
          onDelete={t => { open(null); remove(t); }} />
      )}
      {showLabels && <LabelsDialog boardId={board.id} store={store} canEdit={canEdit} onClose={() => setShowLabels(false)} />}
      {showArchived && <ArchivedDialog board={board} store={store} canEdit={canEdit} onClose={() => setShowArchived(false)} />}
      {showMembers && <MembersDialog boardId={board.id} role={board.role} members={members} onChanged={reloadMembers} onClose={() => setShowMembers(false)} />}
    </div>
  );
}
