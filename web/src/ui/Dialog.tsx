// A native <dialog>, modal, closed by Escape, the × button or a click on the backdrop.
// Focus: on the first field of the body when there is one (showModal() alone would put it on the ×);
// on close it goes back to the element that opened the dialog, or, when that is gone (a board card re-rendered or
// deleted), to the card with the same data-task-id, else to its column.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { CloseIcon } from './icons';

/** Where the focus goes back to after a dialog opened from `opener` closes. */
export function returnFocus(opener: Element | null, taskId: string | null, status: string | null) {
  requestAnimationFrame(() => {
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return; // something else took it meanwhile
    const target = opener?.isConnected ? opener
      : (taskId && document.querySelector(`[data-task-id="${CSS.escape(taskId)}"]`))
        || (status && document.querySelector(`.column[data-status="${CSS.escape(status)}"]`));
    (target as HTMLElement | null)?.focus();
  });
}

export function Dialog({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [opener] = useState(() => document.activeElement); // read while rendering: before a child's autoFocus moves it
  useEffect(() => {
    const taskId = opener?.closest('[data-task-id]')?.getAttribute('data-task-id') ?? null;
    const status = opener?.closest('[data-status]')?.getAttribute('data-status') ?? null;
    return () => returnFocus(opener, taskId, status);
  }, [opener]);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) {
      d.showModal();
      // a closed <dialog> cannot take focus, so a field's autoFocus did nothing: give it to the first field
      d.querySelector<HTMLElement>('.dialog-body :is(input, textarea, select):not(:disabled):not([type="hidden"])')?.focus();
    }
    const onCancel = (e: Event) => { e.preventDefault(); onClose(); };
    d.addEventListener('cancel', onCancel);
    return () => d.removeEventListener('cancel', onCancel);
  }, [onClose]);
  return (
    <dialog ref={ref} className={`dialog ${wide ? 'dialog-wide' : ''}`} aria-label={title} onMouseDown={e => { if (e.target === ref.current) onClose(); }}>
      <div className="dialog-head">
        <h2>{title}</h2>
        <button className="icon-btn" aria-label="Close" onClick={onClose}><CloseIcon size={18} /></button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}
