import { describe, expect, it } from 'vitest';
import { AVATAR_COLORS, avatarColor } from './Avatar';

/** WCAG contrast of white on hsl(h, s, l). */
function contrastWithWhite(h: number, s: number, l: number): number {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => { const k = (n + h / 30) % 12; return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)); };
  const lin = (v: number) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const lum = 0.2126 * lin(f(0)) + 0.7152 * lin(f(8)) + 0.0722 * lin(f(4));
  return 1.05 / (lum + 0.05);
}

describe('avatar colours', () => {
  it('all keep white initials at 4.5:1 or more (axe color-contrast)', () => {
    for (const [hue, light] of AVATAR_COLORS) expect(contrastWithWhite(hue, 0.55, light / 100)).toBeGreaterThanOrEqual(4.5);
  });
  it('the old fixed 48 % lightness did not (why the table exists)', () => {
    expect(contrastWithWhite(20, 0.55, 0.48)).toBeLessThan(4.5);
  });
  it('is stable per key', () => {
    expect(avatarColor('abc')).toBe(avatarColor('abc'));
    expect(avatarColor('abc')).toMatch(/^hsl\(\d+ 55% \d+%\)$/);
  });
});
