import { describe, expect, it } from 'vitest';
import { reconnectDelay } from './hub';

describe('reconnectDelay', () => {
  it('doubles from 500 ms to at most 10 s, spread between half and one and a half of that', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(n => reconnectDelay(n, () => 0.5))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(reconnectDelay(0, () => 0)).toBe(250);
    expect(reconnectDelay(0, () => 0.999)).toBe(750);
    expect(reconnectDelay(7, () => 0)).toBe(5000);
  });

  it('spreads a crowd: 1,000 first attempts are not in step', () => {
    const delays = Array.from({ length: 1000 }, () => reconnectDelay(0));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(250);
    expect(Math.max(...delays)).toBeLessThanOrEqual(750);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});
