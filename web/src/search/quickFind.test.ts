import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SearchHit } from '../api/types';
import { createSearcher, hitUrl, moveActive, type SearchState } from './quickFind';

const hit = (title: string): SearchHit => ({ kind: 'task', taskId: `t-${title}`, boardId: 'b1', title, snippet: title, archived: false });

describe('createSearcher', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('asks once typing pauses, for the last query only', async () => {
    const search = vi.fn(async (q: string) => [hit(q)]);
    const states: SearchState[] = [];
    const s = createSearcher(search, st => states.push(st), { delay: 200 });
    s.type('la'); vi.advanceTimersByTime(100);
    s.type('lau'); vi.advanceTimersByTime(100);
    s.type('laun'); vi.advanceTimersByTime(199);
    expect(search).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(search).toHaveBeenCalledTimes(1);
    expect(search.mock.calls[0][0]).toBe('laun');
    await vi.runAllTimersAsync();
    expect(states.at(-1)).toEqual({ kind: 'done', q: 'laun', hits: [hit('laun')] });
  });

  it('aborts the request in flight and ignores its late answer', async () => {
    const resolvers: ((h: SearchHit[]) => void)[] = [];
    const signals: AbortSignal[] = [];
    const search = vi.fn((_q: string, signal: AbortSignal) => { signals.push(signal); return new Promise<SearchHit[]>(r => resolvers.push(r)); });
    const states: SearchState[] = [];
    const s = createSearcher(search, st => states.push(st), { delay: 10 });
    s.type('first'); vi.advanceTimersByTime(10);
    s.type('second'); vi.advanceTimersByTime(10);
    expect(signals[0].aborted).toBe(true);
    resolvers[1]([hit('second')]);
    resolvers[0]([hit('first')]); // late
    await Promise.resolve(); await Promise.resolve();
    expect(states.filter(x => x.kind === 'done')).toEqual([{ kind: 'done', q: 'second', hits: [hit('second')] }]);
  });

  it('is idle below two characters and reports a failure of the latest query', async () => {
    const states: SearchState[] = [];
    const s = createSearcher(async () => { throw new Error('boom'); }, st => states.push(st), { delay: 5 });
    s.type(' a ');
    expect(states).toEqual([{ kind: 'idle' }]);
    s.type('ab'); vi.advanceTimersByTime(5);
    await vi.runAllTimersAsync();
    expect(states.at(-1)).toMatchObject({ kind: 'failed', q: 'ab' });
  });

  it('uses the global timers as functions (a browser throws when they are called as methods)', async () => {
    const real = globalThis.setTimeout;
    const strict = vi.fn(function (this: unknown, f: () => void, ms: number) {
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return real(f, ms);
    });
    vi.stubGlobal('setTimeout', strict);
    try {
      const s = createSearcher(async q => [hit(q)], () => {}, { delay: 1 });
      expect(() => s.type('abc')).not.toThrow();
      expect(strict).toHaveBeenCalled();
    } finally { vi.unstubAllGlobals(); }
  });

  it('says nothing after dispose', async () => {
    const states: SearchState[] = [];
    const s = createSearcher(async q => [hit(q)], st => states.push(st), { delay: 5 });
    s.type('abc'); s.dispose();
    await vi.runAllTimersAsync();
    expect(states).toEqual([{ kind: 'loading', q: 'abc' }]);
  });
});

describe('moveActive', () => {
  it('wraps with the arrows and jumps with Home/End', () => {
    expect(moveActive(-1, 3, 'ArrowDown')).toBe(0);
    expect(moveActive(-1, 3, 'ArrowUp')).toBe(2);
    expect(moveActive(2, 3, 'ArrowDown')).toBe(0);
    expect(moveActive(0, 3, 'ArrowUp')).toBe(2);
    expect(moveActive(1, 3, 'Home')).toBe(0);
    expect(moveActive(0, 3, 'End')).toBe(2);
    expect(moveActive(1, 0, 'ArrowDown')).toBe(-1);
    expect(moveActive(1, 3, 'x')).toBe(1);
  });
  it('opens a hit on its board', () => {
    expect(hitUrl({ boardId: 'b', taskId: 't' })).toBe('/boards/b?task=t');
  });
});
