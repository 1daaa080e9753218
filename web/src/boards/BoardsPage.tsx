// The boards list, "create board" and importing a board from a Trello or TaskHub export (ImportPanel).
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Board } from '../api/types';
import { fmtDate } from '../ui/format';
import { Link, navigate } from '../ui/router';
import { Spinner } from '../ui/Spinner';
import { ImportPanel } from './ImportPanel';
import { Onboarding } from './Onboarding';
import { limits } from '../api/limits';

export function BoardsPage() {
  const [boards, setBoards] = useState<Board[] | null>(null);
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  useEffect(() => { api.boards().then(setBoards).catch(e => setError(e.message)); }, []);
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    try { const b = await api.createBoard(name.trim()); navigate(`/boards/${b.id}`); } catch (err) { setError((err as Error).message); }
  };
  return (
    <div className="page">
      <div className="page-head"><h1>Boards</h1></div>
      <form className="inline-form" onSubmit={create} aria-label="Create board">
        <label className="sr-only" htmlFor="board-name">Board name</label>
        <input id="board-name" placeholder="New board name" value={name} onChange={e => setName(e.target.value)} required maxLength={limits.boardName} />
        <button className="btn btn-primary">Create board</button>
      </form>
      {error && <p className="field-error" role="alert">{error}</p>}
      {!boards ? <Spinner /> : boards.length === 0 ? <Onboarding /> : (
        <ul className="board-grid">
          {boards.map(b => (
            <li key={b.id}><Link to={`/boards/${b.id}`} className="board-tile"><span className="board-tile-name">{b.name}</span><span className="muted small">{b.role} · updated {fmtDate(b.updatedAt, false)}</span></Link></li>
          ))}
        </ul>
      )}
      {boards && <ImportPanel />}
    </div>
  );
}

