using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// One OpenID Connect scheme per configured provider: authorization code with PKCE, the answer in the query, claims
/// from the userinfo endpoint. The callback never signs anyone in by cookie: <see cref="OidcSignIn"/> turns the
/// provider's answer into a short-lived one-time code the web app exchanges for our own tokens.
/// </summary>
public static class OidcExtensions
{
    public static AuthenticationBuilder AddTaskHubOidc(this AuthenticationBuilder auth, IConfiguration config)
    {
        var providers = OidcProviders.Read(config);
        auth.Services.AddSingleton(new OidcProviderRegistry(providers));
        auth.Services.AddScoped<OidcSignIn>();
        foreach (var (name, p) in providers)
        {
            auth.AddOpenIdConnect(OidcProviders.SchemeFor(name), p.DisplayName ?? name, o =>
            {
                o.Authority = p.Authority;
                o.ClientId = p.ClientId;
                o.ClientSecret = p.ClientSecret;
                // Plain http only for a provider on this machine (tests, development).
                o.RequireHttpsMetadata = !IsLoopback(p.Authority);
                o.ResponseType = OpenIdConnectResponseType.Code;
                o.UsePkce = true;
                // The answer comes back on a top-level GET, so the correlation and nonce cookies can be SameSite=Lax
                // (a form_post would need SameSite=None, which needs https).
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.CallbackPath = $"/api/auth/oidc/{name}/callback";
                o.Scope.Clear();
                foreach (var scope in new[] { "openid", "email", "profile" }) o.Scope.Add(scope);
                o.GetClaimsFromUserInfoEndpoint = true;
                o.ClaimActions.MapUniqueJsonKey("email_verified", "email_verified");
                o.MapInboundClaims = false;
                o.SaveTokens = false;
                o.RemoteAuthenticationTimeout = TimeSpan.FromMinutes(10);
                o.Events = new OpenIdConnectEvents
                {
                    OnTicketReceived = ctx => ctx.HttpContext.RequestServices.GetRequiredService<OidcSignIn>().CompleteAsync(ctx, name, p),
                    OnRemoteFailure = ctx => OidcSignIn.FailAsync(ctx),
                    OnAccessDenied = ctx =>
                    {
                        ctx.Response.Redirect(OidcSignIn.ErrorUrl("denied"));
                        ctx.HandleResponse();
                        return Task.CompletedTask;
                    },
                };
            });
        }
        return auth;
    }

    private static bool IsLoopback(string authority) =>
        Uri.TryCreate(authority, UriKind.Absolute, out var uri) &&
        (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
}

/// <summary>The configured providers by name.</summary>
public sealed class OidcProviderRegistry(IReadOnlyDictionary<string, OidcProviderOptions> providers)
{
    public IReadOnlyDictionary<string, OidcProviderOptions> Providers => providers;
}
