// The board's labels: create, rename, recolour, delete (members and up; viewers see the list). The list is the
// store's (kept live by LabelsChanged events); a save here also updates it at once.
import { useState } from 'react';
import { api } from '../api/client';
import { LABEL_COLORS, type Label } from '../api/types';
import type { BoardStore } from '../sync';
import { Dialog } from '../ui/Dialog';
import { useToasts } from '../ui/toasts';
import { LabelChip } from './LabelChip';
import { selectLabels, useBoardState } from './useBoardState';
import { clearIfStill } from '../ui/forms';
import { StaleChoice } from '../ui/StaleChoice';
import { useVersionedEdit } from '../ui/versionedEdit';
import { limits } from '../api/limits';

interface Props { boardId: string; store: BoardStore; canEdit: boolean; onClose: () => void }

export function LabelsDialog({ boardId, store, canEdit, onClose }: Props) {
  const labels = useBoardState(store, selectLabels);
  const [name, setName] = useState('');
  const [color, setColor] = useState<string>('blue');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setError(''); setBusy(true);
    const sent = name;
    try { store.putLabel(await api.createLabel(boardId, sent.trim(), color)); setName(clearIfStill(sent)); }
    catch (err) { setError((err as Error).message); }
    finally { setBusy(false); }
  };
  return (
    <Dialog title="Labels" onClose={onClose}>
      {canEdit && (
        <form className="form" onSubmit={create} aria-label="New label">
          <div className="row label-row">
            <label className="grow">Name<input aria-label="New label name" required maxLength={limits.labelName} value={name} onChange={e => setName(e.target.value)} /></label>
            <label>Colour<ColorSelect label="New label colour" value={color} onChange={setColor} /></label>
            <button className="btn btn-primary" disabled={busy}>{busy ? 'Adding…' : 'Add label'}</button>
          </div>
          {error && <span className="field-error" role="alert">{error}</span>}
        </form>
      )}
      {labels.length === 0 ? <p className="muted">No labels yet.</p> : (
        <ul className="label-list">
          {labels.map(l => <LabelRow key={l.id} label={l} store={store} canEdit={canEdit} />)}
        </ul>
      )}
    </Dialog>
  );
}

function ColorSelect({ value, onChange, label }: { value: string; onChange: (c: string) => void; label?: string }) {
  return (
    <select value={value} onChange={e => onChange(e.target.value)} aria-label={label}>
      {LABEL_COLORS.map(c => <option key={c} value={c}>{c}</option>)}
    </select>
  );
}

const LABEL_FIELDS = ['name', 'color'] as const;
const labelForm = (l: Label) => ({ name: l.name, color: l.color });

function LabelRow({ label, store, canEdit }: { label: Label; store: BoardStore; canEdit: boolean }) {
  const toasts = useToasts();
  // Another change to the label (someone else's rename, or this row's own save) follows into the boxes the person has
  // not touched; a name or colour they are changing stays theirs until they save it, and a save that comes too late
  // (someone else saved first) keeps it and shows both to choose.
  const edit = useVersionedEdit(label, LABEL_FIELDS, labelForm);
  const { name, color } = edit.form;
  const changed = name.trim() !== label.name || color !== label.color;
  const save = async (e?: React.FormEvent) => {
    e?.preventDefault();
    try {
      const saved = await edit.save((body, version) => api.changeLabel(label.id, body, version));
      if (saved) store.putLabel(saved);
    } catch (err) { toasts.fail(`Couldn't change the label “${label.name}”`, err, `Check the name (1–${limits.labelName} characters, not already used) and try again.`); }
  };
  const remove = async () => {
    if (!confirm(`Delete the label “${label.name}”? It is removed from every task.`)) return;
    try { await api.deleteLabel(label.id); store.removeLabel(label.id); }
    catch (err) { toasts.fail(`Couldn't delete the label “${label.name}”`, err, 'Reload the page and try again.'); }
  };
  if (!canEdit) return <li><LabelChip label={label} /></li>;
  return (
    <li>
      <form className="label-edit" onSubmit={save} aria-label={`Label ${label.name}`}>
        <LabelChip label={{ name: name || label.name, color }} />
        <input aria-label={`Name of ${label.name}`} required maxLength={limits.labelName} value={name} onChange={e => edit.set('name', e.target.value)} />
        <ColorSelect label={`Colour of ${label.name}`} value={color} onChange={c => edit.set('color', c)} />
        <button className="btn btn-ghost" disabled={!changed && !edit.conflict}>Save</button>
        <button type="button" className="btn btn-danger-ghost" onClick={() => void remove()}>Delete</button>
      </form>
      {edit.conflict && <StaleChoice what="label" conflicts={edit.conflict.fields} show={(k, v) => (k === 'name' ? `“${v}”` : v)}
        onSaveMine={() => void save()} onTakeTheirs={edit.takeTheirs} />}
    </li>
  );
}
