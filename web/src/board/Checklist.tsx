// The task's checklist: add, tick, rename, delete, reorder (↑/↓ buttons). Loaded on open, then kept live from the
// board's ChecklistItem* events for this task; the card's progress comes with the task itself.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { ChecklistItem } from '../api/types';
import type { BoardStore } from '../sync';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import { ordinal } from './model';
import { CloseIcon } from '../ui/icons';
import { clearIfStill } from '../ui/forms';
import { StaleChoice } from '../ui/StaleChoice';
import { useVersionedEdit } from '../ui/versionedEdit';
import { limits } from '../api/limits';

const byPosition = (a: ChecklistItem, b: ChecklistItem) => ordinal(a.position, b.position) || ordinal(a.id, b.id);

export function Checklist({ taskId, store, canEdit }: { taskId: string; store: BoardStore; canEdit: boolean }) {
  const toasts = useToasts();
  const [items, setItems] = useState<ChecklistItem[] | 'failed' | null>(null);
  const [text, setText] = useState('');
  // one item per submit: a second Enter or click while the first is sent adds nothing (the ref: before React re-renders)
  const [adding, setAdding] = useState(false);
  const sending = useRef(false);
  const upsert = (it: ChecklistItem) => setItems(list => (Array.isArray(list) ? [...list.filter(x => x.id !== it.id), it].sort(byPosition) : list));
  const drop = (id: string) => setItems(list => (Array.isArray(list) ? list.filter(x => x.id !== id) : list));

  useEffect(() => {
    let current = true;
    api.checklist(taskId).then(l => { if (current) setItems([...l].sort(byPosition)); },
      e => { if (!current) return; setItems('failed'); toasts.fail("Couldn't load the checklist", e, 'Close the task and open it again to retry.'); });
    const off = store.onEvent(e => {
      if (!e.item || e.item.taskId !== taskId) return;
      if (e.type === 'ChecklistItemDeleted') drop(e.item.id); else upsert(e.item);
    });
    return () => { current = false; off(); };
  }, [taskId, store, toasts]);

  const fail = (what: string) => (e: unknown) => toasts.fail(what, e, 'Try again; reload the page if it keeps failing.');
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!text.trim() || sending.current) return;
    sending.current = true;
    setAdding(true);
    const sent = text;
    try { upsert(await api.addChecklistItem(taskId, sent.trim())); setText(clearIfStill(sent)); } catch (err) { fail("Couldn't add the checklist item")(err); }
    finally { sending.current = false; setAdding(false); }
  };
  const change = (it: ChecklistItem, body: { text?: string; done?: boolean; afterId?: string | null }, what: string) =>
    api.changeChecklistItem(it.id, body).then(upsert, fail(what));
  const list = Array.isArray(items) ? items : [];
  const move = (i: number, dir: -1 | 1) => {
    const it = list[i];
    // up: after the item two above (null: the top); down: after the next one
    const afterId = dir < 0 ? (i >= 2 ? list[i - 2].id : null) : list[i + 1].id;
    void change(it, { afterId }, `Couldn't move “${it.text}”`);
  };
  const done = list.filter(i => i.done).length;

  return (
    <section className="checklist" aria-labelledby={`cl-${taskId}`}>
      <h3 id={`cl-${taskId}`}>Checklist {list.length > 0 && <span className="muted" data-testid="dialog-checklist-progress">{done}/{list.length}</span>}</h3>
      {items === null ? <Spinner /> : items === 'failed' ? <p className="muted">Checklist unavailable.</p> : (
        <ul className="checklist-items">
          {list.map((it, i) => (
            <li key={it.id} className={it.done ? 'done' : ''}>
              <input type="checkbox" checked={it.done} disabled={!canEdit} aria-label={`Done: ${it.text}`}
                onChange={e => {
                  const done = e.target.checked;
                  upsert({ ...it, done }); // at once; put back if refused
                  api.changeChecklistItem(it.id, { done }).then(upsert, err => { upsert(it); fail(`Couldn't ${done ? 'tick' : 'untick'} “${it.text}”`)(err); });
                }} />
              <ItemText item={it} canEdit={canEdit} onSaved={upsert} onFailed={fail(`Couldn't rename “${it.text}”`)} />
              {canEdit && <>
                <button type="button" className="icon-btn" aria-label={`Move “${it.text}” up`} disabled={i === 0} onClick={() => move(i, -1)}>↑</button>
                <button type="button" className="icon-btn" aria-label={`Move “${it.text}” down`} disabled={i === list.length - 1} onClick={() => move(i, 1)}>↓</button>
                <button type="button" className="icon-btn" aria-label={`Delete “${it.text}”`}
                  onClick={() => api.deleteChecklistItem(it.id).then(() => drop(it.id), fail(`Couldn't delete “${it.text}”`))}><CloseIcon /></button>
              </>}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (
        <form className="checklist-add" onSubmit={add} aria-label="Add a checklist item">
          <input value={text} onChange={e => setText(e.target.value)} placeholder="Add an item" aria-label="New checklist item" maxLength={limits.checklistItem} />
          <button className="btn btn-ghost" disabled={adding || !text.trim()}>{adding ? 'Adding…' : 'Add'}</button>
        </form>
      )}
    </section>
  );
}

const TEXT = ['text'] as const;
const textOf = (i: ChecklistItem) => ({ text: i.text });

/** The item's text; editable in place (saved on Enter or leaving the field, Escape puts it back). Someone else's rename
 * shows in the box unless the person is typing in it; a rename of theirs that comes too late keeps what they typed and
 * shows both to choose. */
function ItemText({ item, canEdit, onSaved, onFailed }: { item: ChecklistItem; canEdit: boolean; onSaved: (i: ChecklistItem) => void; onFailed: (e: unknown) => void }) {
  const edit = useVersionedEdit(item, TEXT, textOf);
  const value = edit.form.text;
  if (!canEdit) return <span className="grow">{item.text}</span>;
  const save = () => edit.save((body, version) => api.changeChecklistItem(item.id, body, version)).then(saved => { if (saved) onSaved(saved); }, onFailed);
  // (leaving the box while a conflict is shown, e.g. for its buttons, saves nothing: the person is choosing)
  const commit = () => { if (value.trim() && value.trim() !== item.text) void save(); else if (!edit.conflict) edit.reset(); };
  return (
    <span className="grow checklist-text-edit">
      <input className="grow checklist-text" value={value} aria-label={`Checklist item: ${item.text}`} maxLength={limits.checklistItem}
        onChange={e => edit.set('text', e.target.value)} onBlur={() => { if (!edit.conflict) commit(); }}
        onKeyDown={e => {
          if (e.key === 'Enter') { e.preventDefault(); commit(); }
          else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); edit.reset(); }
        }} />
      {edit.conflict && <StaleChoice what="checklist item" conflicts={edit.conflict.fields} show={(_, v) => `“${v}”`}
        onSaveMine={() => void save()} onTakeTheirs={edit.takeTheirs} />}
    </span>
  );
}
