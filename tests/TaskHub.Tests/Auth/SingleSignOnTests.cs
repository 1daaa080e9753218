using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

/// <summary>
/// Two providers, both the real test provider: <c>local</c> (anyone) and <c>corp</c> (corp.example.com emails only).
/// </summary>
public class SsoApplication : TwoFactorApplication
{
    public OidcProvider Idp { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Idp = await OidcProvider.StartAsync(new[] { "local", "corp" }.Select(n => $"http://localhost/api/auth/oidc/{n}/callback"));
        Settings["Auth:Oidc:local:Authority"] = Idp.Issuer;
        Settings["Auth:Oidc:local:ClientId"] = OidcProvider.ClientId;
        Settings["Auth:Oidc:local:ClientSecret"] = OidcProvider.ClientSecret;
        Settings["Auth:Oidc:local:DisplayName"] = "Local SSO";
        Settings["Auth:Oidc:corp:Authority"] = Idp.Issuer;
        Settings["Auth:Oidc:corp:ClientId"] = OidcProvider.ClientId;
        Settings["Auth:Oidc:corp:ClientSecret"] = OidcProvider.ClientSecret;
        Settings["Auth:Oidc:corp:DisplayName"] = "Corp";
        Settings["Auth:Oidc:corp:AllowedDomains:0"] = "corp.example.com";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Idp.DisposeAsync();
    }

    /// <summary>A browser-like client of the server: cookies kept, redirects not followed.</summary>
    public HttpClient Browser() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>Starts a sign-in at <paramref name="provider"/> and logs in there; the callback URL the provider sends the browser to.</summary>
    public async Task<(HttpClient Browser, Uri Callback)> ToCallbackAsync(string provider, string login)
    {
        var browser = Browser();
        var start = await browser.GetAsync($"/api/auth/oidc/{provider}/start");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var authorize = start.Headers.Location!;
        // The provider offers pushed authorization requests, so the parameters (response_type=code, the PKCE
        // challenge, state, nonce) went to it directly and the browser carries only a reference. The provider
        // requires PKCE (S256): a flow that gets through used it.
        var query = QueryHelpers.ParseQuery(authorize.Query);
        Assert.StartsWith("urn:ietf:params:oauth:request_uri:", query["request_uri"].ToString());
        Assert.False(query.ContainsKey("code_challenge"));
        return (browser, await Idp.LogInAsync(authorize, login));
    }

    /// <summary>The whole flow: where the server finally sends the browser (the web app's /sso or /login page).</summary>
    public async Task<Uri> SignInAsync(string provider, string login)
    {
        var (browser, callback) = await ToCallbackAsync(provider, login);
        var done = await browser.GetAsync(callback.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        return done.Headers.Location!;
    }
}

public sealed class SingleSignOnTests(SsoApplication app) : IClassFixture<SsoApplication>
{
    private readonly HttpClient _anon = app.CreateClient();

    private static string Email(string domain = "example.com", string prefix = "sso") => $"{prefix}-{Guid.NewGuid():N}@{domain}";

    private static string Param(Uri relative, string name) => QueryHelpers.ParseQuery(new Uri(new Uri("http://x"), relative).Query)[name].ToString();

