// One timeline in the task dialog: the task's changes in words and its comments, oldest first, kept live from
// the board's events; below it the comment composer (Markdown, @mentions). Comments: edit your own, delete your
// own (owners and admins delete any), "edited" marker.
import { useEffect, useId, useMemo, useState } from 'react';
import { api, currentUser } from '../api/client';
import type { BoardEvent, Comment, Label, Member, Role, Task } from '../api/types';
import { fmtDate } from '../ui/format';
import { Spinner } from '../ui/Spinner';
import { useToasts } from '../ui/toasts';
import type { BoardStore } from '../sync';
import { MentionInput } from './MentionInput';
import type { NameOf } from './names';
import { DescriptionDiff } from './DescriptionDiff';
import { buildTimeline, type TimelineItem } from './timeline';
import { clearIfStill } from '../ui/forms';
import { StaleChoice } from '../ui/StaleChoice';
import { useVersionedEdit } from '../ui/versionedEdit';

interface Props { task: Task; store: BoardStore; members: readonly Member[]; labels: readonly Label[]; role: Role; canEdit: boolean; nameOf: NameOf }

export function Timeline({ task, store, members, labels, role, canEdit, nameOf }: Props) {
  const toasts = useToasts();
  const taskId = task.id;
  const [events, setEvents] = useState<BoardEvent[] | 'failed' | null>(null);
  const [comments, setComments] = useState<Comment[] | 'failed' | null>(null);
  const upsert = (c: Comment) => setComments(l => (Array.isArray(l) ? [...l.filter(x => x.id !== c.id), c] : l));
  const drop = (id: string) => setComments(l => (Array.isArray(l) ? l.filter(x => x.id !== id) : l));

  useEffect(() => {
    let current = true;
    const failed = (what: string, set: (v: 'failed') => void) => (e: unknown) => {
      if (!current) return;
      set('failed');
      toasts.fail(what, e, 'Close the task and open it again to retry.');
    };
    api.activity(taskId).then(a => { if (current) setEvents(a); }, failed("Couldn't load the task's history", setEvents));
    api.comments(taskId).then(c => { if (current) setComments(c); }, failed("Couldn't load the comments", setComments));
    const off = store.onEvent(e => {
      if (e.task?.id !== taskId && e.comment?.taskId !== taskId) return;
      setEvents(l => (Array.isArray(l) && !l.some(x => x.seq === e.seq) ? [...l, e] : l));
      if (e.comment) { if (e.type === 'CommentDeleted') drop(e.comment.id); else upsert(e.comment); }
    });
    return () => { current = false; off(); };
  }, [taskId, store, toasts]);

  const items = useMemo(
    () => (Array.isArray(events) && Array.isArray(comments) ? buildTimeline(events, comments, nameOf, labels) : null),
    [events, comments, nameOf, labels]);
  const me = currentUser();
  const mayDeleteAny = role === 'owner' || role === 'admin';

  return (
    <aside className="activity timeline" aria-label="Activity">
      <h3>Activity</h3>
      {events === 'failed' || comments === 'failed' ? <p className="muted">History unavailable.</p> : !items ? <Spinner /> : items.length === 0 ? <p className="muted">No activity yet.</p> : (
        <ol>
          {items.map(i => i.kind === 'comment' ? (
            <CommentItem key={`c-${i.comment.id}`} comment={i.comment} members={members} nameOf={nameOf}
              mine={i.comment.authorId === me?.id} mayDelete={i.comment.authorId === me?.id || mayDeleteAny}
              onSaved={upsert} onDeleted={drop} />
          ) : <ChangeItem key={`e-${i.event.seq}`} item={i} />)}
        </ol>
      )}
      {canEdit && <Composer taskId={taskId} members={members} onAdded={upsert} />}
    </aside>
  );
}

function ChangeItem({ item: i }: { item: Extract<TimelineItem, { kind: 'change' }> }) {
  const [open, setOpen] = useState(false);
  const diffId = useId();
  return (
    <li className={`change-item ${i.automatic ? 'automatic' : ''}`}>
      <strong>{i.actor}</strong>{i.automatic && <span className="auto-pill">automatically</span>} {i.text} <time dateTime={i.at}>{fmtDate(i.at)}</time>
      {i.description && (
        <>
          {' '}<button type="button" className="link-btn" aria-expanded={open} aria-controls={open ? diffId : undefined} onClick={() => setOpen(o => !o)}>
            {open ? 'Hide changes' : 'Show changes'}
          </button>
          {open && <DescriptionDiff id={diffId} from={i.description.from} to={i.description.to} />}
        </>
      )}
    </li>
  );
}

