import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { failure } from './errors';

describe('failure', () => {
  it('says what failed, why, and what to do', () => {
    expect(failure("Couldn't load your tasks", new TypeError('Failed to fetch'), 'Reload the page to try again.'))
      .toBe("Couldn't load your tasks: the server could not be reached. Reload the page to try again.");
    expect(failure("Couldn't make Bo admin", new ApiError(403, 'Only owners can do that.'), 'Ask an owner.'))
      .toBe("Couldn't make Bo admin: Only owners can do that. Ask an owner.");
  });
});