    private async Task<JsonElement> ExchangeAsync(Uri landing)
    {
        Assert.StartsWith("/sso?code=", landing.OriginalString);
        return await (await _anon.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = Param(landing, "code") })).Json(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheProvidersAreListedForAnyone()
    {
        var providers = await _anon.GetJson("/api/auth/providers");
        Assert.Equal(["Corp", "Local SSO"], providers.EnumerateArray().Select(p => p.GetProperty("displayName").GetString()!).ToArray());
        Assert.Equal(["corp", "local"], providers.EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray());
    }

    [Fact]
    public async Task TheAuthConfigSaysPasswordsWorkAndListsTheProviders()
    {
        var config = await _anon.GetJson("/api/auth/config");
        Assert.True(config.GetProperty("passwordSignIn").GetBoolean());
        Assert.Equal(["corp", "local"], config.GetProperty("providers").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(["Corp", "Local SSO"], config.GetProperty("providers").EnumerateArray().Select(p => p.GetProperty("displayName").GetString()!).ToArray());
    }

    [Fact]
    public async Task AFirstSignInWithAVerifiedEmailMakesTheAccountAndTheCodeBuysOurTokensOnce()
    {
        var email = Email();
        var landing = await app.SignInAsync("local", email);
        Assert.DoesNotContain("accessToken", landing.OriginalString);

        var tokens = await ExchangeAsync(landing);
        var me = await app.ClientWithToken(tokens.GetProperty("accessToken").GetString()!).GetJson("/api/me");
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.False(string.IsNullOrEmpty(tokens.GetProperty("refreshToken").GetString()));
        // The code is single use.
        await (await _anon.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = Param(landing, "code") })).AssertProblem(HttpStatusCode.Unauthorized);

        // The next sign-in finds the same account through the link.
        var again = await ExchangeAsync(await app.SignInAsync("local", email));
        Assert.Equal(me.GetProperty("id").GetGuid(), again.GetProperty("user").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task AnUnverifiedEmailNeitherMakesAnAccountNorFindsOne()
    {
        var fresh = await app.SignInAsync("local", Email(prefix: "unverified"));
        Assert.Equal("/login?ssoError=unverified", fresh.OriginalString);

        // An account with that very address exists: still no link, not even the offer of one.
        var email = Email(prefix: "unverified");
        await (await _anon.PostAsJsonAsync("/api/auth/register", new { email, password = "s3cret-pass", displayName = "Victim" })).Json(HttpStatusCode.Created);
        Assert.Equal("/login?ssoError=unverified", (await app.SignInAsync("local", email)).OriginalString);
    }

    [Fact]
    public async Task AnExistingAccountIsLinkedOnlyAfterItsPasswordConfirmsIt()
    {
        var ada = await app.SignUpAsync(email: Email());
        var landing = await app.SignInAsync("local", ada.Email);
        Assert.StartsWith("/sso?link=", landing.OriginalString);
        Assert.Equal("local", Param(landing, "provider"));
        var link = Param(landing, "link");

        // A link code is not a sign-in code, and a wrong password neither links nor signs in.
        await (await _anon.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = link })).AssertProblem(HttpStatusCode.Unauthorized);
        await (await _anon.PostAsJsonAsync("/api/auth/oidc/link", new { code = link, password = "wrong-pass-1" })).AssertFieldError("password");
        Assert.StartsWith("/sso?link=", (await app.SignInAsync("local", ada.Email)).OriginalString); // still not linked

        var tokens = await (await _anon.PostAsJsonAsync("/api/auth/oidc/link", new { code = link, password = ada.Password })).Json(HttpStatusCode.OK);
        Assert.Equal(ada.Id, tokens.GetProperty("user").GetProperty("id").GetGuid());
        await (await _anon.PostAsJsonAsync("/api/auth/oidc/link", new { code = link, password = ada.Password })).AssertProblem(HttpStatusCode.Unauthorized);

        // Linked now: the provider signs Ada straight in.
        var next = await ExchangeAsync(await app.SignInAsync("local", ada.Email));
        Assert.Equal(ada.Id, next.GetProperty("user").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task AllowedDomainsDecideWhoMaySignInThroughAProvider()
    {
        Assert.Equal("/login?ssoError=domain", (await app.SignInAsync("corp", Email("example.com"))).OriginalString);
        Assert.Equal("/login?ssoError=domain", (await app.SignInAsync("corp", Email("corp.example.com.evil.test"))).OriginalString);
        var insider = Email("corp.example.com");
        var tokens = await ExchangeAsync(await app.SignInAsync("corp", insider));
        Assert.Equal(insider, tokens.GetProperty("user").GetProperty("email").GetString());
    }

    [Fact]
    public async Task ATamperedStateIsRefused()
    {
        var (browser, callback) = await app.ToCallbackAsync("local", Email());
        var query = QueryHelpers.ParseQuery(callback.Query).ToDictionary(q => q.Key, q => q.Value.ToString());
        var state = query["state"];
        query["state"] = state[..^4] + (state[^4] == 'A' ? "B" : "A") + state[^3..];

        var done = await browser.GetAsync(QueryHelpers.AddQueryString(callback.AbsolutePath, query!));

        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/login?ssoError=failed", done.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ACallbackCannotBeReplayed()
    {
        var (browser, callback) = await app.ToCallbackAsync("local", Email());
        var first = await browser.GetAsync(callback.PathAndQuery);
        Assert.StartsWith("/sso?code=", first.Headers.Location!.OriginalString);

        var replay = await browser.GetAsync(callback.PathAndQuery);
        Assert.Equal("/login?ssoError=failed", replay.Headers.Location!.OriginalString);
        // Nor from another browser (no correlation cookie, no nonce cookie).
        var other = await app.Browser().GetAsync(callback.PathAndQuery);
        Assert.Equal("/login?ssoError=failed", other.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task WithTwoFactorOnTheCodeLeadsToTheSecondStep()
    {
        var email = Email();
        var tokens = await ExchangeAsync(await app.SignInAsync("local", email));
        var user = new TestUser(tokens.GetProperty("user").GetProperty("id").GetGuid(), email, "", app.ClientWithToken(tokens.GetProperty("accessToken").GetString()!),
            tokens.GetProperty("accessToken").GetString()!, tokens.GetProperty("refreshToken").GetString()!);
        var (secret, _) = await app.EnrolAsync(user);

        var second = await ExchangeAsync(await app.SignInAsync("local", email));
        Assert.True(second.GetProperty("mfaRequired").GetBoolean());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("accessToken").ValueKind);
        await (await _anon.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken = second.GetProperty("mfaToken").GetString(), code = app.Code(secret) })).Json(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnUnknownProviderIsNotFound() =>
        Assert.Equal(HttpStatusCode.NotFound, (await app.Browser().GetAsync("/api/auth/oidc/nope/start")).StatusCode);
}

/// <summary>"SSO only": password sign-up, log-in and reset are off; a provider is configured.</summary>
public sealed class SsoOnlyApplication : SqliteApplication
{
    public OidcProvider Idp { get; private set; } = null!;

    public SsoOnlyApplication() => Settings["Auth:PasswordSignIn"] = "false";

    public override async Task InitializeAsync()
    {
        Idp = await OidcProvider.StartAsync(["http://localhost/api/auth/oidc/local/callback"]);
        Settings["Auth:Oidc:local:Authority"] = Idp.Issuer;
        Settings["Auth:Oidc:local:ClientId"] = OidcProvider.ClientId;
        Settings["Auth:Oidc:local:ClientSecret"] = OidcProvider.ClientSecret;
        Settings["Auth:Oidc:local:DisplayName"] = "Local SSO";
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Idp.DisposeAsync();
    }
}

public sealed class SsoOnlyTests(SsoOnlyApplication app) : IClassFixture<SsoOnlyApplication>
{
    private static async Task AssertSsoOnly(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        await response.AssertProblem(HttpStatusCode.Forbidden);
        Assert.Contains("single sign-on", JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PasswordSignInIsTurnedOff()
    {
        var anon = app.CreateClient();
        await AssertSsoOnly(await anon.PostAsJsonAsync("/api/auth/register", new { email = "a@example.com", password = "s3cret-pass", displayName = "A" }));
        await AssertSsoOnly(await anon.PostAsJsonAsync("/api/auth/login", new { email = "a@example.com", password = "s3cret-pass" }));
        await AssertSsoOnly(await anon.PostAsJsonAsync("/api/auth/forgot", new { email = "a@example.com" }));
        await AssertSsoOnly(await anon.PostAsJsonAsync("/api/auth/reset", new { token = "x", newPassword = "s3cret-pass" }));
    }

    [Fact]
    public async Task TheAuthConfigTellsTheWebAppToOfferOnlyTheProviders()
    {
        var config = await app.CreateClient().GetJson("/api/auth/config");
        Assert.False(config.GetProperty("passwordSignIn").GetBoolean());
        Assert.Equal(["local"], config.GetProperty("providers").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray());
    }

    [Fact]
    public async Task SigningInWithTheProviderStillWorks()
    {
        var email = $"sso-only-{Guid.NewGuid():N}@example.com";
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var start = await browser.GetAsync("/api/auth/oidc/local/start");
        var callback = await app.Idp.LogInAsync(start.Headers.Location!, email);
        var landing = (await browser.GetAsync(callback.PathAndQuery)).Headers.Location!;
        Assert.StartsWith("/sso?code=", landing.OriginalString);
        var code = QueryHelpers.ParseQuery(landing.OriginalString[(landing.OriginalString.IndexOf('?') + 1)..])["code"].ToString();
        var tokens = await (await app.CreateClient().PostAsJsonAsync("/api/auth/oidc/exchange", new { code })).Json(HttpStatusCode.OK);
        Assert.Equal(email, tokens.GetProperty("user").GetProperty("email").GetString());
    }
}
