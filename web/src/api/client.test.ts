import { describe, expect, it } from 'vitest';
import { taskWriteBody } from './client';

describe('taskWriteBody', () => {
  it('keeps only the fields the server accepts, including explicit nulls', () => {
    const body = taskWriteBody({ id: 'x', version: 3, title: 'T', dueAt: null, status: 'done', createdAt: 'z' } as never);
    expect(body).toEqual({ title: 'T', dueAt: null, status: 'done' });
  });
});
