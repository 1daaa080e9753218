// The inbox's store: the signed-in person's notifications (newest first, unique by id) and the unread count.
// REST (`GET /api/me/notifications`, its `X-Unread-Count`) and hub pushes (`NotificationAdded`) → this store →
// the bell and its panel (useSyncExternalStore). No DOM, no React: unit-tested in inbox.test.ts.
import type { Notification } from '../api/types';

export interface InboxSnapshot {
  /** Newest first, each id once. */
  readonly items: readonly Notification[];
  readonly unread: number;
  /** The first page has arrived. */
  readonly loaded: boolean;
  /** The last page fetched was full: older ones may exist. */
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
}

export interface InboxApi {
  /** A page, newest first, older than `before` when given; `unread` is the server's count (X-Unread-Count). */
  list(before?: string): Promise<{ items: Notification[]; unread: number }>;
  markRead(body: { ids?: string[]; all?: boolean }): Promise<void>;
}

/** Tells the person what failed, why and what to do (a toast). */
export type Report = (what: string, error: unknown, todo: string) => void;

export const PAGE_SIZE = 50;

const newestFirst = (a: Notification, b: Notification) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1;

/**
 * Merges by id, newest first. Reading is one-way: an item read on either side stays read
 * (so a fetch that started before a mark-read does not bring the unread state back).
 */
export function mergeItems(current: readonly Notification[], incoming: readonly Notification[]): Notification[] {
  const byId = new Map(current.map(n => [n.id, n]));
  for (const n of incoming) {
    const had = byId.get(n.id);
    byId.set(n.id, had ? { ...n, readAt: had.readAt ?? n.readAt } : n);
  }
  return [...byId.values()].sort(newestFirst);
}

export class Inbox {
  private snap: InboxSnapshot = { items: [], unread: 0, loaded: false, hasMore: false, loadingMore: false };
  private readonly listeners = new Set<() => void>();
  private refreshes = 0;
  private countFrom = 0;

  constructor(private readonly api: InboxApi, private readonly report: Report) {}

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  };
  readonly getSnapshot = (): InboxSnapshot => this.snap;

  private publish(patch: Partial<InboxSnapshot>) {
    this.snap = { ...this.snap, ...patch };
    this.listeners.forEach(l => l());
  }

  /** The first page and the count (on start and on every hub (re)connection: pushes may have been missed). */
  async refresh(): Promise<void> {
    const mine = ++this.refreshes;
    let page: { items: Notification[]; unread: number };
    try { page = await this.api.list(); }
    catch (e) { this.report("Couldn't load your notifications", e, 'The bell may be out of date; reload the page to try again.'); return; }
    const fetched = new Set(page.items.map(n => n.id));
    const newestFetched = page.items[0]?.createdAt ?? '';
    const items = mergeItems(this.snap.items, page.items);
    const patch: { -readonly [K in keyof InboxSnapshot]?: InboxSnapshot[K] } = { items, loaded: true };
    if (!this.snap.loaded) patch.hasMore = page.items.length >= PAGE_SIZE;
    // The newest answer sets the count: the server's, less what was read here meanwhile, plus what was pushed
    // here after the server counted (newer than anything it listed, and not in its page).
    if (mine > this.countFrom) {
      this.countFrom = mine;
      const readHere = page.items.filter(n => !n.readAt && items.find(i => i.id === n.id)?.readAt).length;
      const pushedSince = items.filter(n => !n.readAt && !fetched.has(n.id) && n.createdAt > newestFetched).length;
      patch.unread = Math.max(0, page.unread - readHere + pushedSince);
    }
    this.publish(patch);
  }

  /** The next page, older than the oldest shown. */
  async loadMore(): Promise<void> {
    const oldest = this.snap.items[this.snap.items.length - 1];
    if (!oldest || this.snap.loadingMore) return;
    this.publish({ loadingMore: true });
    try {
      const page = await this.api.list(oldest.createdAt);
      this.publish({ items: mergeItems(this.snap.items, page.items), hasMore: page.items.length >= PAGE_SIZE, loadingMore: false });
    } catch (e) {
      this.publish({ loadingMore: false });
      this.report("Couldn't load older notifications", e, 'Try “Load more” again.');
    }
  }

  /** A hub push: prepended and counted, unless a fetch (or an earlier push) already brought it. */
  pushed(n: Notification): void {
    if (this.snap.items.some(i => i.id === n.id)) return;
    this.publish({ items: mergeItems(this.snap.items, [n]), unread: this.snap.unread + (n.readAt ? 0 : 1) });
  }

  /** Marks some read here at once, then on the server; puts them back if the server refuses. */
  async markRead(ids: readonly string[]): Promise<void> {
    const unread = new Set(this.snap.items.filter(n => ids.includes(n.id) && !n.readAt).map(n => n.id));
    if (!unread.size) return;
    const now = new Date().toISOString();
    this.publish({
      items: this.snap.items.map(n => (unread.has(n.id) ? { ...n, readAt: now } : n)),
      unread: Math.max(0, this.snap.unread - unread.size),
    });
    try { await this.api.markRead({ ids: [...unread] }); }
    catch (e) {
      this.unmark(unread, unread.size);
      this.report("Couldn't mark the notification read", e, 'It is shown unread again; try again.');
    }
  }

  async markAllRead(): Promise<void> {
    const unread = new Set(this.snap.items.filter(n => !n.readAt).map(n => n.id));
    const count = this.snap.unread;
    const now = new Date().toISOString();
    this.publish({ items: this.snap.items.map(n => (unread.has(n.id) ? { ...n, readAt: now } : n)), unread: 0 });
    try {
      await this.api.markRead({ all: true });
      // Read on the server is everything up to the request; what was pushed since stays unread.
      this.publish({ unread: this.snap.items.filter(n => !n.readAt).length });
    } catch (e) {
      this.unmark(unread, count);
      this.report("Couldn't mark your notifications read", e, 'They are shown unread again; try again.');
    }
  }

  private unmark(ids: ReadonlySet<string>, count: number) {
    this.publish({ items: this.snap.items.map(n => (ids.has(n.id) ? { ...n, readAt: null } : n)), unread: this.snap.unread + count });
  }
}
