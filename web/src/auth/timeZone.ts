// Sign-up sends the browser's time zone (an IANA id). A server that does not know the id answers 400 with
// errors.timeZone: then the sign-up is sent once more without it (the account starts on UTC; Settings can change it).
import { ApiError } from '../api/client';

export function browserTimeZone(): string | undefined {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined; }
  catch { return undefined; } // no Intl time zone support: sign up on UTC
}

export async function withTimeZoneFallback<T>(send: (timeZone?: string) => Promise<T>, timeZone = browserTimeZone()): Promise<T> {
  if (!timeZone) return send();
  try { return await send(timeZone); }
  catch (e) {
    if (e instanceof ApiError && e.status === 400 && Object.keys(e.fields).some(k => k.toLowerCase() === 'timezone')) return send();
    throw e;
  }
}
