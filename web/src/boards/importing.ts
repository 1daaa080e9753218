// Pure helpers of the import panel.
import type { Progress } from '../api/client';
import type { Status, TrelloList } from '../api/types';

/** Upload progress as a whole percent (0 when the browser cannot tell the total). */
export function percentOf(p: Progress): number {
  return p.total > 0 ? Math.min(100, Math.floor((p.loaded / p.total) * 100)) : 0;
}

/** The mapping to send: every list, with the chosen column (the server's guess where nothing was chosen). */
export function changedMapping(lists: readonly TrelloList[], chosen: Readonly<Record<string, Status>>): Record<string, Status> {
  return Object.fromEntries(lists.map(l => [l.listId, chosen[l.listId] ?? l.status]));
}
