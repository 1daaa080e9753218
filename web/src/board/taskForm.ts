// The task dialog's fields as strings, and the three-way merge that keeps a user's edits when the task changes
// underneath (live, or a 412 on save). Pure; unit-tested (taskForm.test.ts).
import type { Priority, Status, Task } from '../api/types';
import { localInputToUtc, utcToLocalInput } from '../ui/format';

export const FIELDS = ['title', 'description', 'status', 'priority', 'due', 'assignee', 'supervisor', 'labels'] as const;
export type Field = (typeof FIELDS)[number];
export type Form = Record<Field, string>;

export const FIELD_WORDS: Record<Field, string> = {
  title: 'title', description: 'description', status: 'status', priority: 'priority', due: 'deadline',
  assignee: 'assignee', supervisor: 'supervisor', labels: 'labels',
};

/** The form values of a task (null: a new task's defaults). Labels: the ids sorted, comma-separated. */
export function formOf(t: Task | null): Form {
  return {
    title: t?.title ?? '', description: t?.description ?? '', status: t?.status ?? 'todo', priority: t?.priority ?? 'medium',
    due: utcToLocalInput(t?.dueAt ?? null), assignee: t?.assigneeId ?? '', supervisor: t?.supervisorId ?? '',
    labels: [...(t?.labelIds ?? [])].sort().join(','),
  };
}

/** The task fields a form's values stand for (only the given fields). */
export function toTaskFields(f: Partial<Form>): Partial<Task> {
  const out: Partial<Task> = {};
  if (f.title !== undefined) out.title = f.title.trim();
  if (f.description !== undefined) out.description = f.description.trim() ? f.description : null;
  if (f.status !== undefined) out.status = f.status as Status;
  if (f.priority !== undefined) out.priority = f.priority as Priority;
  if (f.due !== undefined) out.dueAt = localInputToUtc(f.due);
  if (f.assignee !== undefined) out.assigneeId = f.assignee || null;
  if (f.supervisor !== undefined) out.supervisorId = f.supervisor || null;
  if (f.labels !== undefined) out.labelIds = f.labels ? f.labels.split(',') : [];
  return out;
}

/** The fields where `form` differs from `base` (what a save sends). */
export function changedFields(base: Form, form: Form): Partial<Form> {
  const out: Partial<Form> = {};
  for (const k of FIELDS) if (norm(k, form[k]) !== norm(k, base[k])) out[k] = form[k];
  return out;
}

const norm = (k: Field, v: string) => (k === 'title' || k === 'description' ? v.trim() : v);

export interface Conflict { field: Field; mine: string; theirs: string }
export interface Merged {
  /** The form to show: their value where only they changed it, mine where only I did (or both the same). */
  form: Form;
  /** Changed on both sides to different values: the form keeps mine until the user chooses. */
  conflicts: Conflict[];
  /** The fields they changed (for "Bob changed the status"). */
  theirs: Field[];
}

/** Three-way merge of my unsaved `mine` and the server's `theirs`, both from `base`. */
export function merge(base: Form, mine: Form, theirs: Form): Merged {
  const form = { ...mine };
  const conflicts: Conflict[] = [];
  const changedByThem: Field[] = [];
  for (const k of FIELDS) {
    const mineChanged = norm(k, mine[k]) !== norm(k, base[k]);
    const theirsChanged = norm(k, theirs[k]) !== norm(k, base[k]);
    if (theirsChanged) changedByThem.push(k);
    if (!mineChanged) form[k] = theirs[k];
    else if (theirsChanged && norm(k, mine[k]) !== norm(k, theirs[k])) conflicts.push({ field: k, mine: mine[k], theirs: theirs[k] });
  }
  return { form, conflicts, theirs: changedByThem };
}
