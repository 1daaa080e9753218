import { describe, expect, it } from 'vitest';
import { changedMapping, percentOf } from './importing';

describe('percentOf', () => {
  it('floors and caps', () => {
    expect(percentOf({ loaded: 1, total: 3 })).toBe(33);
    expect(percentOf({ loaded: 5, total: 4 })).toBe(100);
  });
  it('is 0 without a total', () => expect(percentOf({ loaded: 10, total: 0 })).toBe(0));
});

describe('changedMapping', () => {
  const lists = [
    { listId: 'a', name: 'Backlog', cards: 2, status: 'todo' as const },
    { listId: 'b', name: 'Shipped', cards: 1, status: 'done' as const },
  ];
  it('sends the choice, else the guess, for every list', () => {
    expect(changedMapping(lists, { a: 'in_progress' })).toEqual({ a: 'in_progress', b: 'done' });
  });
  it('ignores choices for unknown lists', () => {
    expect(changedMapping(lists, { z: 'done' })).toEqual({ a: 'todo', b: 'done' });
  });
});
