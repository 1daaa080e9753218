import { describe, expect, it } from 'vitest';
import { SLOP_PX, TouchGesture, edgeSpeed } from './touchDrag';

describe('touch drag gesture', () => {
  it('picks the card up after a press held still', () => {
    const g = new TouchGesture(100, 100);
    expect(g.move(102, 101)).toBe('pressed'); // a trembling finger is still
    expect(g.held()).toBe(true);
    expect(g.phase).toBe('dragging');
    expect(g.move(300, 400)).toBe('dragging'); // once held, any move drags
    expect(g.end()).toBe(true);
  });

  it('leaves a quick swipe to the browser as a scroll: no drag, no drop', () => {
    const g = new TouchGesture(100, 100);
    expect(g.move(100, 100 + SLOP_PX + 1)).toBe('scrolling');
    expect(g.held()).toBe(false);
    expect(g.end()).toBe(false);
  });

  it('a tap (lifted before the hold) is no drop, and a late timer does not pick it up', () => {
    const g = new TouchGesture(10, 10);
    expect(g.end()).toBe(false);
    expect(g.held()).toBe(false);
  });

  it('scrolls faster the closer the finger is to an edge, not at all in the middle', () => {
    expect(edgeSpeed(200, 0, 400)).toBe(0);
    expect(edgeSpeed(0, 0, 400)).toBe(-14);
    expect(edgeSpeed(30, 0, 400)).toBeLessThan(0);
    expect(edgeSpeed(30, 0, 400)).toBeGreaterThan(-14);
    expect(edgeSpeed(399, 0, 400)).toBeGreaterThan(0);
    expect(edgeSpeed(450, 0, 400)).toBe(14);
  });
});
