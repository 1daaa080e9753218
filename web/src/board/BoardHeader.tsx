import type { Board } from '../api/types';
import { currentUser } from '../api/client';
import type { BoardStore } from '../sync';
import { Avatar } from '../ui/Avatar';
import { BoardNotifications } from './BoardNotifications';
import { Link } from '../ui/router';
import { selectPresence, useBoardState } from './useBoardState';

interface Props { board: Board; store: BoardStore; canEdit: boolean; onMembers: () => void; onLabels: () => void; onArchived: () => void; onNewTask: () => void }

export function BoardHeader({ board, store, canEdit, onMembers, onLabels, onArchived, onNewTask }: Props) {
  const presence = useBoardState(store, selectPresence);
  const me = currentUser();
  const others = presence.filter(p => p.userId !== me?.id);
  return (
    <div className="board-head">
      <div className="board-title">
        <h1>{board.name}</h1>
        <span className="role-pill">{board.role}</span>
      </div>
      <div className="presence" role="group" aria-label="People viewing this board">
        {others.slice(0, 5).map(p => <Avatar key={p.userId} id={p.userId} name={p.displayName} size={26} title={`${p.displayName} is viewing`} />)}
        {others.length > 5 && <span className="more">+{others.length - 5}</span>}
      </div>
      <div className="board-actions">
        <BoardNotifications boardId={board.id} />
        <Link to={`/boards/${board.id}/reports`} className="btn btn-ghost">Reports</Link>
        <button className="btn btn-ghost" onClick={onMembers}>Members</button>
        <Link to={`/boards/${board.id}/settings`} className="btn btn-ghost">Board settings</Link>
        <button className="btn btn-ghost" onClick={onLabels}>Labels</button>
        <button className="btn btn-ghost" onClick={onArchived}>Archived</button>
        {canEdit && <button className="btn btn-primary" onClick={onNewTask}>New task</button>}
      </div>
    </div>
  );
}
