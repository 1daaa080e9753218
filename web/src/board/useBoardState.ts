// Reads a slice of a board's store. The component re-renders only when the selected value changes
// (selectors return parts of the immutable snapshot, or values derived from it: computed once per snapshot).
import { useCallback, useRef, useSyncExternalStore } from 'react';
import type { BoardSnapshot, BoardStore } from '../sync';

export function useBoardState<T>(store: BoardStore, select: (s: BoardSnapshot) => T): T {
  const cache = useRef<{ snap: BoardSnapshot; select: (s: BoardSnapshot) => T; value: T } | null>(null);
  const get = useCallback(() => {
    const snap = store.getSnapshot();
    const c = cache.current;
    if (c && c.snap === snap && c.select === select) return c.value;
    const value = select(snap);
    cache.current = { snap, select, value: c && Object.is(c.value, value) ? c.value : value };
    return cache.current.value;
  }, [store, select]);
  return useSyncExternalStore(store.subscribe, get);
}

// Stable selectors (module-level, so the cache above hits).
export const selectTasks = (s: BoardSnapshot) => s.tasks;
export const selectMembers = (s: BoardSnapshot) => s.members;
export const selectPresence = (s: BoardSnapshot) => s.presence;
export const selectConnection = (s: BoardSnapshot) => s.connection;
export const selectLabels = (s: BoardSnapshot) => s.labels;
export const selectRenamed = (s: BoardSnapshot) => s.renamed;
