import { describe, expect, it, vi } from 'vitest';
import type { Notification } from '../api/types';
import { Inbox, PAGE_SIZE, mergeItems, type InboxApi } from './inbox';

function note(id: string, minute: number, over: Partial<Notification> = {}): Notification {
  return {
    id, kind: 'assigned', boardId: 'b', taskId: `t-${id}`, actorId: 'a', text: `note ${id}`,
    createdAt: `2026-05-01T10:${String(minute).padStart(2, '0')}:00.000000Z`, readAt: null, ...over,
  };
}

/** A fake server: answers `list` with what it holds (newest first), counts marks. */
function fakeApi(held: Notification[] = []) {
  const state = { held, marks: [] as { ids?: string[]; all?: boolean }[], failMark: false, failList: false };
  const api: InboxApi = {
    list: vi.fn(async (before?: string) => {
      if (state.failList) throw new Error('offline');
      const items = [...state.held].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).filter(n => !before || n.createdAt < before);
      return { items: items.slice(0, PAGE_SIZE), unread: state.held.filter(n => !n.readAt).length };
    }),
    markRead: vi.fn(async (body: { ids?: string[]; all?: boolean }) => {
      state.marks.push(body);
      if (state.failMark) throw new Error('500');
      state.held = state.held.map(n => (body.all || body.ids?.includes(n.id) ? { ...n, readAt: n.readAt ?? 'now' } : n));
    }),
  };
  return { api, state };
}

const ids = (inbox: Inbox) => inbox.getSnapshot().items.map(n => n.id);

