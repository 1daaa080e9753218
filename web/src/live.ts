// One SignalR connection per open board. Events go through BoardFeed into the board's store (catch-up by seq);
// connection state and presence go into the store too.
import * as signalR from '@microsoft/signalr';
import { accessToken, api } from './api/client';
import type { BoardAccessRevoked, BoardEvent, BoardHead, PresenceChanged } from './api/types';
import { BOARD_EVENT_TYPES } from './api/types';
import { BoardFeed, type Applied, type BoardStore } from './sync';

export interface LiveHandlers {
  onApplied(applied: Applied[]): void;
  onRevoked(): void;
  /** Something failed that the user should hear about (a catch-up, which is retried). */
  onError(what: string, error: unknown, todo: string): void;
}

export class BoardLive {
  private readonly conn: signalR.HubConnection;
  private readonly feed: BoardFeed;
  private stopped = false;

  constructor(private readonly boardId: string, private readonly store: BoardStore, private readonly h: LiveHandlers) {
    this.feed = new BoardFeed(store, after => api.events(boardId, after), h.onApplied,
      e => h.onError("Couldn't load the changes you missed", e, 'Retrying in a few seconds.'));
    this.conn = new signalR.HubConnectionBuilder()
      .withUrl('/hubs/board', { accessTokenFactory: () => accessToken(), skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => Math.min(10_000, 500 * 2 ** Math.min(ctx.previousRetryCount, 5)) })
      .configureLogging(signalR.LogLevel.None)
      .build();
    const onEvent = (e: BoardEvent) => { if (e.boardId === this.boardId) this.feed.feed([e]); };
    for (const type of BOARD_EVENT_TYPES) this.conn.on(type, onEvent);
    this.conn.on('PresenceChanged', (p: PresenceChanged) => { if (p.boardId === this.boardId) store.setPresence(p.users); });
    this.conn.on('BoardHead', (p: BoardHead) => { if (p.boardId === this.boardId) this.feed.head(p.seq); });
    this.conn.on('BoardAccessRevoked', (p: BoardAccessRevoked) => { if (p.boardId === this.boardId) h.onRevoked(); });
    this.conn.onreconnecting(() => store.setConnection('reconnecting'));
    this.conn.onreconnected(async () => { await this.join(); store.setConnection('connected'); });
    this.conn.onclose(() => { if (!this.stopped) { store.setConnection('disconnected'); setTimeout(() => void this.start(), 3000); } });
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.conn.start();
      await this.join();
      this.store.setConnection('connected');
    } catch {
      // Not an error to toast: the "Reconnecting…" banner shows it, and it is retried until the board is closed.
      this.store.setConnection('reconnecting');
      if (!this.stopped) setTimeout(() => void this.start(), 2000);
    }
  }

  private async join() {
    await this.conn.invoke('JoinBoard', this.boardId, this.store.appliedSeq);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.feed.stop();
    try {
      if (this.conn.state === signalR.HubConnectionState.Connected) await this.conn.invoke('LeaveBoard', this.boardId);
    } catch {
      // The board is closing: LeaveBoard is a courtesy, the hub drops presence when the connection closes anyway.
    }
    await this.conn.stop();
  }
}
