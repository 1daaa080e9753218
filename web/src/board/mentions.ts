// Mentions in comment Markdown: written `@[Display Name](userId)`. The composer finds the `@query` being typed,
// offers members, and inserts the token. Pure; unit-tested (mentions.test.ts).
import type { Member } from '../api/types';

/** A mention token for a member (brackets in a name would end the link text early: they are dropped). */
export function mentionToken(m: Pick<Member, 'displayName' | 'userId'>): string {
  return `@[${m.displayName.replace(/[[\]]/g, '')}](${m.userId})`;
}

const TOKEN = /@\[([^\]]*)\]\(([0-9a-fA-F-]{36})\)/g;

/** The user ids a body mentions, in order, once each. */
export function mentionedIds(body: string): string[] {
  const ids: string[] = [];
  for (const m of body.matchAll(TOKEN)) if (!ids.includes(m[2].toLowerCase())) ids.push(m[2].toLowerCase());
  return ids;
}

/** The `@query` right before the caret (at the start or after whitespace/punctuation), or null. */
export function activeMention(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const m = /(^|[\s([{,;:])@([^\s@[\]()]{0,40})$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2].length - 1, query: m[2] };
}

/** Members whose name (any word) or email starts with the query, case-insensitively; at most `max`. */
export function matchMembers(members: readonly Member[], query: string, max = 8): Member[] {
  const q = query.toLowerCase();
  return members.filter(m => !q || m.displayName.toLowerCase().split(/\s+/).some(w => w.startsWith(q))
    || m.displayName.toLowerCase().startsWith(q) || m.email.toLowerCase().startsWith(q)).slice(0, max);
}

/** Replaces the `@query` at `start` (up to the caret) with the member's token and a space; returns the new text and caret. */
export function insertMention(text: string, start: number, caret: number, m: Pick<Member, 'displayName' | 'userId'>): { text: string; caret: number } {
  const token = mentionToken(m) + ' ';
  return { text: text.slice(0, start) + token + text.slice(caret), caret: start + token.length };
}