describe('inbox', () => {
  it('loads the first page and takes the count from the server', async () => {
    const { api } = fakeApi([note('1', 1), note('2', 2, { readAt: '2026-05-01T11:00:00Z' }), note('3', 3)]);
    const inbox = new Inbox(api, vi.fn());
    await inbox.refresh();
    expect(ids(inbox)).toEqual(['3', '2', '1']);
    expect(inbox.getSnapshot()).toMatchObject({ unread: 2, loaded: true, hasMore: false });
  });

  it('counts a push up and prepends it', async () => {
    const { api } = fakeApi([note('1', 1)]);
    const inbox = new Inbox(api, vi.fn());
    await inbox.refresh();
    const seen: number[] = [];
    inbox.subscribe(() => seen.push(inbox.getSnapshot().unread));
    inbox.pushed(note('2', 2));
    inbox.pushed(note('3', 3));
    expect(seen).toEqual([2, 3]);
    expect(ids(inbox)).toEqual(['3', '2', '1']);
  });

  it('counts an item once when a push and a fetch both bring it, in either order', async () => {
    const n2 = note('2', 2);
    // push first, then a fetch that lists it (and counts it)
    const a = fakeApi([note('1', 1), n2]);
    const inboxA = new Inbox(a.api, vi.fn());
    inboxA.pushed(n2);
    await inboxA.refresh();
    expect(ids(inboxA)).toEqual(['2', '1']);
    expect(inboxA.getSnapshot().unread).toBe(2);
    // fetch first, then the (late) push of an item it already listed
    const b = fakeApi([note('1', 1), n2]);
    const inboxB = new Inbox(b.api, vi.fn());
    await inboxB.refresh();
    inboxB.pushed(n2);
    inboxB.pushed(n2);
    expect(ids(inboxB)).toEqual(['2', '1']);
    expect(inboxB.getSnapshot().unread).toBe(2);
  });

  it('shows and counts once a push that both connections of a hub handover deliver', async () => {
    const { api } = fakeApi([note('1', 1)]);
    const inbox = new Inbox(api, vi.fn());
    await inbox.refresh();
    inbox.pushed(note('2', 2));
    inbox.pushed(note('2', 2));
    expect(ids(inbox)).toEqual(['2', '1']);
    expect(inbox.getSnapshot().unread).toBe(2);
  });

  it('keeps an item pushed after the server counted (not in its page) in the count', async () => {
    const { api } = fakeApi([note('1', 1)]);
    let release!: () => void;
    const list = api.list;
    api.list = async before => { const r = await list(before); await new Promise<void>(res => { release = res; }); return r; };
    const inbox = new Inbox(api, vi.fn());
    const refreshing = inbox.refresh();
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    inbox.pushed(note('2', 2)); // created after the server answered
    release();
    await refreshing;
    expect(ids(inbox)).toEqual(['2', '1']);
    expect(inbox.getSnapshot().unread).toBe(2);
  });

  it('marks one read: locally at once, then on the server', async () => {
    const { api, state } = fakeApi([note('1', 1), note('2', 2)]);
    const inbox = new Inbox(api, vi.fn());
    await inbox.refresh();
    const done = inbox.markRead(['1']);
    expect(inbox.getSnapshot().unread).toBe(1);
    expect(inbox.getSnapshot().items.find(n => n.id === '1')!.readAt).not.toBeNull();
    await done;
    expect(state.marks).toEqual([{ ids: ['1'] }]);
    await inbox.markRead(['1']); // already read: nothing sent, nothing counted
    expect(state.marks).toHaveLength(1);
    expect(inbox.getSnapshot().unread).toBe(1);
  });

  it('puts a mark back and reports it when the server refuses', async () => {
    const { api, state } = fakeApi([note('1', 1), note('2', 2)]);
    const report = vi.fn();
    const inbox = new Inbox(api, report);
    await inbox.refresh();
    state.failMark = true;
    await inbox.markRead(['2']);
    expect(inbox.getSnapshot().unread).toBe(2);
    expect(inbox.getSnapshot().items.every(n => n.readAt === null)).toBe(true);
    await inbox.markAllRead();
    expect(inbox.getSnapshot().unread).toBe(2);
    expect(report).toHaveBeenCalledTimes(2);
    expect(report.mock.calls[0][0]).toMatch(/mark/);
  });

  it('marks all read: the badge goes to 0 and a later push counts from there', async () => {
    const { api, state } = fakeApi([note('1', 1), note('2', 2), note('3', 3)]);
    const inbox = new Inbox(api, vi.fn());
    await inbox.refresh();
    await inbox.markAllRead();
    expect(state.marks).toEqual([{ all: true }]);
    expect(inbox.getSnapshot().unread).toBe(0);
    inbox.pushed(note('4', 4));
    expect(inbox.getSnapshot().unread).toBe(1);
    await inbox.refresh(); // the server agrees
    expect(inbox.getSnapshot().unread).toBe(1);
  });

  it('does not bring back as unread what was read here while a fetch was under way', async () => {
    const { api } = fakeApi([note('1', 1), note('2', 2)]);
    const inbox = new Inbox(api, vi.fn());
    await inbox.refresh();
    const stale = await api.list(); // the server's answer from before the mark
    api.list = vi.fn(async () => stale);
    await inbox.markRead(['2']);
    await inbox.refresh();
    expect(inbox.getSnapshot().items.find(n => n.id === '2')!.readAt).not.toBeNull();
    expect(inbox.getSnapshot().unread).toBe(1);
  });

  it('pages older items with before= the oldest shown, deduped', async () => {
    const held = Array.from({ length: 60 }, (_, i) => note(String(100 + i), i));
    const { api } = fakeApi(held);
    const inbox = new Inbox(api, vi.fn());
    await inbox.refresh();
    expect(inbox.getSnapshot()).toMatchObject({ hasMore: true, unread: 60 });
    expect(ids(inbox)).toHaveLength(50);
    await inbox.loadMore();
    expect(api.list).toHaveBeenLastCalledWith(note('110', 10).createdAt);
    expect(ids(inbox)).toHaveLength(60);
    expect(new Set(ids(inbox)).size).toBe(60);
    expect(inbox.getSnapshot().hasMore).toBe(false);
  });

  it('reports a failed load instead of swallowing it', async () => {
    const { api, state } = fakeApi([note('1', 1)]);
    state.failList = true;
    const report = vi.fn();
    const inbox = new Inbox(api, report);
    await inbox.refresh();
    expect(report).toHaveBeenCalledWith("Couldn't load your notifications", expect.any(Error), expect.any(String));
    expect(inbox.getSnapshot().loaded).toBe(false);
  });

  it('mergeItems keeps read state one-way and sorts newest first', () => {
    const merged = mergeItems([note('1', 1, { readAt: 'x' })], [note('1', 1), note('0', 0)]);
    expect(merged.map(n => [n.id, n.readAt])).toEqual([['1', 'x'], ['0', null]]);
  });
});
