// One status column: a drop target with slots (a line shows where the card will land) for the mouse's
// drag-and-drop and for touch drags (touchDrag.ts), windowed: only visible cards ± overscan are in the DOM.
// Cards are as tall as their content: each rendered slot is measured (ResizeObserver) and the ones not yet
// rendered count as EST px, so the list's height and the slot under the pointer follow the real heights.
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import type { Label, Status, Task } from '../api/types';
import { Card } from './Card';
import { STATUS_LABEL, slotAtY, stackLayout, visibleRows } from './model';
import type { NameOf } from './names';
import { registerDropTarget } from './touchDrag';

export const EST = 96; // px per card slot (card + gap) until it is measured
const PAD = 4; // the column body's top padding

interface Props {
  status: Status; tasks: Task[]; flash: ReadonlySet<string>; nameOf: NameOf; labels: ReadonlyMap<string, Label>;
  /** Put card `id` at `slot` of this column as shown (the card itself left out of the count). */
  onPlace: (id: string, s: Status, slot: number) => void;
  onStep: (id: string, dir: -1 | 1) => void;
  onFiles?: (t: Task, files: File[]) => void;
  onOpen: (t: Task) => void; onDelete: (t: Task) => void;
}

let dragging: string | null = null; // the card being dragged (dataTransfer cannot be read during dragover)

export function Column({ status, tasks, flash, nameOf, labels, onPlace, onStep, onOpen, onDelete, onFiles }: Props) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(800);
  const [over, setOver] = useState<number | null>(null);
  const [touchOver, setTouchOver] = useState(false);
  useEffect(() => {
    const el = bodyRef.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // measured slot heights by task id; `measured` bumps when one changes, to lay the column out again
  const heights = useRef(new Map<string, number>());
  const [measured, setMeasured] = useState(0);
  const sizes = useRef<ResizeObserver | null>(null);
  useEffect(() => {
    const ro = new ResizeObserver(entries => {
      let changed = false;
      for (const e of entries) {
        const el = e.target as HTMLElement;
        const id = el.dataset.slotId;
        const h = el.offsetHeight;
        if (id && h && heights.current.get(id) !== h) { heights.current.set(id, h); changed = true; }
      }
      if (changed) setMeasured(m => m + 1);
    });
    sizes.current = ro;
    bodyRef.current!.querySelectorAll('.card-slot').forEach(el => ro.observe(el));
    return () => { ro.disconnect(); sizes.current = null; };
  }, []);
  const measure = useCallback((el: HTMLDivElement | null) => { if (el) sizes.current?.observe(el); }, []);
  const { tops, total } = useMemo(() => stackLayout(tasks.map(t => heights.current.get(t.id) ?? EST)),
    // `measured` stands for the heights map's contents
    [tasks, measured]);
  const [first, last] = visibleRows(tops, total, scrollTop, height);

  /** The slot under the pointer: between the card above and the one below (upper half of a card: before it). */
  const slotAt = (clientY: number) => {
    const body = bodyRef.current!;
    const y = clientY - body.getBoundingClientRect().top + body.scrollTop - PAD;
    return slotAtY(tops, total, y);
  };
  const dropAt = (id: string, clientY: number) => {
    let slot = slotAt(clientY);
    const i = tasks.findIndex(t => t.id === id);
    if (i >= 0 && i < slot) slot--; // counted without the card itself
    onPlace(id, status, slot);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(null);
    const id = e.dataTransfer.getData('text/x-taskhub-id') || e.dataTransfer.getData('text/plain');
    if (!id) return;
    dropAt(id, e.clientY);
  };
  // touch drags find the column under the finger through this registration (the latest closures each render)
  const touch = useRef({ slotAt, dropAt });
  touch.current = { slotAt, dropAt };
  useEffect(() => registerDropTarget(status, {
    hover: y => { setTouchOver(y !== null); setOver(y === null ? null : touch.current.slotAt(y)); },
    drop: (id, y) => { setTouchOver(false); setOver(null); touch.current.dropAt(id, y); },
  }), [status]);
  const lineAt = (slot: number) => (slot < tops.length ? tops[slot] : total) - 5;
  return (
    <section className={`column ${over !== null ? 'drop-over' : ''}`} aria-label={STATUS_LABEL[status]} data-status={status} tabIndex={-1}
      onDragOver={e => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; const s = slotAt(e.clientY); if (s !== over) setOver(s); }}
      onDragLeave={e => { if (!e.currentTarget.contains(e.relatedTarget as Node)) setOver(null); }}
      onDragEnd={() => setOver(null)}
      onDrop={onDrop}>
      <header className="column-head">
        <span className={`dot dot-${status}`} aria-hidden="true" />
        <h2>{STATUS_LABEL[status]}</h2>
        <span className="count" data-testid={`count-${status}`}>{tasks.length}</span>
      </header>
      <div className="column-body" ref={bodyRef} onScroll={e => setScrollTop(e.currentTarget.scrollTop)}>
        {tasks.length === 0 && <p className="column-empty">No tasks</p>}
        <div style={{ height: total, position: 'relative' }} role={tasks.length ? 'list' : undefined}>
          {over !== null && (dragging !== null || touchOver) && <div className="drop-line" aria-hidden="true" style={{ top: lineAt(over) }} />}
          {tasks.slice(first, last).map((t, i) => (
            <div key={t.id} role="listitem" className="card-slot" style={{ top: tops[first + i] }} ref={measure} data-slot-id={t.id}
              onDragStart={() => { dragging = t.id; }} onDragEnd={() => { dragging = null; }}>
              <Card task={t} flash={flash.has(t.id)} assignee={nameOf(t.assigneeId)} supervisor={nameOf(t.supervisorId)} labels={labels}
                onPlace={onPlace} onStep={onStep} onOpen={onOpen} onDelete={onDelete} onFiles={onFiles} />
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
