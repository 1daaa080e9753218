import { describe, expect, it } from 'vitest';
import { fmtDate, initials, localInputToUtc, timeAgo, utcToLocalInput, relativeDay } from './format';

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

describe('relativeDay', () => {
  const now = new Date(2025, 11, 3, 10, 0); // Wed 3 Dec 2025, 10:00 local
  const at = (y: number, m: number, d: number, h = 12) => new Date(y, m, d, h).toISOString();
  it('says today, tomorrow and yesterday by calendar day, not by 24 hours', () => {
    expect(relativeDay(at(2025, 11, 3, 23), now)).toBe('today');
    expect(relativeDay(at(2025, 11, 3, 1), now)).toBe('today');
    expect(relativeDay(at(2025, 11, 4, 0), now)).toBe('tomorrow');
    expect(relativeDay(at(2025, 11, 2, 23), now)).toBe('yesterday');
  });
  it('counts days within a week', () => {
    expect(relativeDay(at(2025, 11, 5), now)).toBe('in 2 days');
    expect(relativeDay(at(2025, 10, 28), now)).toBe('5 days ago');
  });
  it('falls back to the date a week or more away, with the year only when it differs', () => {
    expect(relativeDay(at(2025, 11, 10), now)).toBe(new Date(2025, 11, 10).toLocaleDateString(undefined, { month: 'short', day: 'numeric' }));
    expect(relativeDay(at(2026, 0, 20), now)).toContain('2026');
  });
});
