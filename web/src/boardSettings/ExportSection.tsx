// Export a board as a file: the request needs the bearer token, so the bytes are fetched as a blob and a `blob:`
// link is clicked (revoked after).
import { useState } from 'react';
import { api } from '../api/client';
import type { Board } from '../api/types';
import { useToasts } from '../ui/toasts';

/** A file name for the export: the board's name with only safe characters, and the format's extension. */
export function exportFileName(boardName: string, format: 'json' | 'csv'): string {
  const base = boardName.trim().replace(/[^\p{L}\p{N}._ -]+/gu, '').replace(/\s+/g, '-').slice(0, 80) || 'board';
  return `${base}.${format}`;
}

export function ExportSection({ board }: { board: Board }) {
  const toasts = useToasts();
  const [busy, setBusy] = useState<'json' | 'csv' | null>(null);
  const download = async (format: 'json' | 'csv') => {
    setBusy(format);
    try {
      const url = URL.createObjectURL(await api.exportBoard(board.id, format));
      const link = document.createElement('a');
      link.href = url;
      link.download = exportFileName(board.name, format);
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) { toasts.fail(`Couldn't export the board as ${format.toUpperCase()}`, e, 'Try again in a moment.'); }
    finally { setBusy(null); }
  };
  return (
    <section className="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <p className="muted small">JSON keeps everything (tasks, labels, comments, checklists) and can be imported again from the boards page; CSV is one row per task for spreadsheets.</p>
      <div className="hook-actions">
        <button className="btn btn-ghost" disabled={busy !== null} onClick={() => void download('json')}>{busy === 'json' ? 'Preparing…' : 'Download JSON'}</button>
        <button className="btn btn-ghost" disabled={busy !== null} onClick={() => void download('csv')}>{busy === 'csv' ? 'Preparing…' : 'Download CSV'}</button>
      </div>
    </section>
  );
}
