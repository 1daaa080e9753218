import { describe, expect, it, vi } from 'vitest';
import type { BoardEvent, Task } from './api/types';
import { AppHub, HANDOVER_JOIN_CAP_MS, HANDOVER_OPEN_ATTEMPTS, REBALANCE_OPEN_ATTEMPTS, handoverDelay, rebalanceRetryDelay, reconnectDelay, type HubState } from './hub';
import { BoardLive } from './live';
import { BoardStore } from './sync';
import { task } from './test/fixtures';

describe('reconnectDelay', () => {
  it('doubles from 500 ms to at most 10 s, spread between half and one and a half of that', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(n => reconnectDelay(n, () => 0.5))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(reconnectDelay(0, () => 0)).toBe(250);
    expect(reconnectDelay(0, () => 0.999)).toBe(750);
    expect(reconnectDelay(7, () => 0)).toBe(5000);
  });

  it('spreads a crowd: 1,000 first attempts are not in step', () => {
    const delays = Array.from({ length: 1000 }, () => reconnectDelay(0));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...delays)).toBeLessThanOrEqual(750);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});

/** A SignalR connection as far as AppHub uses it: the test plays the server (`push`, `drop`) and answers invocations. */
class FakeConnection {
  readonly calls: { method: string; args: unknown[]; resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly methods = new Map<string, ((...args: any[]) => any)[]>();
  private readonly closed: ((e?: Error) => void)[] = [];
  private readonly reconnecting: ((e?: Error) => void)[] = [];
  private readonly reconnected: ((id?: string) => void)[] = [];
  starts = 0;
  state: 'disconnected' | 'connected' | 'reconnecting' = 'disconnected';
  private url: string;

  /** Built as SignalR's is: the URL resolved (absolute). */
  constructor(readonly id: number, private readonly failStart: boolean, url = '/hubs/board') {
    this.url = new URL(url, 'http://localhost').href;
  }

  /** The URL it (re)connects to; as SignalR's, settable only while disconnected or reconnecting, and kept as given. */
  get baseUrl(): string { return this.url; }
  set baseUrl(url: string) {
    if (this.state === 'connected') throw new Error('The HubConnection must be in the Disconnected or Reconnecting state to change the url.');
    this.url = url;
  }

  async start(): Promise<void> {
    this.starts++;
    if (this.failStart) throw new Error('503 Service Unavailable');
    this.state = 'connected';
  }
  async stop(): Promise<void> {
    if (this.state === 'disconnected') return;
    this.state = 'disconnected';
    for (const cb of this.closed) cb();
  }
  invoke(method: string, ...args: any[]): Promise<any> {
    if (this.state !== 'connected') return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => this.calls.push({ method, args, resolve: () => resolve(undefined), reject }));
  }
  on(method: string, handler: (...args: any[]) => any): void { this.methods.set(method, [...(this.methods.get(method) ?? []), handler]); }
  onclose(cb: (e?: Error) => void): void { this.closed.push(cb); }
  onreconnecting(cb: (e?: Error) => void): void { this.reconnecting.push(cb); }
  onreconnected(cb: (id?: string) => void): void { this.reconnected.push(cb); }

  /** The server sends a client method (only while connected, as a real connection). */
  push(method: string, arg: unknown): void {
    if (this.state !== 'connected') return;
    for (const h of this.methods.get(method) ?? []) h(arg);
  }
  /** The transport drops: automatic reconnect begins. */
  drop(): void { this.state = 'reconnecting'; for (const cb of this.reconnecting) cb(); }
  invoked(method: string): unknown[][] { return this.calls.filter(c => c.method === method).map(c => c.args); }
  answer(method: string): void { for (const c of this.calls.filter(c => c.method === method)) c.resolve(); }
  /** The server answers the pending calls of `method` with an error (a HubException). */
  fail(method: string): void { for (const c of this.calls.filter(c => c.method === method)) c.reject(new Error('HubException')); }
}

describe('AppHub URL', () => {
  it('asks for delta events and says it moves when its replica stops (the server asks only such clients)', () => {
    const urls: string[] = [];
    new AppHub(undefined, { connect: url => { urls.push(url); return new FakeConnection(0, false); } });
    const query = new URLSearchParams(urls[0].split('?')[1]);
    expect(urls[0].split('?')[0]).toBe('/hubs/board');
    expect(query.get('events')).toBe('delta');
    expect(query.get('handover')).toBe('1');
  });
});

