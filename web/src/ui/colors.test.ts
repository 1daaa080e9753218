import { describe, expect, it } from 'vitest';
import { avatarColor, contrast, hslToRgb } from './colors';

const rgb = (hex: string) => [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

describe('avatar colours', () => {
  it('measures contrast as WCAG does', () => {
    expect(contrast([255, 255, 255], [0, 0, 0])).toBeCloseTo(21, 5);
    expect(contrast([255, 255, 255], rgb('#5e6ad2'))).toBeCloseTo(4.70, 2);
    expect(hslToRgb(0, 100, 50)).toEqual([255, 0, 0]);
  });
  it('gives white initials at least 4.5:1 on every generated colour', () => {
    for (let i = 0; i < 2000; i++) {
      const c = avatarColor(`user-${i}-${i * 7919}`);
      expect(contrast(rgb(c), [255, 255, 255]), c).toBeGreaterThanOrEqual(4.5);
    }
  });
  it('is stable for a key and varies between keys', () => {
    expect(avatarColor('abc')).toBe(avatarColor('abc'));
    expect(new Set(['a', 'b', 'c', 'd', 'e', 'f'].map(avatarColor)).size).toBeGreaterThan(3);
  });
});
