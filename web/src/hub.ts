// The SignalR connection of a signed-in session (WebSockets, `skipNegotiation`, the MessagePack hub protocol,
// automatic reconnect, then a restart loop after a close). The server writes MessagePack in the JSON API's exact
// shape (camelCase keys, lower-case enum strings, dates as ISO strings), so handlers get the same objects either way.
// It asks for delta events (`?events=delta`) and says it moves when a replica asks (`handover=1`, below): a task's change arrives as its changed fields, which the board's store
// (src/sync.ts) lays over the task it holds.
// Everything live goes over it: the inbox (`NotificationAdded`, on every page) and the open board (`BoardLive`
// joins and leaves its board on this same connection).
//
// Rolling restarts without a gap (the handover, make before break): a replica that is stopping while another one is
// live sends its connections `ServerStopping { moveWithinMs }` and keeps serving them while they move (up to 20 s by default),
// refusing new ones so the load balancer sends those elsewhere. On it, AppHub waits a random time within `moveWithinMs`
// (the replica's viewers do not all land on the others at once), opens a second connection with the same URL and
// options, makes it the current one (`invoke` goes there) and runs the `onConnected` listeners on it (the board rejoins
// from its applied seq, the inbox refreshes), and only once they have finished stops the old one. In the overlap both
// connections deliver: the board's store applies by seq and drops what it already has, the inbox is unique by id.
// The state stays 'connected' throughout, and a replaced connection's close starts nothing. A new connection that cannot
// be opened is tried again (3 tries, a reconnect's waits between them). If none opens, or a listener cannot use it (the
// board's rejoin fails while the old connection is open: its promise rejects), the old one stays the current one and the
// new one is stopped; when the old replica closes it, the reconnect below takes over as before. One move at a time: if
// the new connection's replica stops too meanwhile (a fast rolling restart), the next move follows.
// So that handlers survive a move, `on` keeps them here (method → handlers) and every connection dispatches to them.
// A replica that holds more than its share of the connections (after another one came back) asks some of them to move
// the same way (`reason: 'rebalancing'`): the client does exactly the same, but for one mark. Such a move's new connection
// says so (`move=1`, on that connect only: its later reconnects go without it), so a replica still waiting for the moves
// it asked for refuses it with 503 and the load balancer (or the next try) picks another one: behind a round-robin
// balancer a move would otherwise often land back on the replica that asked for it. A stopping replica's moves are not
// marked: any live replica must take those.
import * as signalR from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { hubToken } from './api/client';
import type { ServerStopping } from './api/types';

export type HubState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** What AppHub uses of a SignalR connection (hub.test.ts hands it fakes). */
export type HubConnectionLike = Pick<signalR.HubConnection, 'start' | 'stop' | 'invoke' | 'on' | 'onclose' | 'onreconnecting' | 'onreconnected' | 'baseUrl'>;

/** A rebalancing move's new connection: `url` marked `move=1` (at the end). */
export function moveUrl(url: string): string {
  return url + (url.includes('?') ? '&' : '?') + 'move=1';
}

/** `url` without the mark `moveUrl` added (SignalR keeps the URL resolved: absolute, so the mark is taken off that). */
export function unmarkedUrl(url: string): string {
  return url.replace(/[?&]move=1$/, '');
}

export interface AppHubOptions {
  /** Builds one connection; by default SignalR's, as above. */
  connect?: (url: string) => HubConnectionLike;
  /** For the random waits (reconnect, handover). */
  random?: () => number;
  /** Runs `fn` after `ms` (the restart loop, the handover's wait). */
  timer?: (fn: () => void, ms: number) => void;
}

/** The wait before reconnect attempt `n` (0-based): 500 ms × 2^n capped at 10 s, each between half and one and a half
 *  of that at random, so the thousands of browsers a replica restart disconnects at once do not come back in step
 *  (bench/TaskHub.Bench's reconnect storm uses the same schedule). */
export function reconnectDelay(n: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.min(n, 5));
  return Math.round(base / 2 + random() * base);
}

/** The wait before moving off a stopping replica: anywhere in [0, moveWithinMs], so its viewers arrive spread out. */
export function handoverDelay(moveWithinMs: number, random: () => number = Math.random): number {
  const within = Number.isFinite(moveWithinMs) ? Math.max(0, moveWithinMs) : 0;
  return Math.round(random() * within);
}

/** How many times a move tries to open its new connection, waiting as a reconnect does between tries, while the old one
 *  is still served: a balancer may still send a connect or two to the stopping replica, which refuses them (Kubernetes
 *  takes a pod out of its Service as it sends SIGTERM, not before; nginx here goes on to the next replica by itself). */
export const HANDOVER_OPEN_ATTEMPTS = 3;

