// A real OpenID Connect provider on loopback for TaskHub's single sign-on tests (npm oidc-provider).
// Never for production: any login is accepted with any password (the package's development interactions).
//
//   OIDC_PORT=4011 OIDC_CLIENT_ID=taskhub OIDC_CLIENT_SECRET=... OIDC_REDIRECT_URIS=http://a/cb,http://b/cb node server.mjs
//
// The login typed at the provider is the account: its email is the login itself, verified unless the login
// starts with "unverified" (e.g. unverified.eve@example.com), its subject "sub-<login>" and its name the part
// before "@". One client, authorization code with PKCE (S256), secret posted in the token request.
// Prints "oidc-provider listening on <issuer>" once it accepts connections.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 4011);
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.OIDC_CLIENT_ID || 'taskhub';
const clientSecret = process.env.OIDC_CLIENT_SECRET || 'taskhub-test-secret-0123456789';
const redirectUris = (process.env.OIDC_REDIRECT_URIS || 'http://localhost:5080/api/auth/oidc/local/callback')
  .split(',').map((u) => u.trim()).filter(Boolean);

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: redirectUris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: `sub-${id}`, email: id, email_verified: !id.startsWith('unverified'), name: id.split('@')[0] };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: true } },
  pkce: { methods: ['S256'], required: () => true },
  cookies: { keys: ['taskhub-test-provider-cookie-key'] },
  // A first-party test client: grant the requested scopes without a consent screen.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

const server = provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
