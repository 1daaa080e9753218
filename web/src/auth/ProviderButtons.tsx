// "Sign in with …" buttons for the configured OpenID Connect providers (a full navigation to the server's start URL),
// and how this server lets people sign in (GET /api/auth/config: passwords on or off, the providers).
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { AuthConfig } from '../api/types';
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

/** The sign-in configuration: null while it loads; if it cannot be loaded, passwords on and no providers (a toast says so). */
export function useAuthConfig(): AuthConfig | null {
  const toasts = useToasts();
  const [config, setConfig] = useState<AuthConfig | null>(null);
  useEffect(() => {
    api.authConfig().then(setConfig, e => {
      setConfig({ passwordSignIn: true, providers: [] });
      toasts.fail('Could not load the single sign-on providers', e, 'Reload the page, or sign in with your password.');
    });
  }, []); // once per page: the toast API is only used on failure
  return config;
}

/** One button per provider; `or` adds the separator before the password form. */
export function ProviderButtons({ config, or = true }: { config: AuthConfig; or?: boolean }) {
  if (config.providers.length === 0) return null;
  return (
    <div className="form" aria-label="Single sign-on">
      {config.providers.map(p => (
        <a key={p.name} className="btn wide" href={`/api/auth/oidc/${encodeURIComponent(p.name)}/start`}>Sign in with {p.displayName}</a>
      ))}
      {or && <p className="muted center">or</p>}
    </div>
  );
}
