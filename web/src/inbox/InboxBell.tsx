// The top bar's bell: the unread count (live), and the inbox panel.
import { useCallback, useRef, useState } from 'react';
import { useHub } from '../session';
import { InboxPanel } from './InboxPanel';
import { useInbox } from './useInbox';

export function InboxBell() {
  const [inbox, snap] = useInbox(useHub());
  const [open, setOpen] = useState(false);
  const bell = useRef<HTMLButtonElement>(null);
  const close = useCallback((returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) bell.current?.focus();
  }, []);
  const count = snap.unread > 99 ? '99+' : String(snap.unread);
  return (
    <div className="inbox">
      <button ref={bell} className="icon-btn bell" aria-label={`Notifications, ${count} unread`} aria-haspopup="dialog"
        aria-expanded={open} aria-controls={open ? 'inbox-panel' : undefined} onClick={() => setOpen(o => !o)}>
        <svg width="18" height="18" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" /><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {snap.unread > 0 && <span className="badge" aria-hidden="true" data-testid="inbox-badge">{count}</span>}
      </button>
      {open && <InboxPanel inbox={inbox} snap={snap} onClose={close} bell={bell} />}
    </div>
  );
}
