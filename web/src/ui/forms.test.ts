import { describe, expect, it } from 'vitest';
import { clearIfStill } from './forms';

describe('clearIfStill', () => {
  it('empties a box that still holds what was sent', () => {
    expect(clearIfStill('Bug')('Bug')).toBe('');
  });
  it('keeps what was typed after sending', () => {
    expect(clearIfStill('Bug')('Docs')).toBe('Docs');
    expect(clearIfStill('Looks good')('Looks good, and one more thing')).toBe('Looks good, and one more thing');
    expect(clearIfStill('Bug')('')).toBe('');
  });
});
