// Two-factor sign-in: enrol (QR code of the otpauth URI, or the secret typed in), confirm with a code, keep the
// recovery codes; turn it off with the password and a code.
import { useEffect, useRef, useState } from 'react';
import QRCode from 'qrcode';
import { api, setUser } from '../api/client';
import { useToasts } from '../ui/toasts';
import { FormError, useSubmit } from './useSubmit';

export function TwoFactorSection() {
  const toasts = useToasts();
  const [enabled, setEnabled] = useState<boolean | null>(null);
  const [setup, setSetup] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [error, run] = useSubmit('Saved');
  useEffect(() => {
    api.me().then(u => setEnabled(u.twoFactorEnabled ?? false), e => toasts.fail('Could not load your two-factor setting', e, 'Reload the page.'));
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const begin = () => void api.twoFactorSetup().then(setSetup, e => toasts.fail('Could not start two-factor enrolment', e, 'Try again.'));
  const enable = () => run(async () => {
    const r = await api.twoFactorEnable(code.trim());
    setCodes(r.recoveryCodes); setSetup(null); setCode(''); setEnabled(true);
    setUser({ ...(await api.me()) });
  });
  const disable = () => run(async () => {
    await api.twoFactorDisable(password, code.trim());
    setPassword(''); setCode(''); setCodes(null); setEnabled(false);
  });

  return (
    <section className="panel" aria-labelledby="twofa-title">
      <h2 id="twofa-title">Two-factor sign-in</h2>
      {enabled === null ? null : codes ? <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
        : enabled ? (
          <form className="form" onSubmit={e => { e.preventDefault(); void disable(); }} aria-label="Turn off two-factor sign-in">
            <p className="muted">On: signing in asks for a code from your authenticator app.</p>
            <label>Password<input type="password" value={password} onChange={e => setPassword(e.target.value)} required autoComplete="current-password" /></label>
            <label>Code (or a recovery code)<input value={code} onChange={e => setCode(e.target.value)} required autoComplete="one-time-code" /></label>
            <FormError text={error} />
            <div className="dialog-actions"><span className="spacer" /><button className="btn btn-danger">Turn off</button></div>
          </form>)
        : setup ? (
          <form className="form" onSubmit={e => { e.preventDefault(); void enable(); }} aria-label="Turn on two-factor sign-in">
            <p className="muted">Scan this with your authenticator app, or type the key in, then enter the code it shows.</p>
            <QrCode text={setup.otpauthUri} />
            <p>Key: <code className="secret" aria-label="Secret key">{setup.secret}</code></p>
            <label>Code<input value={code} onChange={e => setCode(e.target.value)} required inputMode="numeric" autoComplete="one-time-code" /></label>
            <FormError text={error} />
            <div className="dialog-actions"><span className="spacer" /><button type="button" className="btn btn-ghost" onClick={() => setSetup(null)}>Cancel</button><button className="btn btn-primary">Turn on</button></div>
          </form>)
        : (<div className="form">
            <p className="muted">Off. With it on, signing in also asks for a code from an authenticator app on your phone.</p>
            <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary" onClick={begin}>Set up</button></div>
          </div>)}
    </section>
  );
}

/** The otpauth URI as a QR code, drawn in the browser (nothing leaves it). */
function QrCode({ text }: { text: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const toasts = useToasts();
  useEffect(() => {
    if (canvas.current) QRCode.toCanvas(canvas.current, text, { width: 200, margin: 1 }).catch(
      (e: unknown) => toasts.fail('Could not draw the QR code', e, 'Type the key into your app instead.'));
  }, [text]); // eslint-disable-line react-hooks/exhaustive-deps
  return <canvas ref={canvas} role="img" aria-label="QR code for your authenticator app" />;
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="form">
      <p role="status">Two-factor sign-in is on. Keep these recovery codes somewhere safe: each signs you in once if you lose your phone. They are not shown again.</p>
      <ul className="recovery-codes" aria-label="Recovery codes">{codes.map(c => <li key={c}><code>{c}</code></li>)}</ul>
      <div className="dialog-actions"><span className="spacer" /><button className="btn btn-primary" onClick={onDone}>I have saved them</button></div>
    </div>
  );
}