function Composer({ taskId, members, onAdded }: { taskId: string; members: readonly Member[]; onAdded: (c: Comment) => void }) {
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const send = async () => {
    if (!body.trim() || busy) return;
    setBusy(true);
    setError('');
    const sent = body;
    try { onAdded(await api.addComment(taskId, sent)); setBody(clearIfStill(sent)); } // (more typed meanwhile stays)
    catch (e) { setError(`Your comment was not posted: ${(e as Error).message}`); } // kept in the box to retry
    finally { setBusy(false); }
  };
  return (
    <form className="composer" aria-label="Add a comment" onSubmit={e => { e.preventDefault(); void send(); }}>
      <MentionInput value={body} onChange={setBody} members={members} label="Comment" onSubmit={() => void send()} />
      {error && <span className="field-error" role="alert">{error}</span>}
      <div className="dialog-actions">
        <span className="muted small">Markdown; type @ to mention someone. Ctrl+Enter posts.</span>
        <span className="spacer" />
        <button className="btn btn-primary" disabled={busy || !body.trim()}>{busy ? 'Posting…' : 'Comment'}</button>
      </div>
    </form>
  );
}

const BODY = ['body'] as const;
const bodyOf = (c: Comment) => ({ body: c.body });

interface ItemProps {
  comment: Comment; members: readonly Member[]; nameOf: NameOf; mine: boolean; mayDelete: boolean;
  onSaved: (c: Comment) => void; onDeleted: (id: string) => void;
}

function CommentItem({ comment, members, nameOf, mine, mayDelete, onSaved, onDeleted }: ItemProps) {
  const toasts = useToasts();
  // The text being edited starts from the comment as it was when Edit was clicked: an edit of it saved meanwhile in
  // another tab shows in the box while nothing is typed, and a save that comes too late keeps this text and shows both.
  const [editing, setEditing] = useState(false);
  const edit = useVersionedEdit(comment, BODY, bodyOf);
  const author = nameOf(comment.authorId) ?? 'Someone';
  const save = async () => {
    if (!edit.form.body.trim()) return;
    try {
      const saved = await edit.save((changed, version) => api.editComment(comment.id, changed.body ?? edit.form.body, version));
      if (saved) { onSaved(saved); setEditing(false); }
    } catch (e) { toasts.fail("Couldn't save your comment", e, 'Your text is still in the box: try again.'); }
  };
  const remove = async () => {
    if (!confirm('Delete this comment?')) return;
    try { await api.deleteComment(comment.id); onDeleted(comment.id); }
    catch (e) { toasts.fail("Couldn't delete the comment", e, 'Reload the page and try again.'); }
  };
  return (
    <li className="comment" aria-label={`Comment by ${author}`}>
      <div className="comment-head">
        <strong>{author}</strong> <time dateTime={comment.createdAt}>{fmtDate(comment.createdAt)}</time>
        {comment.editedAt && <span className="muted small" title={`Edited ${fmtDate(comment.editedAt)}`}>(edited)</span>}
      </div>
      {editing ? (
        <form onSubmit={e => { e.preventDefault(); void save(); }} aria-label="Edit comment">
          <MentionInput value={edit.form.body} onChange={v => edit.set('body', v)} members={members} label="Edit comment" autoFocus onSubmit={() => void save()} />
          {edit.conflict && <StaleChoice what="comment" conflicts={edit.conflict.fields} show={(_, v) => `“${v.length > 120 ? `${v.slice(0, 120)}…` : v}”`}
            onSaveMine={() => void save()} onTakeTheirs={edit.takeTheirs} />}
          <div className="dialog-actions">
            <span className="spacer" />
            <button type="button" className="btn btn-ghost" onClick={() => { edit.reset(); setEditing(false); }}>Cancel</button>
            <button className="btn btn-primary" disabled={!edit.form.body.trim()}>Save comment</button>
          </div>
        </form>
      ) : (
        // bodyHtml is rendered by the server from the Markdown and safe by construction: raw HTML is escaped,
        // links are http/https/mailto only, mentions are <span class="mention" data-user-id>. Nothing else is
        // ever put into the DOM as HTML.
        <div className="comment-body" dangerouslySetInnerHTML={{ __html: comment.bodyHtml }} />
      )}
      {!editing && (mine || mayDelete) && (
        <div className="comment-actions">
          {mine && <button type="button" className="link-btn" onClick={() => { edit.reset(); setEditing(true); }}>Edit</button>}
          {mayDelete && <button type="button" className="link-btn" onClick={() => void remove()}>Delete</button>}
        </div>
      )}
    </li>
  );
}
