// /invite?token=… (the invitation email's link). Shows who invited you to which board with what role
// (POST /api/invitations/preview, anonymous). Signed out: Sign up (email prefilled) or Log in, both coming back here
// with &accept=1, which accepts at once and opens the board. Signed in with the invited address: Accept (or at once
// with accept=1). Signed in with another address: says so and offers to log out.
import { useEffect, useRef, useState } from 'react';
import { ApiError, api, currentUser } from '../api/client';
import type { InvitationPreview } from '../api/types';
import { failure } from '../ui/errors';
import { Link, navigate, useQueryParam } from '../ui/router';
import { Spinner } from '../ui/Spinner';
import { useTitle } from '../ui/title';
import { useToasts } from '../ui/toasts';
import { BrandMark } from '../ui/icons';

export function InvitePage() {
  const token = useQueryParam('token') ?? '';
  const auto = useQueryParam('accept') === '1';
  const toasts = useToasts();
  const user = currentUser();
  const [preview, setPreview] = useState<InvitationPreview | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const accepted = useRef(false);
  useTitle(preview ? `Join ${preview.boardName}` : 'Invitation');

  useEffect(() => {
    if (!token) { setError('This link has no invitation in it: open the link from the email again.'); return; }
    api.previewInvitation(token).then(setPreview, e => setError(e instanceof ApiError && e.status === 404
      ? 'This invitation is not valid any more: it may have expired, been revoked or been used. Ask whoever invited you for a new one.'
      : failure("Couldn't open the invitation", e, 'Reload the page to try again.')));
  }, [token]);

  const sameAddress = !!user && !!preview && user.email.trim().toLowerCase() === preview.email.trim().toLowerCase();
  const accept = async () => {
    if (accepted.current) return;
    accepted.current = true;
    setBusy(true);
    try {
      const r = await api.acceptInvitation(token);
      toasts.show({ kind: 'success', text: `You joined “${preview?.boardName ?? 'the board'}” as ${r.role}` });
      navigate(`/boards/${r.boardId}`, { replace: true });
    } catch (e) {
      accepted.current = false;
      toasts.fail("Couldn't accept the invitation", e, 'It may have expired or been revoked: ask for a new one.');
    } finally { setBusy(false); }
  };
  useEffect(() => { if (auto && sameAddress) void accept(); }, [auto, sameAddress]); // eslint-disable-line react-hooks/exhaustive-deps

  const back = `/invite?token=${encodeURIComponent(token)}&accept=1`;
  const authLink = (mode: 'signup' | 'login') => `/${mode}?email=${encodeURIComponent(preview?.email ?? '')}&next=${encodeURIComponent(back)}`;
  return (
    <div className={user ? 'page narrow' : 'auth-card'}>
      {!user && <div className="brand big"><BrandMark /> TaskHub</div>}
      <h1>Invitation</h1>
      {error ? <p className="field-error" role="alert">{error}</p> : !preview ? <Spinner label="Opening the invitation…" /> : (
        <div className="invite-card">
          <p><strong>{preview.invitedBy ?? 'Someone'}</strong> invited <strong>{preview.email}</strong> to the board <strong>{preview.boardName}</strong> as {preview.role === 'admin' || preview.role === 'owner' ? 'an' : 'a'} <strong>{preview.role}</strong>.</p>
          {!user ? (
            <>
              <p className="muted">Sign up with that address (or log in if you have an account) to join.</p>
              <div className="dialog-actions">
                <Link to={authLink('login')} className="btn btn-ghost">Log in</Link>
                <Link to={authLink('signup')} className="btn btn-primary">Sign up as {preview.email}</Link>
              </div>
            </>
          ) : !sameAddress ? (
            <>
              <p role="alert" className="field-error">You are signed in as {user.email}, but this invitation is for {preview.email}. Log out and sign in (or sign up) with {preview.email} to accept it.</p>
              <div className="dialog-actions">
                <button className="btn btn-primary" onClick={() => void api.logout().finally(() => navigate(authLink('login')))}>Log out and continue as {preview.email}</button>
              </div>
            </>
          ) : (
            <div className="dialog-actions">
              <Link to="/" className="btn btn-ghost">Not now</Link>
              <button className="btn btn-primary" onClick={() => void accept()} disabled={busy}>{busy ? 'Joining…' : `Join ${preview.boardName}`}</button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
