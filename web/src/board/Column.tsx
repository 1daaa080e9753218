// One status column: a drop target with slots (a line shows where the card will land), windowed (fixed-height
// slots; only visible cards ± overscan are in the DOM).
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { Label, Status, Task } from '../api/types';
import { Card } from './Card';
import { STATUS_LABEL, visibleRange } from './model';
import type { NameOf } from './names';

export const ROW = 104; // px per card slot (card + gap): fixed so long columns can be windowed
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
  useEffect(() => {
    const el = bodyRef.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const [first, last] = visibleRange(tasks.length, ROW, scrollTop, height);

  /** The slot under the pointer: between the card above and the one below (upper half of a card: before it). */
  const slotAt = (e: DragEvent) => {
    const body = bodyRef.current!;
    const y = e.clientY - body.getBoundingClientRect().top + body.scrollTop - PAD;
    return Math.max(0, Math.min(tasks.length, Math.round(y / ROW)));
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(null);
    const id = e.dataTransfer.getData('text/x-taskhub-id') || e.dataTransfer.getData('text/plain');
    if (!id) return;
    let slot = slotAt(e);
    const i = tasks.findIndex(t => t.id === id);
    if (i >= 0 && i < slot) slot--; // counted without the card itself
    onPlace(id, status, slot);
  };
  return (
    <section className={`column ${over !== null ? 'drop-over' : ''}`} aria-label={STATUS_LABEL[status]} data-status={status} tabIndex={-1}
      onDragOver={e => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; const s = slotAt(e); if (s !== over) setOver(s); }}
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
        <div style={{ height: tasks.length * ROW, position: 'relative' }} role={tasks.length ? 'list' : undefined}>
          {over !== null && dragging !== null && <div className="drop-line" aria-hidden="true" style={{ top: over * ROW - 5 }} />}
          {tasks.slice(first, last).map((t, i) => (
            <div key={t.id} role="listitem" className="card-slot" style={{ top: (first + i) * ROW }}
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
