import { describe, expect, it } from 'vitest';
import { initials, localInputToUtc, utcToLocalInput } from './format';

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