/** How many times a rebalancing move tries to open its new connection, and the short wait before each next try
 *  (`rebalanceRetryDelay`), while the old one is still served. The replica that asked refuses moves (503) while its asked
 *  clients are on their way; a balancer that hands a 503 back to the client instead of trying the next replica (the AWS
 *  ALB) sends about one try in N to it with N replicas, so with 3 tries one move in 8 failed with two replicas and was
 *  asked again only after the replica's `MoveGraceSeconds` (bench/README.md, "Forty-first round"). 8 tries, the last
 *  at most 1 + 7 × 0.5 s after the ask (under that 5 s grace): 1 in 256. */
export const REBALANCE_OPEN_ATTEMPTS = 8;

/** The wait before a rebalancing move's next try: 200–500 ms at random. */
export function rebalanceRetryDelay(random: () => number = Math.random): number {
  return Math.round(200 + random() * 300);
}

/** The longest a move waits for the new connection's `onConnected` work before it stops the old connection (by then
 *  the old replica has usually closed it, or is about to: `Realtime:Handover:QuietSeconds`, `MaxSeconds`). */
export const HANDOVER_JOIN_CAP_MS = 10_000;

function signalRConnection(url: string, random: () => number): HubConnectionLike {
  return new signalR.HubConnectionBuilder()
    .withUrl(url, { accessTokenFactory: () => hubToken(), skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
    .withHubProtocol(new MessagePackHubProtocol())
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: ctx => reconnectDelay(ctx.previousRetryCount, random) })
    .configureLogging(signalR.LogLevel.None)
    .build();
}

type Handler = (arg: unknown) => void;

/** What `onConnected` listeners are told about the connection they run on. */
export interface Connected {
  /** On a handover's new connection, while the move can still be undone: the old connection is still open (and still
   *  joined to whatever was joined there) and the move has not outlasted its cap. A listener that cannot use the new
   *  connection reads it when it fails: true, it rejects and the move is undone; false, it retries as on any connection. */
  readonly handover: boolean;
}

export class AppHub {
  /** The connection `invoke` uses and whose state the session shows. */
  private conn: HubConnectionLike;
  /** Every connection not stopped yet: the current one, and during a move the other one. */
  private readonly live = new Set<HubConnectionLike>();
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly dispatchers = new Map<string, (arg: unknown) => void>();
  private stopped = false;
  private moving = false;
  /** ServerStopping messages that came during a move, by connection: the current one's is handled when the move is over. */
  private readonly pendingStops = new Map<HubConnectionLike, ServerStopping | undefined>();
  private current: HubState = 'connecting';
  private readonly stateListeners = new Set<(s: HubState) => void>();
  private readonly connectedListeners = new Set<(c: Connected) => void | Promise<unknown>>();
  private readonly connect: (url: string) => HubConnectionLike;
  private readonly random: () => number;
  private readonly timer: (fn: () => void, ms: number) => void;

  constructor(private readonly url = '/hubs/board?events=delta&handover=1', options: AppHubOptions = {}) {
    this.random = options.random ?? Math.random;
    this.timer = options.timer ?? ((fn, ms) => { setTimeout(fn, ms); });
    this.connect = options.connect ?? (u => signalRConnection(u, this.random));
    this.conn = this.open();
  }

  get state(): HubState { return this.current; }

