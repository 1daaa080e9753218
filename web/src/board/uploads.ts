// The task dialog's uploads in flight: pure state (one entry per file), unit-tested in uploads.test.ts.
import { ApiError, type Progress } from '../api/client';
import { humanSize } from '../ui/format';

export interface Upload {
  key: number; name: string; size: number;
  /** 0–100; null while the browser cannot tell (no total yet). */
  percent: number | null;
  /** 'sending': bytes going out; 'processing': all sent, waiting for the server's answer. */
  phase: 'sending' | 'processing';
}

/** Percent of an upload event, clamped to 0–100 and whole; null when the total is unknown. */
export function percentOf(p: Progress): number | null {
  if (!p.total) return null;
  return Math.max(0, Math.min(100, Math.floor((p.loaded / p.total) * 100)));
}

/** The list after a progress event for `key`: percent only goes up; 100 % means the server is storing it. */
export function progressed(list: readonly Upload[], key: number, p: Progress): Upload[] {
  return list.map(u => {
    if (u.key !== key) return u;
    const pct = percentOf(p);
    const percent = pct === null ? u.percent : Math.max(u.percent ?? 0, pct);
    return { ...u, percent, phase: percent === 100 ? 'processing' : 'sending' };
  });
}

export function started(list: readonly Upload[], key: number, file: { name: string; size: number }): Upload[] {
  return [...list, { key, name: file.name, size: file.size, percent: 0, phase: 'sending' }];
}

export function finished(list: readonly Upload[], key: number): Upload[] {
  return list.filter(u => u.key !== key);
}

/** The server's default limit (Attachments:MaxBytes); the server's 413 is the authority, this only saves a wasted upload. */
export const DEFAULT_MAX_BYTES = 25 * 1024 * 1024;

/** What a failed upload's toast says to do, by the error. */
export function uploadAdvice(e: unknown, maxBytes = DEFAULT_MAX_BYTES): string {
  if (e instanceof ApiError) {
    if (e.status === 413) return 'Compress or split the file, or share a link to it in a comment instead.';
    if (e.status === 403) return 'Viewers cannot attach files: ask an owner or admin of the board for the member role.';
    if (e.status === 404) return 'The task may have been deleted: reload the board.';
    if (e.status === 400) return 'Pick a file that is not empty and try again.';
  }
  // a file far over the limit may be cut off by the server mid-upload: the browser then only sees the connection close
  if (e instanceof TypeError) return `Check your connection and try again; files over the server's limit (${humanSize(maxBytes)} by default) are cut off like this too.`;
  return 'Try again; if it keeps failing, reload the page.';
}
