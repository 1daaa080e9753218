// The task dialog's fields as strings, and the three-way merge that keeps a user's edits when the task changes
// underneath (live, or a 412 on save). Pure; unit-tested (taskForm.test.ts).
import type { Priority, Status, Task } from '../api/types';
import { localInputToUtc, utcToLocalInput } from '../ui/format';
import { mergeFields, type FieldConflict, type FieldMerge } from '../ui/merge';

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

export type Conflict = FieldConflict<Field>;
export type Merged = FieldMerge<Field>;

/** Three-way merge of my unsaved `mine` and the server's `theirs`, both from `base` (title and description trimmed). */
export const merge = (base: Form, mine: Form, theirs: Form): Merged => mergeFields(FIELDS, base, mine, theirs, norm);