  start(): Promise<void> {
    return this.run(this.conn);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.live];
    this.live.clear();
    await Promise.allSettled(all.map(c => c.stop()));
  }

  /** Handles a client method, on this connection and on any that replaces it; returns the unsubscribe. */
  on<T>(method: string, handler: (arg: T) => void): () => void {
    const h: Handler = arg => handler(arg as T); // its own entry, even for a handler that is already registered
    let set = this.handlers.get(method);
    if (!set) {
      set = new Set();
      this.handlers.set(method, set);
      for (const c of this.live) c.on(method, this.dispatcher(method));
    }
    set.add(h);
    return () => { this.handlers.get(method)?.delete(h); };
  }

  /** Called on every (re)connection, a handover's new connection included: the place to (re)join groups and fetch
   *  what pushes may have missed. A handover stops the old connection once the promises returned here have settled,
   *  and keeps it instead if one of them rejected there (`Connected.handover`). */
  onConnected(listener: (c: Connected) => void | Promise<unknown>): () => void {
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

  /** A connection, dispatching every method handled here; what it reports counts only while it is the current one. */
  private open(url = this.url): HubConnectionLike {
    const conn = this.connect(url);
    this.live.add(conn);
    for (const method of this.handlers.keys()) conn.on(method, this.dispatcher(method));
    conn.on('ServerStopping', (s?: ServerStopping) => this.serverStopping(conn, s));
    // A move's mark is for its first connect: a reconnect (or the restart after a close) is no move, and is never refused for it.
    const unmark = () => { if (url !== this.url) conn.baseUrl = unmarkedUrl(conn.baseUrl); };
    conn.onreconnecting(() => { unmark(); if (conn === this.conn) this.set('reconnecting'); });
    conn.onreconnected(() => { if (conn === this.conn) void this.connected(); });
    conn.onclose(() => {
      unmark();
      if (this.stopped || conn !== this.conn) { // a replaced connection's close is expected
        this.live.delete(conn);
        return;
      }
      // The current connection stays in `live` while it waits to restart, so handlers added meanwhile reach it.
      this.set('disconnected');
      this.timer(() => void this.run(conn), 3000);
    });
    return conn;
  }

  /** One function per method for every connection: it calls the handlers registered now, each on its own. */
  private dispatcher(method: string): (arg: unknown) => void {
    let d = this.dispatchers.get(method);
    if (!d) {
      d = (arg: unknown) => {
        for (const h of [...(this.handlers.get(method) ?? [])]) {
          try { h(arg); } catch (e) { console.error(`Hub handler for ${method} failed`, e); }
        }
      };
      this.dispatchers.set(method, d);
    }
    return d;
  }

  /** Starts `conn` (the first start, and the restart loop after a close) while it is the current connection. */
  private async run(conn: HubConnectionLike): Promise<void> {
    if (this.stopped || conn !== this.conn) return;
    this.live.add(conn);
    try {
      await conn.start();
    } catch {
      // Not an error to toast: the board's "Reconnecting…" banner shows it, the inbox was loaded over REST,
      // and it is retried until the session ends.
      if (this.stopped || conn !== this.conn) return;
      this.set('reconnecting');
      this.timer(() => void this.run(conn), 2000);
      return;
    }
    if (conn === this.conn) void this.connected();
  }

  private serverStopping(from: HubConnectionLike, s: ServerStopping | undefined) {
    if (this.stopped) return;
    if (this.moving) { // one at a time: the new connection's own replica stopping too (a fast rolling restart) moves again after
      this.pendingStops.set(from, s);
      return;
    }
    if (from !== this.conn) return;
    this.moving = true;
    this.timer(() => void this.move(from, s?.reason === 'rebalancing'), handoverDelay(Number(s?.moveWithinMs), this.random));
  }

  /** Make before break: a new connection, its connected work, then the old connection stops. */
  private async move(old: HubConnectionLike, rebalancing = false): Promise<void> {
    try {
      let next: HubConnectionLike | undefined;
      for (let attempt = 0; !next; attempt++) {
        if (this.stopped || old !== this.conn) return;
        const c = this.open(rebalancing ? moveUrl(this.url) : this.url);
        try {
          await c.start();
          next = c;
        } catch {
          this.live.delete(c);
          // Keep the old one: when its replica closes it, it reconnects as any other.
          if (attempt + 1 >= (rebalancing ? REBALANCE_OPEN_ATTEMPTS : HANDOVER_OPEN_ATTEMPTS)) return;
          const wait = rebalancing ? rebalanceRetryDelay(this.random) : reconnectDelay(attempt, this.random);
          await new Promise<void>(resolve => this.timer(resolve, wait));
        }
      }
      if (this.stopped || old !== this.conn) { this.live.delete(next); await next.stop(); return; }
      this.conn = next;
      // Undoable while the old connection is open: past the cap it is stopped (below), and its replica may close it first.
      const live = this.live;
      const context: Connected = { get handover() { return live.has(old); } };
      const usable = await Promise.race([
        this.connected(context),
        new Promise<boolean>(resolve => this.timer(() => resolve(true), HANDOVER_JOIN_CAP_MS)),
      ]);
      if (!usable && !this.stopped && this.conn === next) { // e.g. the board could not rejoin there
        if (this.live.has(old)) { // stay where it is joined, and still served
          this.conn = old;
          this.live.delete(next);
          await next.stop().catch(() => {});
          if (this.current !== 'connected') void this.connected(); // the new one dropped meanwhile: rejoin where it is
        } else {
          await next.stop().catch(() => {}); // the old one has closed too: the usual restart (and rejoin) on the new one
        }
        return;
      }
      this.live.delete(old);
      await old.stop().catch(() => {});
    } finally {
      this.moving = false;
      const current = this.conn;
      const pending = this.pendingStops.has(current);
      const s = this.pendingStops.get(current);
      this.pendingStops.clear(); // (those from the connection just left are done with)
      if (pending) this.serverStopping(current, s);
    }
  }

  /** 'connected', then the connected listeners; settles when every promise they returned has, with whether none
   *  rejected. */
  private async connected(context: Connected = { handover: false }): Promise<boolean> {
    this.set('connected');
    const results = await Promise.allSettled([...this.connectedListeners].map(l => {
      try { return l(context); } catch (e) { return Promise.reject(e); }
    }));
    return results.every(r => r.status === 'fulfilled');
  }

  private set(s: HubState) {
    this.current = s;
    for (const l of [...this.stateListeners]) l(s);
  }
}
