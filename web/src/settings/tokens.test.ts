import { describe, expect, it } from 'vitest';
import { expiryOf, expiryProblem, expiryText } from './tokens';

describe('API token expiry', () => {
  it('is the end of the chosen local day, or never', () => {
    const iso = expiryOf('2027-01-31')!;
    const d = new Date(iso);
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()]).toEqual([2027, 0, 31, 23, 59]);
    expect(expiryOf('')).toBeNull();
  });
  it('refuses past days and nonsense', () => {
    const now = new Date(2026, 11, 1, 12, 0);
    expect(expiryProblem('2026-11-30', now)).toMatch(/from today on/);
    expect(expiryProblem('2026-12-01', now)).toBeNull(); // today, until midnight
    expect(expiryProblem('', now)).toBeNull();
    expect(expiryProblem('soon', now)).toMatch(/Enter a date/);
  });
  it('says whether it has expired', () => {
    const fmt = (s: string) => s.slice(0, 10);
    expect(expiryText(null, fmt)).toBe('Never expires');
    expect(expiryText('2000-01-01T00:00:00Z', fmt)).toBe('Expired 2000-01-01');
    expect(expiryText('2999-01-01T00:00:00Z', fmt)).toBe('Expires 2999-01-01');
  });
});
