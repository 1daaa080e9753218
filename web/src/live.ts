// One SignalR connection per open board; catch-up by seq via BoardSync.
import * as signalR from '@microsoft/signalr';
import { accessToken, api } from './api';
import type { BoardEvent } from './sync';
import { BoardSync, type Applied } from './sync';

export interface LiveHandlers {
  onApplied(applied: Applied[]): void;
  onPresence(users: { userId: string; displayName: string }[]): void;
  onConnection(state: 'connected' | 'reconnecting' | 'disconnected'): void;
  onRevoked(): void;
}

export class BoardLive {
  private conn: signalR.HubConnection;
  private catchingUp = false;
  private again = false;
  private stopped = false;

  constructor(private boardId: string, private sync: BoardSync, private h: LiveHandlers) {
    this.conn = new signalR.HubConnectionBuilder()
      .withUrl('/hubs/board', { accessTokenFactory: () => accessToken(), skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => Math.min(10_000, 500 * 2 ** Math.min(ctx.previousRetryCount, 5)) })
      .configureLogging(signalR.LogLevel.None)
      .build();
    const onEvent = (e: BoardEvent) => { if (e.boardId === this.boardId) this.feed([e]); };
    this.conn.on('TaskCreated', onEvent);
    this.conn.on('TaskUpdated', onEvent);
    this.conn.on('TaskDeleted', onEvent);
    this.conn.on('PresenceChanged', (p: { boardId: string; users: { userId: string; displayName: string }[] }) => {
      if (p.boardId === this.boardId) h.onPresence(p.users);
    });
    this.conn.on('BoardHead', (p: { boardId: string; seq: number }) => {
      if (p.boardId === this.boardId && this.sync.head(p.seq)) void this.catchUp();
    });
    this.conn.on('BoardAccessRevoked', (p: { boardId: string }) => { if (p.boardId === this.boardId) h.onRevoked(); });
    this.conn.onreconnecting(() => h.onConnection('reconnecting'));
    this.conn.onreconnected(async () => { await this.join(); h.onConnection('connected'); });
    this.conn.onclose(() => { if (!this.stopped) { h.onConnection('disconnected'); setTimeout(() => void this.start(), 3000); } });
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.conn.start();
      await this.join();
      this.h.onConnection('connected');
    } catch {
      this.h.onConnection('reconnecting');
      if (!this.stopped) setTimeout(() => void this.start(), 2000);
    }
  }

  private async join() {
    await this.conn.invoke('JoinBoard', this.boardId, this.sync.appliedSeq);
  }

  private feed(events: BoardEvent[]) {
    const r = this.sync.receiveMany(events);
    if (r.applied.length) this.h.onApplied(r.applied);
    if (r.needCatchUp) void this.catchUp();
  }

  async catchUp(): Promise<void> {
    if (this.catchingUp) { this.again = true; return; }
    this.catchingUp = true;
    try {
      do {
        this.again = false;
        const events = await api.events(this.boardId, this.sync.appliedSeq);
        if (events.length) this.feed(events);
        if (events.length >= 1000) this.again = true;
      } while (this.again);
    } catch { /* next head retries */ } finally { this.catchingUp = false; }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    try { if (this.conn.state === signalR.HubConnectionState.Connected) await this.conn.invoke('LeaveBoard', this.boardId); } catch { /* ignore */ }
    await this.conn.stop();
  }
}
