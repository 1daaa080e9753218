// Opens a board: loads it and its tasks into a new store, joins it on the session's hub connection, loads the members; closes it all on unmount.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, currentUser } from '../api/client';
import type { Board } from '../api/types';
import { BoardLive } from '../live';
import { useHub } from '../session';
import { BoardStore, type Applied } from '../sync';
import { navigate } from '../ui/router';
import { useToasts } from '../ui/toasts';
import { boardActions, type BoardActions } from './actions';
import { nameLookup } from './names';

export type BoardSession =
  | { state: 'loading' }
  | { state: 'failed'; message: string }
  | { state: 'open'; board: Board; store: BoardStore; actions: BoardActions; flash: ReadonlySet<string>; reloadMembers: () => Promise<void> };

const NO_FLASH: ReadonlySet<string> = new Set();
const VERBS: Record<string, string> = {
  TaskDeleted: 'deleted', TaskCreated: 'created', TaskMoved: 'moved', CommentAdded: 'commented on', CommentEdited: 'edited a comment on',
  CommentDeleted: 'deleted a comment on', ChecklistItemAdded: 'updated the checklist of', ChecklistItemChanged: 'updated the checklist of',
  ChecklistItemDeleted: 'updated the checklist of',
};

export function useBoardSession(boardId: string): BoardSession {
  const toasts = useToasts();
  const hub = useHub();
  const [opened, setOpened] = useState<{ board: Board; store: BoardStore; actions: BoardActions } | { failed: string } | null>(null);
  const [flash, setFlash] = useState<ReadonlySet<string>>(NO_FLASH);
  const storeRef = useRef<BoardStore | null>(null);

  const reloadMembers = useCallback(async () => {
    const store = storeRef.current;
    if (!store) return;
    try { store.setMembers(await api.members(boardId)); }
    catch (e) { toasts.fail("Couldn't load the board's members", e, 'Names may show as “Unknown”; reload the page to try again.'); }
  }, [boardId, toasts]);

  useEffect(() => {
    let live: BoardLive | null = null;
    let actions: BoardActions | null = null;
    let cancelled = false;
    const me = currentUser();

    // Other people's changes: highlight the cards and say what happened in the live region.
    const announce = (store: BoardStore, applied: Applied[]) => {
      const remote = applied.filter(a => a.event.actorId !== me?.id);
      if (!remote.length) return;
      setFlash(new Set(remote.map(a => (a.kind === 'delete' ? a.id : a.task.id))));
      setTimeout(() => setFlash(NO_FLASH), 1600);
      const a = remote[remote.length - 1];
      const who = nameLookup(store.getSnapshot().members)(a.event.actorId) ?? 'Someone';
      const verb = VERBS[a.event.type] ?? 'updated';
      toasts.announce(`${who} ${verb} “${a.kind === 'delete' ? a.event.task?.title ?? '' : a.task.title}”`);
    };

    (async () => {
      try {
        const [board, list] = await Promise.all([api.board(boardId), api.tasks(boardId)]);
        if (cancelled) return;
        const store = new BoardStore(list.tasks, list.seq);
        storeRef.current = store;
        actions = boardActions(store, toasts, board.role !== 'viewer');
        setOpened({ board, store, actions });
        performance.mark('taskhub:board-rendered');
        void reloadMembers();
        api.labels(boardId).then(l => store.setLabels(l),
          e => toasts.fail("Couldn't load the board's labels", e, 'Cards show without their labels; reload the page to try again.'));
        live = new BoardLive(hub, boardId, store, {
          onApplied: applied => announce(store, applied),
          onRevoked: () => { toasts.show({ kind: 'error', text: 'You no longer have access to this board.' }); navigate('/'); },
          onError: (what, e, todo) => toasts.fail(what, e, todo),
        });
        live.start();
      } catch (e) {
        if (!cancelled) setOpened({ failed: e instanceof ApiError && e.status === 404 ? 'Board not found.' : (e as Error).message });
      }
    })();
    return () => {
      cancelled = true;
      void live?.stop();
      actions?.flushDeletes();
    };
  }, [boardId, hub, toasts, reloadMembers]);

  if (!opened) return { state: 'loading' };
  if ('failed' in opened) return { state: 'failed', message: opened.failed };
  return { state: 'open', ...opened, flash, reloadMembers };
}
