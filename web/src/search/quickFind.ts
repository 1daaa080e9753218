// Quick-find's logic, unit-tested (quickFind.test.ts): debounced searching that drops stale answers, and the
// listbox's active option.
import type { SearchHit } from '../api/types';

export const DEBOUNCE_MS = 200;
export const MIN_QUERY = 2;

export type SearchState =
  | { kind: 'idle' }                        // nothing typed (or too short)
  | { kind: 'loading'; q: string }
  | { kind: 'done'; q: string; hits: SearchHit[] }
  | { kind: 'failed'; q: string; error: unknown };

interface Timers { setTimeout(f: () => void, ms: number): ReturnType<typeof setTimeout>; clearTimeout(t: ReturnType<typeof setTimeout>): void }
/** Called as methods of this object, the browser's own would throw "Illegal invocation": wrap them. */
const browserTimers: Timers = { setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: t => clearTimeout(t) };

/**
 * Calls `search` for the latest query once typing has paused for `delay` ms; a newer query aborts the request in
 * flight (its answer, if it still comes, is ignored). `onState` hears loading/done/failed for the latest query only.
 */
export function createSearcher(
  search: (q: string, signal: AbortSignal) => Promise<SearchHit[]>, onState: (s: SearchState) => void,
  { delay = DEBOUNCE_MS, timers = browserTimers }: { delay?: number; timers?: Timers } = {},
) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let inflight: AbortController | null = null;
  let latest = 0;
  const stop = () => {
    if (timer !== null) { timers.clearTimeout(timer); timer = null; }
    inflight?.abort();
    inflight = null;
  };
  return {
    type(raw: string) {
      stop();
      const q = raw.trim();
      const mine = ++latest;
      if (q.length < MIN_QUERY) { onState({ kind: 'idle' }); return; }
      onState({ kind: 'loading', q });
      timer = timers.setTimeout(() => {
        timer = null;
        const ctl = new AbortController();
        inflight = ctl;
        search(q, ctl.signal).then(
          hits => { if (mine === latest) onState({ kind: 'done', q, hits }); },
          error => { if (mine === latest && !ctl.signal.aborted) onState({ kind: 'failed', q, error }); },
        );
      }, delay);
    },
    dispose() { latest++; stop(); },
  };
}

/** The active option after a key: ↓/↑ wrap around, Home/End jump; -1 (none) stays none until a move. */
export function moveActive(active: number, count: number, key: string): number {
  if (count === 0) return -1;
  switch (key) {
    case 'ArrowDown': return active < 0 ? 0 : (active + 1) % count;
    case 'ArrowUp': return active < 0 ? count - 1 : (active - 1 + count) % count;
    case 'Home': return 0;
    case 'End': return count - 1;
    default: return active;
  }
}

/** Where a hit opens: its board with the task's dialog (the board page opens `?task=`). */
export const hitUrl = (h: Pick<SearchHit, 'boardId' | 'taskId'>) => `/boards/${h.boardId}?task=${h.taskId}`;
