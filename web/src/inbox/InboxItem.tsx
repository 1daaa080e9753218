import type { Notification } from '../api/types';
import { fmtDate, timeAgo } from '../ui/format';

export function InboxItem({ item, onOpen }: { item: Notification; onOpen: (n: Notification) => void }) {
  const unread = !item.readAt;
  return (
    <li className={`inbox-item ${unread ? 'unread' : ''}`} data-notification-id={item.id}>
      <button className="inbox-item-btn" onClick={() => onOpen(item)}>
        <span className="unread-dot" aria-hidden="true" />
        <span className="inbox-text">{unread && <span className="sr-only">Unread: </span>}{item.text}</span>
        <time dateTime={item.createdAt} title={fmtDate(item.createdAt)}>{timeAgo(item.createdAt)}</time>
      </button>
    </li>
  );
}
