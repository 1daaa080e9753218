// The board screen: header, filters, three windowed columns, the task and members dialogs.
import { useEffect, useMemo, useState } from 'react';
import type { Board, Task } from '../api/types';
import type { BoardStore } from '../sync';
import { Link, navigate, useQueryParam } from '../ui/router';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import type { BoardActions } from './actions';
import { BoardHeader } from './BoardHeader';
import { Column } from './Column';
import { ConnectionBanner } from './ConnectionBanner';
import { FilterBar } from './FilterBar';
import { MembersDialog } from './MembersDialog';
import { NO_FILTERS, STATUSES, columnsOf, filterOf } from './model';
import { useNameOf } from './names';
import { TaskDialog } from './TaskDialog';
import { useBoardSession } from './useBoardSession';
import { selectMembers, selectPresence, selectTasks, useBoardState } from './useBoardState';

export function BoardPage({ boardId }: { boardId: string }) {
  const session = useBoardSession(boardId);
  if (session.state === 'failed') return <div className="page"><p className="empty">{session.message}</p><Link to="/">Back to boards</Link></div>;
  if (session.state === 'loading') return <div className="page"><Spinner label="Loading board…" /></div>;
  return <BoardView {...session} />;
}

interface BoardViewProps {
  board: Board; store: BoardStore; actions: BoardActions; flash: ReadonlySet<string>; reloadMembers: () => Promise<void>;
}

function BoardView({ board, store, actions, flash, reloadMembers }: BoardViewProps) {
  const [editing, setEditing] = useState<Task | 'new' | null>(null);
  const [showMembers, setShowMembers] = useState(false);
  const [filters, setFilters] = useState(NO_FILTERS);
  const tasks = useBoardState(store, selectTasks);
  const members = useBoardState(store, selectMembers);
  const presenceCount = useBoardState(store, selectPresence).length;
  const nameOf = useNameOf(members);
  const canEdit = board.role !== 'viewer';

  // `?task=<id>` (the inbox's and the emails' links) opens that task's dialog, once: the parameter is then dropped
  const taskParam = useQueryParam('task');
  const toasts = useToasts();
  useEffect(() => {
    if (!taskParam) return;
    navigate(`/boards/${board.id}`, { replace: true });
    const task = store.getSnapshot().tasks.get(taskParam);
    if (task) setEditing(task);
    else toasts.show({ kind: 'error', text: 'That task is not on this board any more: it may have been deleted.' });
  }, [taskParam, store, board.id, toasts]);

  // someone joining or leaving may have changed the member list (e.g. a role change): refresh it
  useEffect(() => { if (presenceCount) void reloadMembers(); }, [presenceCount, reloadMembers]);

  const filter = useMemo(() => filterOf(filters), [filters]);
  const columns = useMemo(() => columnsOf(tasks.values(), filter), [tasks, filter]);

  return (
    <div className="board-page">
      <ConnectionBanner store={store} />
      <BoardHeader board={board} store={store} canEdit={canEdit} onMembers={() => setShowMembers(true)} onNewTask={() => setEditing('new')} />
      <FilterBar filters={filters} members={members} onChange={setFilters} />
      <div className="columns">
        {STATUSES.map(s => (
          <Column key={s} status={s} tasks={columns[s]} flash={flash} nameOf={nameOf} onMove={actions.move} onOpen={setEditing} onDelete={actions.remove} />
        ))}
      </div>
      {editing && (
        <TaskDialog boardId={board.id} task={editing === 'new' ? null : editing} members={members} canEdit={canEdit} nameOf={nameOf}
          onClose={() => setEditing(null)}
          onCreated={actions.created}
          onPatch={actions.patch}
          onDelete={t => { setEditing(null); actions.remove(t); }} />
      )}
      {showMembers && <MembersDialog boardId={board.id} role={board.role} members={members} onChanged={reloadMembers} onClose={() => setShowMembers(false)} />}
    </div>
  );
}
