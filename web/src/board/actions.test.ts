import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '../api/types';
import { BoardStore } from '../sync';
import type { ToastApi } from '../ui/toasts';
import { boardActions } from './actions';
import { task } from '../test/fixtures';

const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

function toastSpy() {
  const shown: { kind: string; text: string }[] = [];
  const toasts: ToastApi = {
    show: t => { shown.push(t); return shown.length; },
    fail: (what, _e, todo) => { shown.push({ kind: 'error', text: `${what}. ${todo}` }); return shown.length; },
    dismiss: () => {},
    announce: vi.fn(),
  };
  return { toasts, shown };
}

describe('board actions', () => {
  let fetchMock: ReturnType<typeof vi.fn>;
  beforeEach(() => { fetchMock = vi.fn(); vi.stubGlobal('fetch', fetchMock); });
  afterEach(() => { vi.unstubAllGlobals(); vi.useRealTimers(); });

  it('a move shows at once at a temporary position, posts move with afterId, and keeps the saved task', async () => {
    const store = new BoardStore([task('a', { version: 4 }), task('x', { status: 'done', position: 'M' }), task('y', { status: 'done', position: 'N' })], 0);
    const { toasts } = toastSpy();
    let answer!: (r: Response) => void;
    fetchMock.mockReturnValueOnce(new Promise<Response>(r => { answer = r; }));
    boardActions(store, toasts, true).move('a', 'done', { afterId: 'x', position: 'MV' });
    expect(store.getSnapshot().tasks.get('a')).toMatchObject({ status: 'done', position: 'MV' }); // before the server answers
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/tasks/a/move');
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body)).toEqual({ status: 'done', afterId: 'x' });
    answer(json(200, task('a', { status: 'done', position: 'Ma', version: 4 })));
    await vi.waitFor(() => expect(store.getSnapshot().pending.size).toBe(0));
    expect(store.getSnapshot().tasks.get('a')).toMatchObject({ status: 'done', position: 'Ma', version: 4 });
  });

  it('a move without a place goes to the top of the column; a refused move rolls back', async () => {
    const store = new BoardStore([task('a', { position: 'V' }), task('x', { status: 'done', position: 'M' })], 0);
    const { toasts, shown } = toastSpy();
    fetchMock.mockResolvedValueOnce(json(400, { errors: { afterId: ['The task to put it after is not in that column.'] } }))
      .mockResolvedValueOnce(json(200, task('a')));
    boardActions(store, toasts, true).move('a', 'done');
    expect(store.getSnapshot().tasks.get('a')).toMatchObject({ status: 'done', position: 'L' });
    expect(JSON.parse(fetchMock.mock.calls[0][1].body)).toEqual({ status: 'done', afterId: null });
    await vi.waitFor(() => expect(shown).toContainEqual({ kind: 'error', text: 'The task to put it after is not in that column.' }));
    expect(store.getSnapshot().tasks.get('a')).toMatchObject({ status: 'todo', position: 'V' });
  });

  it('a 412 rolls back, says someone else changed it, and reloads the task', async () => {
    const store = new BoardStore([task('a', { title: 'mine?' })], 0);
    const { toasts, shown } = toastSpy();
    fetchMock
      .mockResolvedValueOnce(json(412, { title: 'Precondition Failed' }))
      .mockResolvedValueOnce(json(200, task('a', { title: 'theirs', version: 2 })));
    const ok = await boardActions(store, toasts, true).patch('a', { title: 'my edit' });
    expect(ok).toBe(false);
    expect(shown).toContainEqual({ kind: 'error', text: 'Someone else changed this task — reloaded.' });
    expect(fetchMock.mock.calls[1][0]).toBe('/api/tasks/a');
    expect(store.getSnapshot().tasks.get('a')?.title).toBe('theirs');
  });

  it('a viewer is told why and nothing is sent', async () => {
    const store = new BoardStore([task('a')], 0);
    const { toasts, shown } = toastSpy();
    boardActions(store, toasts, false).move('a', 'done');
    expect(fetchMock).not.toHaveBeenCalled();
    expect(shown).toEqual([{ kind: 'error', text: "Viewers can't change tasks." }]);
    expect(store.getSnapshot().tasks.get('a')?.status).toBe('todo');
  });

  it('a delete hides the card, can be undone, and is otherwise sent after 5 s', async () => {
    vi.useFakeTimers();
    const store = new BoardStore([task('a'), task('b')], 0);
    const { toasts, shown } = toastSpy();
    const actions = boardActions(store, toasts, true);
    actions.remove(task('a'));
    expect(store.getSnapshot().tasks.has('a')).toBe(false);
    (shown[0] as unknown as { action: { run(): void } }).action.run(); // Undo
    expect(store.getSnapshot().tasks.has('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(6000);
    expect(fetchMock).not.toHaveBeenCalled();

    fetchMock.mockResolvedValueOnce(json(204, undefined));
    actions.remove(task('b'));
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchMock.mock.calls[0][0]).toBe('/api/tasks/b');
    expect(fetchMock.mock.calls[0][1].method).toBe('DELETE');
    expect(store.getSnapshot().tasks.has('b')).toBe(false);
    expect(store.getSnapshot().deleting.size).toBe(0);
  });

  it('a delete whose answer was lost is sent again with its key, and the card stays deleted', async () => {
    vi.useFakeTimers();
    const store = new BoardStore([task('a')], 0);
    const { toasts } = toastSpy();
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch')).mockResolvedValueOnce(json(204, undefined));
    boardActions(store, toasts, true).remove(task('a'));
    await vi.advanceTimersByTimeAsync(10000);
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const keys = fetchMock.mock.calls.map(([, init]) => new Headers(init.headers).get('Idempotency-Key'));
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(store.getSnapshot().tasks.has('a')).toBe(false);
  });

  it('a delete that fails for good brings the card back and says why', async () => {
    vi.useFakeTimers();
    const store = new BoardStore([task('a')], 0);
    const { toasts, shown } = toastSpy();
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    boardActions(store, toasts, true).remove(task('a'));
    await vi.advanceTimersByTimeAsync(10000);
    expect(fetchMock).toHaveBeenCalledTimes(4); // the first and 3 repeats
    expect(store.getSnapshot().tasks.has('a')).toBe(true);
    expect(shown.at(-1)).toEqual({ kind: 'error', text: 'Network error — your change was not saved.' });
  });

  it('closing the board sends pending deletes at once and reports a failure', async () => {
    const store = new BoardStore([task('a')], 0);
    const { toasts, shown } = toastSpy();
    fetchMock.mockResolvedValueOnce(json(500, { title: 'Internal Server Error' }));
    const actions = boardActions(store, toasts, true);
    actions.remove(task('a'));
    actions.flushDeletes();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(shown.at(-1)?.text).toMatch(/^Couldn't delete “a”/));
  });
});
