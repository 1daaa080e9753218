// A refused form: the server's field messages (camelCase keys), else its message under the form.
import { ApiError } from '../api/client';

export function fieldErrors(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError)) return { form: 'Network error: check your connection and try again.' };
  const f: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.fields)) f[k.charAt(0).toLowerCase() + k.slice(1)] = v[0];
  return Object.keys(f).length ? f : { form: err.message };
}
