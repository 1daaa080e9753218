import type { Task } from '../api/types';

/** A task as the server sends it, with the fields a test cares about overridden. */
export function task(id: string, over: Partial<Task> = {}): Task {
  return {
    id, boardId: 'b', title: id, description: null, status: 'todo', priority: 'medium', dueAt: null,
    assigneeId: null, supervisorId: null, createdById: 'u', createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z', completedAt: null, version: 1,
    position: 'V', labelIds: [], checklist: { done: 0, total: 0 }, commentCount: 0, attachmentCount: 0, archivedAt: null, escalatedAt: null, ...over,
  };
}
