// A save that came too late (412: someone else saved first): what the person typed stays in the box, and this shows
// the other value beside it to choose, as the task dialog's conflicts do (board/TaskDialog.tsx).
import type { FieldConflict } from './merge';

interface Props<K extends string> {
  /** "label", "checklist item", "comment", "board name" */
  what: string;
  conflicts: readonly FieldConflict<K>[];
  /** How a field's value reads (e.g. a colour's name); the value itself by default. */
  show?: (field: K, value: string) => string;
  /** Saves mine over theirs (sent again with their version). */
  onSaveMine: () => void;
  onTakeTheirs: () => void;
}

export function StaleChoice<K extends string>({ what, conflicts, show = (_, v) => v, onSaveMine, onTakeTheirs }: Props<K>) {
  const values = (side: 'mine' | 'theirs') => conflicts.map(c => show(c.field, c[side])).join(', ');
  return (
    <div className="conflict" role="group" aria-label={`The ${what} was changed by someone else`}>
      <span>Someone else changed the {what} to <strong>{values('theirs')}</strong> while you were editing; yours is <strong>{values('mine')}</strong>.</span>
      <span className="choice">
        <button type="button" className="btn btn-ghost" onClick={onSaveMine}>Save mine</button>
        <button type="button" className="btn btn-ghost" onClick={onTakeTheirs}>Use theirs</button>
      </span>
    </div>
  );
}
