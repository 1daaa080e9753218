import { describe, expect, it } from 'vitest';
import type { Member } from '../api/types';
import { activeMention, insertMention, matchMembers, mentionToken, mentionedIds } from './mentions';

const ID1 = '11111111-1111-1111-1111-111111111111';
const ID2 = '22222222-2222-2222-2222-222222222222';
const members = [
  { userId: ID1, displayName: 'Bob Baker', email: 'bob@example.com', role: 'member' },
  { userId: ID2, displayName: 'Alice Archer', email: 'alice@example.com', role: 'owner' },
] as unknown as Member[];

describe('mentions', () => {
  it('writes and reads mention tokens', () => {
    expect(mentionToken({ displayName: 'Bob [B] Baker', userId: ID1 })).toBe(`@[Bob B Baker](${ID1})`);
    expect(mentionedIds(`hi @[Bob](${ID1}) and @[Alice](${ID2}), again @[Bob](${ID1}); not @Bob or @[x](nope)`)).toEqual([ID1, ID2]);
  });

  it('finds the @query before the caret', () => {
    expect(activeMention('hello @bo', 9)).toEqual({ start: 6, query: 'bo' });
    expect(activeMention('@', 1)).toEqual({ start: 0, query: '' });
    expect(activeMention('mail me at x@bo', 15)).toBeNull(); // an email address, not a mention
    expect(activeMention('hello @bo there', 15)).toBeNull(); // a space ended it
    expect(activeMention('(@al', 4)).toEqual({ start: 1, query: 'al' });
  });

  it('matches members by any word of the name or the email', () => {
    expect(matchMembers(members, 'ba').map(m => m.displayName)).toEqual(['Bob Baker']);
    expect(matchMembers(members, 'AL').map(m => m.displayName)).toEqual(['Alice Archer']);
    expect(matchMembers(members, '')).toHaveLength(2);
    expect(matchMembers(members, 'zz')).toEqual([]);
  });

  it('inserts the chosen member in place of the query', () => {
    const r = insertMention('hi @bo, see', 3, 6, members[0]);
    expect(r.text).toBe(`hi @[Bob Baker](${ID1}) , see`);
    expect(r.caret).toBe(3 + `@[Bob Baker](${ID1}) `.length);
  });
});
