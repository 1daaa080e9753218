import { describe, expect, it } from 'vitest';
import { fmtDate, initials, localInputToUtc, timeAgo, utcToLocalInput } from './format';

describe('format', () => {
  it('round-trips local datetime input and UTC', () => {
    const iso = localInputToUtc('2026-03-04T05:06');
    expect(iso).toMatch(/Z$/);
    expect(utcToLocalInput(iso)).toBe('2026-03-04T05:06');
    expect(localInputToUtc('')).toBeNull();
  });

  it('computes initials', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('bob')).toBe('B');
    expect(initials('')).toBe('?');
  });
});

describe('timeAgo', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');
  it('says how long ago, briefly', () => {
    expect(timeAgo('2026-05-01T11:59:30Z', now)).toBe('just now');
    expect(timeAgo('2026-05-01T11:55:00Z', now)).toBe('5 min ago');
    expect(timeAgo('2026-05-01T09:00:00Z', now)).toBe('3 h ago');
    expect(timeAgo('2026-04-29T12:00:00Z', now)).toBe('2 d ago');
    expect(timeAgo('2026-03-01T12:00:00Z', now)).toBe(fmtDate('2026-03-01T12:00:00Z', false));
  });
});
