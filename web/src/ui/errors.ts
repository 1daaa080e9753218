// Error messages for toasts: what failed, why, what to do.
import { ApiError } from '../api/client';

/** Why a request failed, in words: the server's problem text, or that it could not be reached. */
export function reason(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof TypeError) return 'the server could not be reached';
  return e instanceof Error && e.message ? e.message : 'something went wrong';
}

/** "Couldn't load the members: the server could not be reached. Reload the page to try again." */
export function failure(what: string, e: unknown, todo: string): string {
  return `${what}: ${reason(e).replace(/\.$/, '')}. ${todo}`;
}
