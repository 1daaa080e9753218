// A task's files (task dialog): pick with the button or drop onto the dialog; a progress bar per upload (XHR upload
// events); the list with name, size, uploader and time; image thumbnails and a preview (the bytes are fetched with the
// bearer token — an <img src> could not send it — and shown as a data: URL, because the server's CSP allows
// `img-src 'self' data:` but not blob:; dropped on unmount); download (a blob: URL on a link, revoked after); delete
// (the uploader, owners and admins). Live: the board's AttachmentAdded/AttachmentRemoved events.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, currentUser } from '../api/client';
import type { Attachment, Role } from '../api/types';
import type { BoardStore } from '../sync';
import { humanSize, timeAgo } from '../ui/format';
import { useToasts } from '../ui/toasts';
import type { NameOf } from './names';
import { finished, progressed, started, uploadAdvice, type Upload } from './uploads';
import { CloseIcon } from '../ui/icons';
import { FileText, TriangleAlert } from 'lucide-react';

const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const isImage = (a: Attachment) => INLINE.has(a.contentType);

/** The dialog's files: the list (loaded, then live) and the uploads in flight. */
export function useAttachments(taskId: string | null, store: BoardStore) {
  const toasts = useToasts();
  const [list, setList] = useState<Attachment[] | null>(null);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const nextKey = useRef(1);
  const aborts = useRef(new Map<number, AbortController>());

  useEffect(() => {
    if (!taskId) return; // a new task: no files until it exists
    let live = true;
    api.attachments(taskId).then(l => { if (live) setList(cur => merge(l, cur ?? [])); },
      e => { if (live) { setList(cur => cur ?? []); toasts.fail("Couldn't load the task's files", e, 'Close the task and open it again.'); } });
    const off = store.onEvent(e => {
      if (e.task?.id !== taskId || !e.attachment) return;
      const a = e.attachment;
      if (e.type === 'AttachmentAdded') setList(cur => merge(cur ?? [], [a]));
      if (e.type === 'AttachmentRemoved') setList(cur => (cur ?? []).filter(x => x.id !== a.id));
    });
    const pending = aborts.current;
    return () => { live = false; off(); pending.forEach(c => c.abort()); };
  }, [taskId, store, toasts]);

  const upload = useCallback((files: Iterable<File>) => {
    if (!taskId) return;
    for (const file of files) {
      const key = nextKey.current++;
      const ctl = new AbortController();
      aborts.current.set(key, ctl);
      setUploads(u => started(u, key, file));
      api.upload(taskId, file, p => setUploads(u => progressed(u, key, p)), ctl.signal).then(
        a => { setList(cur => merge(cur ?? [], [a])); toasts.announce(`Attached “${a.fileName}”`); },
        e => { if (!(e instanceof DOMException && e.name === 'AbortError')) toasts.fail(`Couldn't attach “${file.name}”`, e, uploadAdvice(e)); },
      ).finally(() => { aborts.current.delete(key); setUploads(u => finished(u, key)); });
    }
  }, [taskId, toasts]);
  const cancel = useCallback((key: number) => aborts.current.get(key)?.abort(), []);
  const remove = useCallback(async (a: Attachment) => {
    try {
      await api.deleteAttachment(a.id);
      setList(cur => (cur ?? []).filter(x => x.id !== a.id));
      toasts.show({ kind: 'success', text: `Deleted “${a.fileName}”` });
    } catch (e) { toasts.fail(`Couldn't delete “${a.fileName}”`, e, 'Only its uploader or an owner or admin of the board can delete a file; reload to see if it is still there.'); }
  }, [toasts]);
  return { list, uploads, upload, cancel, remove };
}

/** The union by id, oldest first (the server's order). */
function merge(a: readonly Attachment[], b: readonly Attachment[]): Attachment[] {
  const m = new Map(a.map(x => [x.id, x]));
  for (const x of b) m.set(x.id, x);
  return [...m.values()].sort((x, y) => Date.parse(x.createdAt) - Date.parse(y.createdAt) || (x.id < y.id ? -1 : 1));
}

function dataUrl(b: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result as string);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(b);
  });
}

/** An image attachment as a data: URL, fetched with the bearer token; let go of on unmount (state dropped). */
function useImageUrl(id: string): { url: string | null; failed: boolean } {
  const [state, setState] = useState<{ url: string | null; failed: boolean }>({ url: null, failed: false });
  useEffect(() => {
    let live = true;
    api.attachmentBlob(id).then(dataUrl).then(url => { if (live) setState({ url, failed: false }); },
      () => { if (live) setState({ url: null, failed: true }); }); // the row still offers Download, which reports the reason
    return () => { live = false; };
  }, [id]);
  return state;
}

