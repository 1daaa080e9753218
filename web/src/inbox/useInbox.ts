// The session's inbox: one store per hub session, loaded on start and on every (re)connection (pushes made
// while the connection was down are found that way), fed by the hub's NotificationAdded (during a handover both
// connections may push the same one: the store keeps each id once).
import { useEffect, useState, useSyncExternalStore } from 'react';
import { api } from '../api/client';
import type { Notification } from '../api/types';
import type { AppHub } from '../hub';
import { useToasts } from '../ui/toasts';
import { Inbox, type InboxSnapshot } from './inbox';

export function useInbox(hub: AppHub): [Inbox, InboxSnapshot] {
  const toasts = useToasts();
  const [inbox] = useState(() => new Inbox({ list: api.inbox, markRead: b => api.markRead({ ids: b.ids ?? null, all: b.all ?? false }) }, (what, e, todo) => toasts.fail(what, e, todo)));
  useEffect(() => {
    const offs = [
      hub.on<Notification>('NotificationAdded', n => inbox.pushed(n)),
      hub.onConnected(() => inbox.refresh()),
    ];
    void inbox.refresh();
    return () => offs.forEach(off => off());
  }, [hub, inbox]);
  return [inbox, useSyncExternalStore(inbox.subscribe, inbox.getSnapshot)];
}
