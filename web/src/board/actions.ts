// The board's writes: optimistic edits through the store, rolled back with a toast when the server says no;
// deletes with a 5 s undo window.
import { ApiError, api, taskWriteBody } from '../api/client';
import type { Status, Task } from '../api/types';
import type { BoardStore } from '../sync';
import type { ToastApi } from '../ui/toasts';
import { STATUS_LABEL, columnsOf, placement } from './model';

export interface BoardActions {
  /** Optimistic patch; false when it was refused (and rolled back). */
  patch(id: string, patch: Partial<Task>, baseVersion?: number): Promise<boolean>;
  /** Optimistic move: shows at `to.position` at once (a temporary key), then `POST move` with `to.afterId`;
   *  the server's task replaces the temporary key, a refusal rolls back. Without `to`: the top of the column. */
  move(id: string, status: Status, to?: { afterId: string | null; position: string }, said?: string): void;
  remove(task: Task): void;
  /** The task dialog's save: optimistic like patch, but the error is thrown to the dialog (which merges on 412). */
  saveEdit(id: string, fields: Partial<Task>, baseVersion: number): Promise<Task>;
  /** Archive or restore; the board hides archived tasks. */
  archive(task: Task, archived: boolean): Promise<boolean>;
  created(task: Task): void;
  /** The board is closing: deletes still in their undo window are sent now. */
  flushDeletes(): void;
}

export const VIEWER_TEXT = "Viewers can't change tasks.";

/** What a refused write means for the user. */
export function explain(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 412) return 'Someone else changed this task — reloaded.';
    if (e.status === 403) return VIEWER_TEXT;
    if (e.status === 404) return 'This task no longer exists.';
    return e.message;
  }
  return 'Network error — your change was not saved.';
}

export function boardActions(store: BoardStore, toasts: ToastApi, canEdit: boolean): BoardActions {
  const pendingDeletes = new Map<string, { timer: ReturnType<typeof setTimeout>; task: Task }>();
  const refuse = () => toasts.show({ kind: 'error', text: VIEWER_TEXT });

  async function reload(id: string, title: string) {
    try { store.put(await api.getTask(id), true); }
    catch (e) {
      if (e instanceof ApiError && e.status === 404) store.remove(id);
      else toasts.fail(`Couldn't reload “${title}”`, e, 'Reload the page to see its current state.');
    }
  }

  async function patch(id: string, fields: Partial<Task>, baseVersion?: number): Promise<boolean> {
    const shown = store.getSnapshot().tasks.get(id);
    if (!shown) return false;
    if (!canEdit) { refuse(); return false; }
    const edit = store.beginEdit(id, fields);
    if (!edit) return false;
    try {
      store.endEdit(edit, await api.patchTask(id, taskWriteBody(fields), baseVersion ?? edit.baseVersion));
      return true;
    } catch (e) {
      store.endEdit(edit);
      toasts.show({ kind: 'error', text: explain(e) });
      if (e instanceof ApiError && (e.status === 412 || e.status === 404)) await reload(id, shown.title);
      return false;
    }
  }

  async function sendDelete(task: Task) {
    pendingDeletes.delete(task.id);
    try { await api.deleteTask(task.id); store.deleted(task.id); }
    catch (e) {
      if (e instanceof ApiError && e.status === 404) store.deleted(task.id); else store.unhide(task.id);
      toasts.show({ kind: 'error', text: explain(e) });
    }
  }

  async function saveEdit(id: string, fields: Partial<Task>, baseVersion: number): Promise<Task> {
    if (!canEdit) throw new ApiError(403, VIEWER_TEXT);
    const edit = store.beginEdit(id, fields);
    try {
      const saved = await api.patchTask(id, taskWriteBody(fields), baseVersion);
      if (edit) store.endEdit(edit, saved); else store.put(saved);
      return saved;
    } catch (e) {
      if (edit) store.endEdit(edit);
      throw e;
    }
  }

  async function archive(task: Task, archived: boolean): Promise<boolean> {
    if (!canEdit) { refuse(); return false; }
    try {
      store.put(await (archived ? api.archiveTask(task.id) : api.unarchiveTask(task.id)));
      toasts.show({ kind: 'success', text: `${archived ? 'Archived' : 'Restored'} “${task.title}”`, ...(archived ? {
        action: { label: 'Undo', run: () => { void archive(task, false); } },
      } : {}) });
      return true;
    } catch (e) {
      toasts.fail(`Couldn't ${archived ? 'archive' : 'restore'} “${task.title}”`, e, 'Reload the page and try again.');
      return false;
    }
  }

  return {
    patch,
    saveEdit,
    archive,
    move(id, status, to, said) {
      const t = store.getSnapshot().tasks.get(id);
      if (!t) return;
      if (!canEdit) { refuse(); return; }
      if (!to) {
        const column = columnsOf(store.getSnapshot().tasks.values())[status].filter(x => x.id !== id);
        to = placement(column, column, 0);
      }
      const edit = store.beginEdit(id, { status, position: to.position });
      if (!edit) return;
      toasts.announce(said ?? `Moved “${t.title}” to ${STATUS_LABEL[status]}`);
      api.moveTask(id, status, to.afterId).then(
        saved => store.endEdit(edit, saved),
        async e => {
          store.endEdit(edit);
          toasts.show({ kind: 'error', text: explain(e) });
          if (e instanceof ApiError && e.status === 404) await reload(id, t.title);
          else if (e instanceof ApiError && e.status === 400) await reload(id, t.title); // e.g. the card above it moved away meanwhile
        });
    },
    remove(task) {
      if (!canEdit) { refuse(); return; }
      store.hide(task.id);
      pendingDeletes.set(task.id, { timer: setTimeout(() => void sendDelete(task), 5000), task });
      toasts.show({
        kind: 'info', text: `Deleted “${task.title}”`, ms: 5000,
        action: {
          label: 'Undo', run: () => {
            const p = pendingDeletes.get(task.id);
            if (!p) return;
            clearTimeout(p.timer);
            pendingDeletes.delete(task.id);
            store.unhide(task.id);
          },
        },
      });
    },
    created(task) { store.put(task); },
    flushDeletes() {
      for (const [id, p] of pendingDeletes) {
        clearTimeout(p.timer);
        api.deleteTask(id).catch(e => toasts.fail(`Couldn't delete “${p.task.title}”`, e, 'It is still on the board: open the board and delete it again.'));
      }
      pendingDeletes.clear();
    },
  };
}
