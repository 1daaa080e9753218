// The one SignalR connection of a signed-in session (WebSockets, `skipNegotiation`, the MessagePack hub protocol,
// automatic reconnect, then a restart loop after a close). The server writes MessagePack in the JSON API's exact
// shape (camelCase keys, lower-case enum strings, dates as ISO strings), so handlers get the same objects either way.
// It asks for delta events (`?events=delta`): a task's change arrives as its changed fields, which the board's store
// (src/sync.ts) lays over the task it holds.
// Everything live goes over it: the inbox (`NotificationAdded`, on every page) and the open board (`BoardLive`
// joins and leaves its board on this same connection).
import * as signalR from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { hubToken } from './api/client';

export type HubState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** The wait before reconnect attempt `n` (0-based): 500 ms × 2^n capped at 10 s, each between half and one and a half
 *  of that at random, so the thousands of browsers a replica restart disconnects at once do not come back in step
 *  (bench/TaskHub.Bench's reconnect storm uses the same schedule). */
export function reconnectDelay(n: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.min(n, 5));
  return Math.round(base / 2 + random() * base);
}

export class AppHub {
  private readonly conn: signalR.HubConnection;
  private stopped = false;
  private current: HubState = 'connecting';
  private readonly stateListeners = new Set<(s: HubState) => void>();
  private readonly connectedListeners = new Set<() => void>();

  constructor(url = '/hubs/board?events=delta') {
    this.conn = new signalR.HubConnectionBuilder()
      .withUrl(url, { accessTokenFactory: () => hubToken(), skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
      .withHubProtocol(new MessagePackHubProtocol())
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => reconnectDelay(ctx.previousRetryCount) })
      .configureLogging(signalR.LogLevel.None)
      .build();
    this.conn.onreconnecting(() => this.set('reconnecting'));
    this.conn.onreconnected(() => this.connected());
    this.conn.onclose(() => {
      if (this.stopped) return;
      this.set('disconnected');
      setTimeout(() => void this.start(), 3000);
    });
  }

  get state(): HubState { return this.current; }

  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.conn.start();
      this.connected();
    } catch {
      // Not an error to toast: the board's "Reconnecting…" banner shows it, the inbox was loaded over REST,
      // and it is retried until the session ends.
      this.set('reconnecting');
      if (!this.stopped) setTimeout(() => void this.start(), 2000);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.conn.stop();
  }

  /** Handles a client method; returns the unsubscribe. */
  on<T>(method: string, handler: (arg: T) => void): () => void {
    const h = (arg: T) => handler(arg);
    this.conn.on(method, h);
    return () => this.conn.off(method, h);
  }

  /** Called on every (re)connection: the place to (re)join groups and fetch what pushes may have missed. */
  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => { this.connectedListeners.delete(listener); };
  }

  onState(listener: (s: HubState) => void): () => void {
    this.stateListeners.add(listener);
    return () => { this.stateListeners.delete(listener); };
  }

  invoke(method: string, ...args: unknown[]): Promise<void> {
    return this.conn.invoke(method, ...args);
  }

  private connected() {
    this.set('connected');
    for (const l of [...this.connectedListeners]) l();
  }

  private set(s: HubState) {
    this.current = s;
    for (const l of [...this.stateListeners]) l(s);
  }
}