const flush = () => new Promise(resolve => setTimeout(resolve, 0));

/** An AppHub over fake connections, with its timers held here (run by `fire`) and random() = 0.5. */
function harness() {
  const conns: FakeConnection[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const failing = new Set<number>(); // connection numbers whose start fails
  const hub = new AppHub('/hubs/board?events=delta', {
    connect: url => { const c = new FakeConnection(conns.length, failing.has(conns.length), url); conns.push(c); return c; },
    random: () => 0.5,
    timer: (fn, ms) => { timers.push({ fn, ms }); },
  });
  const states: HubState[] = [];
  hub.onState(s => states.push(s));
  /** Runs the timers waiting `ms` (those set meanwhile wait for the next call), then lets promises settle. */
  async function fire(ms: number) {
    const due = timers.filter(t => t.ms === ms);
    for (const t of due) timers.splice(timers.indexOf(t), 1);
    for (const t of due) t.fn();
    await flush();
  }
  return { hub, conns, timers, failing, states, fire };
}

function ev(seq: number, t: Task): BoardEvent {
  return { boardId: 'b', seq, type: 'TaskCreated', task: t, actorId: 'u', changes: [], at: '2026-01-01T00:00:00Z' };
}

function openBoard(hub: AppHub, seq: number) {
  const store = new BoardStore([], seq);
  const applied: number[] = [];
  const live = new BoardLive(hub, 'b', store, { onApplied: a => applied.push(...a.map(x => x.event.seq)), onRevoked: vi.fn(), onError: vi.fn() });
  live.start();
  return { store, applied, live };
}

/** A hub whose board has just asked to move and opened its new connection (the wait was 1 s); the rejoin there is pending. */
async function moving() {
  const h = harness();
  const board = await askedToMove(h);
  await h.fire(1000);
  return { h, ...board, next: h.conns[1] };
}

/** A hub with board 'b' open (applied seq 5), joined, whose replica has just asked it to move (within 2 s). */
async function askedToMove(h = harness()) {
  const board = openBoard(h.hub, 5);
  await h.hub.start();
  const [old] = h.conns;
  old.answer('JoinBoard');
  old.push('ServerStopping', { moveWithinMs: 2000 });
  return { ...board, old };
}

describe('handover (ServerStopping): make before break', () => {
  it('handoverDelay spreads the move over [0, moveWithinMs]', () => {
    expect(handoverDelay(2000, () => 0)).toBe(0);
    expect(handoverDelay(2000, () => 0.5)).toBe(1000);
    expect(handoverDelay(2000, () => 0.9999)).toBe(2000);
    expect(handoverDelay(-5, () => 0.5)).toBe(0);
    expect(handoverDelay(Number.NaN, () => 0.5)).toBe(0);
  });

  it('opens a new connection after the wait, rejoins the board there with the applied seq, and stops the old one only after the join; never leaves connected', async () => {
    const h = harness();
    const { store, applied } = openBoard(h.hub, 5);
    await h.hub.start();
    const [old] = h.conns;
    expect(old.invoked('JoinBoard')).toEqual([['b', 5]]);
    old.answer('JoinBoard');
    old.push('TaskCreated', ev(6, task('a')));
    await flush();
    expect(store.appliedSeq).toBe(6);
    h.states.length = 0;

    old.push('ServerStopping', { moveWithinMs: 2000 });
    expect(h.timers.map(t => t.ms)).toEqual([1000]); // random 0.5 of 2000
    expect(h.conns).toHaveLength(1); // not before the wait
    await h.fire(1000);

    expect(h.conns).toHaveLength(2);
    const next = h.conns[1];
    expect(next.state).toBe('connected');
    expect(next.baseUrl).toBe('http://localhost/hubs/board?events=delta'); // a stopping replica's move is not marked: any replica takes it
    expect(next.invoked('JoinBoard')).toEqual([['b', 6]]);
    expect(old.state).toBe('connected'); // still serving until the join has finished

    // The overlap: both connections deliver; each seq applies once.
    old.push('TaskCreated', ev(7, task('b')));
    next.push('TaskCreated', ev(7, task('b')));
    next.push('TaskCreated', ev(8, task('c')));
    old.push('TaskCreated', ev(8, task('c')));
    expect(applied).toEqual([6, 7, 8]);
    expect(store.appliedSeq).toBe(8);
    expect(old.state).toBe('connected');

    next.answer('JoinBoard');
    await flush();
    expect(old.state).toBe('disconnected');
    expect(old.invoked('JoinBoard')).toHaveLength(1); // the old connection was not joined again
    expect(h.states.every(s => s === 'connected')).toBe(true);
    expect(h.hub.state).toBe('connected');
    expect(store.getSnapshot().connection).toBe('connected');
    expect(h.timers.filter(t => t.ms !== HANDOVER_JOIN_CAP_MS)).toEqual([]); // the old one's close restarts nothing

    // After the swap everything goes to the new connection.
    void h.hub.invoke('MarkSeen', 'b');
    expect(next.invoked('MarkSeen')).toEqual([['b']]);
    expect(old.invoked('MarkSeen')).toEqual([]);
    next.push('TaskCreated', ev(9, task('d')));
    expect(applied).toEqual([6, 7, 8, 9]);
  });

  it('moves the same way when its replica is rebalancing; the move\'s connect (every try) is marked move=1, its later reconnects and the first connection are not', async () => {
    const h = harness();
    const { store } = openBoard(h.hub, 5);
    await h.hub.start();
    const [old] = h.conns;
    old.answer('JoinBoard');
    h.failing.add(1); // the first try is refused (the replica that asked is still waiting for its moves)
    old.push('ServerStopping', { moveWithinMs: 1000, reason: 'rebalancing' });
    await h.fire(500);
    await h.fire(rebalanceRetryDelay(() => 0.5));
    expect(h.conns).toHaveLength(3);
    const next = h.conns[2];
    const move = (c: FakeConnection) => new URLSearchParams(c.baseUrl.split('?')[1]).get('move');
    expect([old, h.conns[1], next].map(move)).toEqual([null, '1', '1']);
    expect(next.baseUrl).toBe('http://localhost/hubs/board?events=delta&move=1');
    expect(next.invoked('JoinBoard')).toEqual([['b', 5]]);
    next.answer('JoinBoard');
    await flush();
    expect(old.state).toBe('disconnected');
    expect(h.hub.state).toBe('connected');

    next.drop(); // later its transport drops: the automatic reconnect is no move (and goes to the resolved URL)
    expect(next.baseUrl).toBe('http://localhost/hubs/board?events=delta');
    expect(store.getSnapshot().connection).toBe('reconnecting');
  });

  it('tries a rebalancing move\'s connect up to REBALANCE_OPEN_ATTEMPTS times with short waits (a balancer may hand the asking replica\'s 503 back), still served meanwhile', async () => {
    const h = harness();
    openBoard(h.hub, 5);
    await h.hub.start();
    const [old] = h.conns;
    old.answer('JoinBoard');
    for (let i = 1; i < REBALANCE_OPEN_ATTEMPTS; i++) h.failing.add(i); // every try but the last refused
    old.push('ServerStopping', { moveWithinMs: 1000, reason: 'rebalancing' });
    await h.fire(500);
    for (let attempt = 1; attempt < REBALANCE_OPEN_ATTEMPTS; attempt++) {
      expect(h.timers.map(t => t.ms)).toEqual([rebalanceRetryDelay(() => 0.5)]); // short, not a reconnect's growing wait
      expect(old.state).toBe('connected');
      await h.fire(rebalanceRetryDelay(() => 0.5));
    }
    expect(h.conns).toHaveLength(1 + REBALANCE_OPEN_ATTEMPTS);
    const next = h.conns[REBALANCE_OPEN_ATTEMPTS];
    expect(next.invoked('JoinBoard')).toEqual([['b', 5]]);
    next.answer('JoinBoard');
    await flush();
    expect(old.state).toBe('disconnected');
    expect(h.hub.state).toBe('connected');
    // The last try comes within the replica's MoveGraceSeconds (5 s) of the ask (moveWithinMs 1000 before the first).
    expect(1000 + (REBALANCE_OPEN_ATTEMPTS - 1) * rebalanceRetryDelay(() => 1)).toBeLessThan(5000);
  });

  it('keeps handlers registered before and after a move on the new connection, and their unsubscribe works across moves', async () => {
    const h = harness();
    const got: string[] = [];
    const offBefore = h.hub.on<string>('Ping', x => got.push(`before ${x}`));
    await h.hub.start();
    h.conns[0].push('ServerStopping', { moveWithinMs: 0 });
    await h.fire(0);
    const second = h.conns[1];
    expect(h.conns[0].state).toBe('disconnected'); // nothing to wait for: no connected listeners
    const offAfter = h.hub.on<string>('Ping', x => got.push(`after ${x}`));
    second.push('Ping', '1');
    expect(got).toEqual(['before 1', 'after 1']);

    offBefore();
    second.push('Ping', '2');
    expect(got.slice(2)).toEqual(['after 2']);

    second.push('ServerStopping', { moveWithinMs: 0 }); // a later stop moves again
    await h.fire(0);
    const third = h.conns[2];
    expect(second.state).toBe('disconnected');
    third.push('Ping', '3');
    expect(got.slice(3)).toEqual(['after 3']);
    offAfter();
    third.push('Ping', '4');
    expect(got).toHaveLength(4);
  });

  it('tries a new connection that cannot be opened again, with a reconnect\'s waits, and moves to the one that opens', async () => {
    const h = harness();
    h.failing.add(1); // e.g. the balancer sent this connect to the stopping replica, which refused it
    const { store, old } = await askedToMove(h);
    await h.fire(1000);
    expect(h.conns).toHaveLength(2);
    expect(h.timers.map(t => t.ms)).toEqual([reconnectDelay(0, () => 0.5)]);
    expect(old.state).toBe('connected');
    await h.fire(reconnectDelay(0, () => 0.5));

    expect(h.conns).toHaveLength(3);
    const next = h.conns[2];
    expect(next.invoked('JoinBoard')).toEqual([['b', 5]]);
    next.answer('JoinBoard');
    await flush();
    expect(old.state).toBe('disconnected');
    expect(h.hub.state).toBe('connected');
    expect(store.getSnapshot().connection).toBe('connected');
  });

  it('keeps the old connection when no new one can be opened; the usual reconnect takes over when it drops', async () => {
    const h = harness();
    for (let i = 1; i <= HANDOVER_OPEN_ATTEMPTS + 1; i++) h.failing.add(i);
    const { applied, old } = await askedToMove(h);
    await h.fire(1000);
    for (let attempt = 0; attempt < HANDOVER_OPEN_ATTEMPTS - 1; attempt++) await h.fire(reconnectDelay(attempt, () => 0.5));

    expect(h.conns).toHaveLength(1 + HANDOVER_OPEN_ATTEMPTS); // tried that many times, then no more
    expect(h.timers).toEqual([]);
    expect(h.conns.slice(1).every(c => c.starts === 1)).toBe(true);
    expect(old.state).toBe('connected');
    expect(h.hub.state).toBe('connected');
    void h.hub.invoke('MarkSeen', 'b');
    expect(old.invoked('MarkSeen')).toEqual([['b']]);
    old.push('TaskCreated', ev(6, task('a')));
    expect(applied).toEqual([6]);

    old.drop(); // the stopping replica closes it at the end
    expect(h.hub.state).toBe('reconnecting');
  });

  it('keeps the old connection, still joined and live, when the board cannot rejoin on the new one; the new one is stopped', async () => {
    const h = harness();
    const { store, applied, old } = await askedToMove(h);
    h.states.length = 0;
    await h.fire(1000);
    const next = h.conns[1];
    expect(next.invoked('JoinBoard')).toEqual([['b', 5]]);

    next.fail('JoinBoard'); // e.g. the other replica refuses the join
    await flush();
    expect(next.state).toBe('disconnected');
    expect(old.state).toBe('connected');
    expect(old.invoked('JoinBoard')).toHaveLength(1); // not joined again: it never left
    expect(store.getSnapshot().connection).toBe('connected'); // no "Reconnecting…" banner
    expect(h.states.every(s => s === 'connected')).toBe(true);
    void h.hub.invoke('MarkSeen', 'b');
    expect(old.invoked('MarkSeen')).toEqual([['b']]);
    old.push('TaskCreated', ev(6, task('a')));
    expect(applied).toEqual([6]);

    old.drop(); // the stopping replica closes it at the end: the usual reconnect, and the board rejoins there
    expect(h.hub.state).toBe('reconnecting');
  });

  it('a rejoin that fails after the move outlasted its cap is retried on the new connection (the old one is stopped by then)', async () => {
    const { h, store, old, next } = await moving();
    await h.fire(HANDOVER_JOIN_CAP_MS); // the join is slow: the old connection is stopped anyway
    expect(old.state).toBe('disconnected');

    next.fail('JoinBoard');
    await flush();
    expect(next.state).toBe('connected');
    expect(store.getSnapshot().connection).toBe('reconnecting'); // shown, and retried (not silently left unjoined)
    void h.hub.invoke('MarkSeen', 'b');
    expect(next.invoked('MarkSeen')).toEqual([['b']]);
  });

  it('a rejoin that fails after the old connection has closed is retried on the new one, not undone onto the closed one', async () => {
    const { h, store, old, next } = await moving();
    await old.stop(); // the stopping replica reached its limit while the join was under way

    next.fail('JoinBoard');
    await flush();
    expect(next.state).toBe('connected');
    expect(h.hub.state).toBe('connected');
    expect(store.getSnapshot().connection).toBe('reconnecting'); // the board retries its join here
    void h.hub.invoke('MarkSeen', 'b');
    expect(next.invoked('MarkSeen')).toEqual([['b']]);
  });

  it('when the new connection drops while joining, the move is undone and the board rejoins on the old one (no banner left)', async () => {
    const { h, store, old, next } = await moving();
    next.drop(); // automatic reconnect begins on the new connection: "reconnecting"
    expect(h.hub.state).toBe('reconnecting');
    next.fail('JoinBoard');
    await flush();

    expect(next.state).toBe('disconnected');
    expect(h.hub.state).toBe('connected');
    expect(old.invoked('JoinBoard')).toEqual([['b', 5], ['b', 5]]); // joined again where it is (it had left nothing)
    old.answer('JoinBoard');
    await flush();
    expect(store.getSnapshot().connection).toBe('connected');
  });

  it('a handler added while the closed connection waits to restart gets its events once it has', async () => {
    const h = harness();
    await h.hub.start();
    const [conn] = h.conns;
    await conn.stop(); // closed (not by us): 'disconnected', a restart in 3 s
    expect(h.hub.state).toBe('disconnected');
    const got: unknown[] = [];
    h.hub.on('NotificationAdded', n => got.push(n)); // e.g. a page opened meanwhile
    await h.fire(3000);
    expect(conn.state).toBe('connected');
    conn.push('NotificationAdded', { id: 'n1' });
    expect(got).toEqual([{ id: 'n1' }]);
  });

  it('moves once per stopping replica: a repeat from the old one is ignored, the new one stopping too moves again after', async () => {
    const h = harness();
    const { old } = await askedToMove(h);
    old.push('ServerStopping', { moveWithinMs: 2000 });
    expect(h.timers.map(t => t.ms)).toEqual([1000]);
    await h.fire(1000);
    const next = h.conns[1];
    next.push('ServerStopping', { moveWithinMs: 2000 }); // its replica stops too, while the join is still under way
    old.push('ServerStopping', { moveWithinMs: 2000 });
    expect(h.timers.filter(t => t.ms === 1000)).toEqual([]);
    expect(h.conns).toHaveLength(2);

    next.answer('JoinBoard'); // the move is over: the old connection stops, and the next move begins
    await flush();
    expect(old.state).toBe('disconnected');
    expect(h.timers.filter(t => t.ms === 1000)).toHaveLength(1);
    await h.fire(1000);
    expect(h.conns).toHaveLength(3);
    expect(h.hub.state).toBe('connected');
  });

  it('stop() during a move stops both connections', async () => {
    const h = harness();
    const { old } = await askedToMove(h);
    await h.fire(1000);
    const next = h.conns[1];
    expect(next.invoked('JoinBoard')).toHaveLength(1); // the join is pending
    await h.hub.stop();
    expect(old.state).toBe('disconnected');
    expect(next.state).toBe('disconnected');
    expect(h.states).not.toContain('disconnected');
  });

  it('stop() during the wait opens no new connection', async () => {
    const h = harness();
    await h.hub.start();
    h.conns[0].push('ServerStopping', { moveWithinMs: 2000 });
    await h.hub.stop();
    await h.fire(1000);
    expect(h.conns).toHaveLength(1);
    expect(h.conns[0].state).toBe('disconnected');
  });
});
