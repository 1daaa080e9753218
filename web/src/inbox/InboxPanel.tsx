// The bell's panel: a non-modal dialog under the top bar. Escape or a click outside closes it; the bell gets focus back.
import { useEffect, useRef } from 'react';
import type { Notification } from '../api/types';
import { navigate } from '../ui/router';
import { Spinner } from '../ui/Spinner';
import type { Inbox, InboxSnapshot } from './inbox';
import { InboxItem } from './InboxItem';

/** Where an item leads: its task's dialog on its board (the link the emails use too). */
export const itemHref = (n: Notification) => (n.taskId ? `/boards/${n.boardId}?task=${n.taskId}` : `/boards/${n.boardId}`);

interface Props { inbox: Inbox; snap: InboxSnapshot; onClose: (returnFocus: boolean) => void; bell: React.RefObject<HTMLElement | null> }

export function InboxPanel({ inbox, snap, onClose, bell }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
    const outside = (e: MouseEvent) => {
      const t = e.target as Node;
      if (!ref.current?.contains(t) && !bell.current?.contains(t)) onClose(false);
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [onClose, bell]);

  const open = (n: Notification) => {
    void inbox.markRead([n.id]);
    onClose(false);
    navigate(itemHref(n));
  };

  return (
    <div ref={ref} id="inbox-panel" className="inbox-panel" role="dialog" aria-labelledby="inbox-title" tabIndex={-1}
      onKeyDown={e => { if (e.key === 'Escape') { e.stopPropagation(); onClose(true); } }}>
      <div className="inbox-head">
        <h2 id="inbox-title">Notifications</h2>
        <button className="btn btn-ghost" onClick={() => void inbox.markAllRead()}>Mark all read</button>
      </div>
      {!snap.loaded ? <Spinner label="Loading notifications…" />
        : snap.items.length === 0 ? <p className="empty">Nothing yet. Assignments, reminders and escalations will show up here.</p>
        : <ul className="inbox-list">{snap.items.map(n => <InboxItem key={n.id} item={n} onOpen={open} />)}</ul>}
      {snap.hasMore && (
        <button className="btn btn-ghost wide" disabled={snap.loadingMore} onClick={() => void inbox.loadMore()}>
          {snap.loadingMore ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
