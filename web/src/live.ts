// An open board on the session's hub connection (src/hub.ts): `JoinBoard(boardId, appliedSeq)` on open and on every
// reconnect (a handover's new connection included), `LeaveBoard` on close. Events (full or delta) go through BoardFeed
// into the board's store (catch-up by seq); connection state and presence go into the store too.
import { api } from './api/client';
import type { BoardAccessRevoked, BoardHead, PresenceChanged, WireEvent } from './api/types';
import { BOARD_EVENT_TYPES } from './api/types';
import type { AppHub, Connected } from './hub';
import { BoardFeed, type Applied, type BoardStore } from './sync';

export interface LiveHandlers {
  onApplied(applied: Applied[]): void;
  onRevoked(): void;
  /** Something failed that the user should hear about (a catch-up, which is retried). */
  onError(what: string, error: unknown, todo: string): void;
}

export class BoardLive {
  private readonly feed: BoardFeed;
  private readonly off: (() => void)[] = [];
  private stopped = false;
  private joined = false;

  constructor(private readonly hub: AppHub, private readonly boardId: string, private readonly store: BoardStore, private readonly h: LiveHandlers) {
    this.feed = new BoardFeed(store, after => api.events(boardId, after), h.onApplied,
      e => h.onError("Couldn't load the changes you missed", e, 'Retrying in a few seconds.'));
    const onEvent = (e: WireEvent) => { if (e.boardId === this.boardId) this.feed.feed([e]); };
    for (const type of BOARD_EVENT_TYPES) this.off.push(hub.on(type, onEvent));
    this.off.push(
      hub.on<PresenceChanged>('PresenceChanged', p => { if (p.boardId === this.boardId) store.setPresence(p.users); }),
      hub.on<BoardHead>('BoardHead', p => { if (p.boardId === this.boardId) this.feed.head(p.seq); }),
      hub.on<BoardAccessRevoked>('BoardAccessRevoked', p => { if (p.boardId === this.boardId) h.onRevoked(); }),
      hub.onState(s => { if (s !== 'connected') { this.joined = false; store.setConnection(s); } }),
      hub.onConnected(c => this.join(c)), // a handover keeps the old connection until this join has finished
    );
  }

  /** Joins now if the session's connection is up; otherwise on its next connection. */
  start(): void {
    if (this.hub.state === 'connected') void this.join();
    else this.store.setConnection(this.hub.state);
  }

  /** On a handover's new connection, while the move can be undone (`Connected.handover`, read when the join fails), a
   *  failure is thrown instead of retried: the hub then keeps the old connection, where this board is still joined and
   *  live (src/hub.ts). */
  private async join(c?: Connected) {
    if (this.stopped) return;
    try {
      await this.hub.invoke('JoinBoard', this.boardId, this.store.appliedSeq);
      if (this.stopped) { await this.leave(); return; } // closed while joining: the connection outlives the board
      this.joined = true;
      this.store.setConnection('connected');
    } catch (e) {
      if (c?.handover) throw e;
      // Not an error to toast: the "Reconnecting…" banner shows it, and the join is retried until the board is closed
      // (a dropped connection re-joins on its own when it comes back).
      this.store.setConnection('reconnecting');
      setTimeout(() => { if (!this.stopped && this.hub.state === 'connected') void this.join(); }, 2000);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.feed.stop();
    this.off.forEach(off => off());
    if (this.joined) await this.leave();
  }

  private async leave() {
    try {
      if (this.hub.state === 'connected') await this.hub.invoke('LeaveBoard', this.boardId);
    } catch (e) {
      // The connection outlives the board, so the server would go on showing this person on it.
      this.h.onError("Couldn't leave the board's live updates", e, 'Others may see you on that board until you reload the page.');
    }
  }
}