async function download(a: Attachment, fail: (e: unknown) => void) {
  try {
    const url = URL.createObjectURL(await api.attachmentBlob(a.id));
    const link = document.createElement('a');
    link.href = url;
    link.download = a.fileName;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000); // the download has its own copy by then
  } catch (e) { fail(e); }
}

interface Props {
  files: ReturnType<typeof useAttachments>; role: Role; canEdit: boolean; nameOf: NameOf;
}

export function AttachmentsSection({ files, role, canEdit, nameOf }: Props) {
  const toasts = useToasts();
  const input = useRef<HTMLInputElement>(null);
  const [preview, setPreview] = useState<Attachment | null>(null);
  const me = currentUser();
  const { list, uploads } = files;
  const canDelete = (a: Attachment) => canEdit && (a.uploaderId === me?.id || role === 'owner' || role === 'admin');
  return (
    <section className="attachments" aria-labelledby="attachments-heading">
      <h3 id="attachments-heading">Files {list && list.length > 0 && <span className="count">{list.length}</span>}</h3>
      {canEdit && (
        <div className="attach-row">
          <button type="button" className="btn btn-ghost" onClick={() => input.current?.click()}>Attach files…</button>
          <span className="muted small">or drop files onto this dialog</span>
          <input ref={input} type="file" multiple hidden aria-label="Attach files" data-testid="attach-input"
            onChange={e => { if (e.target.files) files.upload([...e.target.files]); e.target.value = ''; }} />
        </div>
      )}
      {uploads.length > 0 && (
        <ul className="uploads" aria-label="Uploads in progress">
          {uploads.map(u => (
            <li key={u.key}>
              <span className="grow ellipsis">{u.name} <span className="muted small">({humanSize(u.size)})</span></span>
              <progress max={100} value={u.percent ?? undefined} aria-label={`Uploading ${u.name}`}
                aria-valuetext={u.phase === 'processing' ? 'Sent, saving…' : u.percent === null ? 'Uploading' : `${u.percent}%`} />
              <span className="small upload-pct" aria-hidden="true">{u.phase === 'processing' ? 'Saving…' : u.percent === null ? '' : `${u.percent}%`}</span>
              <button type="button" className="icon-btn" aria-label={`Cancel uploading ${u.name}`} onClick={() => files.cancel(u.key)}><CloseIcon /></button>
            </li>
          ))}
        </ul>
      )}
      {list === null ? <p className="muted small">Loading files…</p>
        : list.length === 0 && uploads.length === 0 ? <p className="muted small">No files yet.</p>
        : (
          <ul className="attachment-list" aria-label="Files">
            {list.map(a => (
              <li key={a.id} data-attachment-id={a.id}>
                {isImage(a) ? <Thumb a={a} onOpen={() => setPreview(p => (p?.id === a.id ? null : a))} /> : <span className="file-icon" aria-hidden="true"><FileText size={18} /></span>}
                <div className="grow">
                  <div className="ellipsis attachment-name">{a.fileName}</div>
                  <div className="muted small">{humanSize(a.size)} · {a.uploaderId ? nameOf(a.uploaderId) ?? 'Someone' : 'a deleted user'} · <time dateTime={a.createdAt} title={new Date(a.createdAt).toLocaleString()}>{timeAgo(a.createdAt)}</time></div>
                </div>
                <button type="button" className="btn btn-ghost" aria-label={`Download ${a.fileName}`}
                  onClick={() => void download(a, e => toasts.fail(`Couldn't download “${a.fileName}”`, e, 'Reload the board: it may have been deleted.'))}>Download</button>
                {canDelete(a) && <button type="button" className="btn btn-danger-ghost" aria-label={`Delete ${a.fileName}`} onClick={() => void files.remove(a)}>Delete</button>}
              </li>
            ))}
          </ul>
        )}
      {preview && list?.some(a => a.id === preview.id) && <Preview a={preview} onClose={() => setPreview(null)} />}
    </section>
  );
}

function Thumb({ a, onOpen }: { a: Attachment; onOpen: () => void }) {
  const { url, failed } = useImageUrl(a.id);
  return (
    <button type="button" className="thumb" onClick={onOpen} aria-label={`Preview ${a.fileName}`} disabled={!url}>
      {url ? <img src={url} alt="" /> : <span aria-hidden="true">{failed ? <TriangleAlert size={16} /> : '…'}</span>}
    </button>
  );
}

function Preview({ a, onClose }: { a: Attachment; onClose: () => void }) {
  const { url } = useImageUrl(a.id);
  return (
    <figure className="attachment-preview">
      {url ? <img src={url} alt={`Preview of ${a.fileName}`} /> : <p className="muted small">Loading preview…</p>}
      <figcaption><span className="grow ellipsis">{a.fileName}</span><button type="button" className="btn btn-ghost" onClick={onClose}>Close preview</button></figcaption>
    </figure>
  );
}
