// "Sign in with …" buttons for the configured OpenID Connect providers (a full navigation to the server's start URL).
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { OidcProvider } from '../api/types';
import { useToasts } from '../ui/toasts';

const ssoErrors: Record<string, string> = {
  domain: 'Your organisation account is not allowed to sign in here (its email domain is not on the list).',
  unverified: 'Your provider did not confirm your email address, so it cannot sign you in here.',
  denied: 'Sign-in was cancelled at your provider.',
  failed: 'Single sign-on did not complete (the attempt expired or was not valid). Try again.',
};

export function ssoErrorText(code: string | null): string | null {
  return code ? ssoErrors[code] ?? ssoErrors.failed : null;
}

export function ProviderButtons() {
  const toasts = useToasts();
  const [providers, setProviders] = useState<OidcProvider[]>([]);
  useEffect(() => {
    api.providers().then(setProviders, e => toasts.fail('Could not load the single sign-on providers', e, 'Reload the page, or sign in with your password.'));
  }, []); // once per page: the toast API is only used on failure
  if (providers.length === 0) return null;
  return (
    <div className="form" aria-label="Single sign-on">
      {providers.map(p => (
        <a key={p.name} className="btn wide" href={`/api/auth/oidc/${encodeURIComponent(p.name)}/start`}>Sign in with {p.displayName}</a>
      ))}
      <p className="muted center">or</p>
    </div>
  );
}
