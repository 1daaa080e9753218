// One status column: a drop target, windowed (fixed-height slots; only visible cards ± overscan are in the DOM).
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { Status, Task } from '../api/types';
import { Card } from './Card';
import { STATUS_LABEL, visibleRange } from './model';
import type { NameOf } from './names';

export const ROW = 88; // px per card slot (card + gap): fixed so long columns can be windowed

interface Props {
  status: Status; tasks: Task[]; flash: ReadonlySet<string>; nameOf: NameOf;
  onMove: (id: string, s: Status) => void; onOpen: (t: Task) => void; onDelete: (t: Task) => void;
}

export function Column({ status, tasks, flash, nameOf, onMove, onOpen, onDelete }: Props) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(800);
  const [over, setOver] = useState(false);
  useEffect(() => {
    const el = bodyRef.current!;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight || 800));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const [first, last] = visibleRange(tasks.length, ROW, scrollTop, height);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const id = e.dataTransfer.getData('text/x-taskhub-id') || e.dataTransfer.getData('text/plain');
    if (id) onMove(id, status);
  };
  return (
    <section className={`column ${over ? 'drop-over' : ''}`} aria-label={STATUS_LABEL[status]} data-status={status}
      onDragOver={e => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; if (!over) setOver(true); }}
      onDragLeave={e => { if (!e.currentTarget.contains(e.relatedTarget as Node)) setOver(false); }}
      onDrop={onDrop}>
      <header className="column-head">
        <span className={`dot dot-${status}`} aria-hidden="true" />
        <h2>{STATUS_LABEL[status]}</h2>
        <span className="count" data-testid={`count-${status}`}>{tasks.length}</span>
      </header>
      <div className="column-body" ref={bodyRef} onScroll={e => setScrollTop(e.currentTarget.scrollTop)} role="list">
        {tasks.length === 0 && <p className="column-empty">No tasks</p>}
        <div style={{ height: tasks.length * ROW, position: 'relative' }}>
          {tasks.slice(first, last).map((t, i) => (
            <div key={t.id} role="listitem" className="card-slot" style={{ top: (first + i) * ROW }}>
              <Card task={t} flash={flash.has(t.id)} assignee={nameOf(t.assigneeId)} supervisor={nameOf(t.supervisorId)}
                onMove={onMove} onOpen={onOpen} onDelete={onDelete} />
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
