import { useCallback, useMemo } from 'react';
import type { Member } from '../api/types';

export type NameOf = (id: string | null) => string | null;

/** A member's display name by user id ('Unknown' for someone no longer on the board, null for no one). */
export function nameLookup(members: readonly Member[]): NameOf {
  const byId = new Map(members.map(m => [m.userId, m.displayName]));
  return id => (id ? byId.get(id) ?? 'Unknown' : null);
}

export function useNameOf(members: readonly Member[]): NameOf {
  const lookup = useMemo(() => nameLookup(members), [members]);
  return useCallback((id: string | null) => lookup(id), [lookup]);
}
