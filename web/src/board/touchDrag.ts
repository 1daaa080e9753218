// Dragging cards by touch (and pen): touch screens give no HTML5 drag-and-drop, so a card follows the finger
// with pointer events. A press held still for HOLD_MS picks the card up (moving sooner is a scroll, as
// everywhere else on the page); then a floating copy follows the finger, the column under it shows where the
// card will land, the board scrolls when the finger nears an edge, and lifting the finger drops it through
// the same move as a mouse drop (status + the card above). The mouse keeps HTML5 drag-and-drop.
// `TouchGesture` is the pure part (unit-tested in touchDrag.test.ts); `startTouchDrag` drives the DOM.
import type { Status } from '../api/types';

export const HOLD_MS = 250;
export const SLOP_PX = 8;

export type GesturePhase = 'pressed' | 'dragging' | 'scrolling' | 'ended';

/** Press → (held still for HOLD_MS) dragging, or → (moved more than SLOP_PX first) scrolling: left to the browser. */
export class TouchGesture {
  phase: GesturePhase = 'pressed';
  private readonly x0: number;
  private readonly y0: number;
  constructor(x: number, y: number) { this.x0 = x; this.y0 = y; }
  /** The finger moved: returns the phase after it. */
  move(x: number, y: number): GesturePhase {
    if (this.phase === 'pressed' && Math.hypot(x - this.x0, y - this.y0) > SLOP_PX) this.phase = 'scrolling';
    return this.phase;
  }
  /** HOLD_MS passed since the press: picks the card up unless the finger already scrolled or lifted. */
  held(): boolean {
    if (this.phase !== 'pressed') return false;
    this.phase = 'dragging';
    return true;
  }
  /** The finger lifted (or the browser cancelled): whether that was a drop. */
  end(): boolean {
    const dropped = this.phase === 'dragging';
    this.phase = 'ended';
    return dropped;
  }
}

/** How fast (px per frame) to scroll when the finger is within `edge` px of a side of `rect`: negative towards the start. */
export function edgeSpeed(pos: number, start: number, end: number, edge = 40, max = 14): number {
  if (pos < start + edge) return -Math.ceil(max * Math.min(1, (start + edge - pos) / edge));
  if (pos > end - edge) return Math.ceil(max * Math.min(1, (pos - (end - edge)) / edge));
  return 0;
}

/** What a column offers a touch drag: show the landing slot (null: hide it) and take the drop. */
export interface DropTarget {
  hover(clientY: number | null): void;
  drop(id: string, clientY: number): void;
}
const targets = new Map<Status, DropTarget>();
export function registerDropTarget(status: Status, t: DropTarget): () => void {
  targets.set(status, t);
  return () => { if (targets.get(status) === t) targets.delete(status); };
}

let active = false;
/** A touch drag is under way (the card's HTML5 dragstart and click stand down meanwhile). */
export const touchDragActive = () => active;

// while a card is held, the page must not scroll under the finger: only a touchmove listener can say so
const noScroll = (e: TouchEvent) => { if (active && e.cancelable) e.preventDefault(); };
let listening = false;

/**
 * Starts watching a touch/pen press on card `id` (its element `card`): picks it up after HOLD_MS held still.
 * Returns a cancel function. Calls `onDone(dropped)` when the gesture ends.
 */
export function startTouchDrag(e: PointerEvent, id: string, card: HTMLElement, onDone: (dropped: boolean) => void): () => void {
  if (!listening) { window.addEventListener('touchmove', noScroll, { passive: false }); listening = true; }
  const gesture = new TouchGesture(e.clientX, e.clientY);
  const pointerId = e.pointerId;
  let x = e.clientX, y = e.clientY;
  let ghost: HTMLElement | null = null;
  let dx = 0, dy = 0;
  let over: Status | null = null;
  let frame = 0;

  const columnAt = (): Status | null => {
    const el = document.elementFromPoint(x, y)?.closest('.column[data-status]') as HTMLElement | null;
    return (el?.dataset.status as Status | undefined) ?? null;
  };
  const hover = () => {
    const s = columnAt();
    if (over && over !== s) targets.get(over)?.hover(null);
    over = s;
    if (s) targets.get(s)?.hover(y);
  };
  const autoScroll = () => {
    const board = (card.closest('.columns') ?? document.querySelector('.columns')) as HTMLElement | null;
    if (board) {
      const r = board.getBoundingClientRect();
      const v = edgeSpeed(x, r.left, r.right);
      if (v) board.scrollLeft += v;
    }
    const body = over ? document.querySelector(`.column[data-status="${over}"] .column-body`) as HTMLElement | null : null;
    if (body) {
      const r = body.getBoundingClientRect();
      const v = edgeSpeed(y, r.top, r.bottom);
      if (v) body.scrollTop += v;
    }
    hover();
    frame = requestAnimationFrame(autoScroll);
  };
  const pickUp = () => {
    if (!gesture.held()) return;
    active = true;
    const r = card.getBoundingClientRect();
    dx = x - r.left; dy = y - r.top;
    ghost = card.cloneNode(true) as HTMLElement;
    ghost.removeAttribute('data-task-id');
    ghost.removeAttribute('tabindex');
    ghost.setAttribute('aria-hidden', 'true');
    ghost.classList.add('drag-ghost');
    Object.assign(ghost.style, { width: `${r.width}px`, height: `${r.height}px`, left: `${x - dx}px`, top: `${y - dy}px` });
    document.body.appendChild(ghost);
    card.classList.add('lifted');
    document.documentElement.classList.add('touch-dragging'); // no scroll snapping while the board scrolls under the card
    navigator.vibrate?.(10);
    hover();
    frame = requestAnimationFrame(autoScroll);
  };
  const timer = window.setTimeout(pickUp, HOLD_MS);

  const move = (ev: PointerEvent) => {
    if (ev.pointerId !== pointerId) return;
    x = ev.clientX; y = ev.clientY;
    if (gesture.move(x, y) === 'scrolling') { finish(false); return; }
    if (ghost) { ghost.style.left = `${x - dx}px`; ghost.style.top = `${y - dy}px`; }
  };
  const up = (ev: PointerEvent) => { if (ev.pointerId === pointerId) finish(ev.type === 'pointerup'); };
  const menu = (ev: Event) => { if (gesture.phase !== 'scrolling') ev.preventDefault(); }; // a long press opens no context menu

  function finish(lifted: boolean) {
    window.clearTimeout(timer);
    cancelAnimationFrame(frame);
    window.removeEventListener('pointermove', move);
    window.removeEventListener('pointerup', up);
    window.removeEventListener('pointercancel', up);
    window.removeEventListener('contextmenu', menu);
    const dragged = gesture.end();
    if (over) targets.get(over)?.hover(null);
    ghost?.remove();
    card.classList.remove('lifted');
    document.documentElement.classList.remove('touch-dragging');
    if (dragged && lifted) {
      const s = columnAt();
      if (s) targets.get(s)?.drop(id, y);
    }
    // the click that follows the finger lifting must not open the card it just dropped
    if (dragged) setTimeout(() => { active = false; }, 0);
    onDone(dragged && lifted);
  }
  window.addEventListener('pointermove', move);
  window.addEventListener('pointerup', up);
  window.addEventListener('pointercancel', up);
  window.addEventListener('contextmenu', menu);
  return () => finish(false);
}
