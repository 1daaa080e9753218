using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using OtpNet;
using TaskHub.Tests.Infrastructure;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// The server with one OpenID Connect provider, <c>local</c> ("Local SSO"): the test provider (tools/oidc), started the
/// way the API tests start it (<see cref="OidcProvider"/>), its redirect URI this server's callback.
/// </summary>
public class SsoServerFixture : ServerFixture
{
    public OidcProvider Idp { get; private set; } = null!;

    protected override async Task ConfigureAsync(IDictionary<string, string?> environment)
    {
        Idp = await OidcProvider.StartAsync([$"{BaseUrl}/api/auth/oidc/local/callback"]);
        environment["Auth__Oidc__local__Authority"] = Idp.Issuer;
        environment["Auth__Oidc__local__ClientId"] = OidcProvider.ClientId;
        environment["Auth__Oidc__local__ClientSecret"] = OidcProvider.ClientSecret;
        environment["Auth__Oidc__local__DisplayName"] = "Local SSO";
    }

    /// <summary>
    /// One sign-in over HTTP before the class's tests: the server's first discovery and pushed authorization request, the
    /// provider's first pages (a Node process rendering them) and the first code exchange. A class's first browser
    /// sign-in paid for all of it and, on a loaded CI machine, timed out at 30 s (three fresh-clone runs so far).
    /// </summary>
    protected override async Task StartedAsync()
    {
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new System.Net.CookieContainer() })
        {
            BaseAddress = new Uri(BaseUrl),
            Timeout = TimeSpan.FromSeconds(90),
        };
        var start = await browser.GetAsync("/api/auth/oidc/local/start");
        var callback = await Idp.LogInAsync(start.Headers.Location ?? throw new InvalidOperationException($"the sign-in's start answered {(int)start.StatusCode}"),
            ApiClient.NewEmail("sso-warm-up"));
        var landing = await browser.GetAsync(callback.PathAndQuery);
        if (landing.Headers.Location is null) throw new InvalidOperationException($"the sign-in's callback answered {(int)landing.StatusCode}");
    }

    protected override async ValueTask StopExtrasAsync()
    {
        if (Idp is not null) await Idp.DisposeAsync();
    }
}

/// <summary>The same with password sign-in turned off ("SSO only").</summary>
public sealed class SsoOnlyServerFixture : SsoServerFixture
{
    protected override async Task ConfigureAsync(IDictionary<string, string?> environment)
    {
        await base.ConfigureAsync(environment);
        environment["Auth__PasswordSignIn"] = "false";
    }
}

/// <summary>Steps at the provider and around it.</summary>
public static class Sso
{
    public static async Task<(IBrowserContext, IPage)> NewPage(ServerFixture server)
    {
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        // The test provider's own pages import a web font from another host. This machine reaches no such host, and a
        // connection that hangs instead of being refused held the page's load event past the timeout (two fresh-clone
        // runs). The browser stays on loopback: anything else is refused at once.
        await ctx.RouteAsync(url => !IsLoopback(url), route => route.AbortAsync());
        var page = await ctx.NewPageAsync();
        // 30 s: a class's first sign-in is the provider's first (a Node process rendering its first pages), and on a shared
        // CI machine under the suite's load that once took over 15 s (a fresh-clone run; alone, it passed three times).
        page.SetDefaultTimeout(30_000);
        return (ctx, page);
    }

    private static bool IsLoopback(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.IsLoopback || uri.Scheme is "data" or "blob" or "about");

    /// <summary>
    /// From TaskHub's sign-in page: the provider's button, then the provider's own pages (its login form — any password —
    /// and its consent page if it shows one), back to TaskHub. A browser still signed in at the provider goes straight back.
    /// </summary>
    public static async Task SignInAtProvider(IPage page, SsoServerFixture server, string login)
    {
        bool BackHome(string u) => u.StartsWith(server.BaseUrl, StringComparison.Ordinal) && !u.Contains("/api/auth/", StringComparison.Ordinal);
        bool AtProviderPage(string u) => u.StartsWith(server.Idp.Issuer + "/interaction/", StringComparison.Ordinal);
        // The page the link is on is "home" too: wait until the click has left it (else, on a slow machine, the wait
        // below matched the sign-in page itself before the browser navigated, and the provider's form was never filled).
        var from = page.Url;
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Local SSO" }).ClickAsync();
        await page.WaitForURLAsync(u => u != from && (AtProviderPage(u) || BackHome(u)));
        if (AtProviderPage(page.Url))
        {
            var loginPage = page.Url;
            await page.Locator("input[name=login]").FillAsync(login);
            await page.Locator("input[name=password]").FillAsync("anything");
            await page.Locator("button[type=submit]").ClickAsync();
            await page.WaitForURLAsync(u => (AtProviderPage(u) && u != loginPage) || BackHome(u));
            // A consent page, if the provider asks (this test provider grants first-party scopes without one).
            if (AtProviderPage(page.Url)) await page.Locator("button[type=submit]").ClickAsync();
        }
        await page.WaitForURLAsync(BackHome);
    }

    public static async Task ExpectBoards(IPage page) =>
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
}

/// <summary>Signing in through the provider in a real browser: the whole authorization-code flow, start to boards.</summary>
public sealed class SingleSignOnTests(SsoServerFixture server) : IClassFixture<SsoServerFixture>
{
    [Fact]
    public async Task Signing_in_with_the_provider_lands_on_the_boards_signed_in()
    {
        var email = ApiClient.NewEmail("sso-browser");
        var (ctx, page) = await Sso.NewPage(server);
        try
        {
            await page.GotoAsync("/login");
            // Passwords work here too: the form is offered beside the provider.
            await Assertions.Expect(page.GetByLabel("Password")).ToBeVisibleAsync(Visible);
            await Sso.SignInAtProvider(page, server, email);
            await Sso.ExpectBoards(page);
            Assert.DoesNotContain("code=", page.Url, StringComparison.Ordinal); // the one-time code left the address bar
            // Signed in as the provider's account: the API agrees.
            var me = await page.EvaluateAsync<string>(
                "async () => { const s = JSON.parse(localStorage.getItem('taskhub.session')); const r = await fetch('/api/me', { headers: { Authorization: 'Bearer ' + s.accessToken } }); return (await r.json()).email; }");
            Assert.Equal(email, me);
        }
        finally { await ctx.CloseAsync(); }
    }

    /// <summary>
    /// The issue's "done when", in one browser: sign in with the provider, turn two-factor sign-in on (the key read from
    /// the page, the code computed as an authenticator app would), sign out and in again with a code, reset a forgotten
    /// password from the emailed link, and sign out another session from Settings.
    /// </summary>
    [Fact]
    public async Task Provider_sign_in_then_two_factor_a_password_reset_and_signing_out_another_session()
    {
        var email = ApiClient.NewEmail("journey");
        var (ctx, page) = await Sso.NewPage(server);
        try
        {
            await page.GotoAsync("/login");
            await Sso.SignInAtProvider(page, server, email);
            await Sso.ExpectBoards(page);

            // Two-factor sign-in on, from Settings.
            await page.GetByRole(AriaRole.Link, new() { Name = "Settings", Exact = true }).ClickAsync();
            var twoFactor = page.Locator("section[aria-labelledby=twofa-title]");
            await twoFactor.GetByRole(AriaRole.Button, new() { Name = "Set up" }).ClickAsync();
            var secret = (await page.GetByLabel("Secret key").InnerTextAsync()).Trim();
            var totp = new Totp(Base32Encoding.ToBytes(secret));
            await twoFactor.GetByLabel("Code", new() { Exact = true }).FillAsync(totp.ComputeTotp(DateTime.UtcNow));
            await twoFactor.GetByRole(AriaRole.Button, new() { Name = "Turn on" }).ClickAsync();
            var recovery = page.GetByRole(AriaRole.List, new() { Name = "Recovery codes" }).Locator("code");
            await Assertions.Expect(recovery).ToHaveCountAsync(10);
            var recoveryCodes = (await recovery.AllInnerTextsAsync()).Select(c => c.Trim()).ToList();
            await page.GetByRole(AriaRole.Button, new() { Name = "I have saved them" }).ClickAsync();

            // Out, and in again with the provider: now it asks for a code. The code of the next step (an app a few
            // seconds ahead), as the one used to turn it on cannot be used again.
            await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/login"));
            await Sso.SignInAtProvider(page, server, email);
            var mfaStep = page.GetByRole(AriaRole.Form, new() { Name = "Two-factor code" });
            await Assertions.Expect(mfaStep).ToBeVisibleAsync(Visible);
            await mfaStep.GetByLabel("Code", new() { Exact = true }).FillAsync(totp.ComputeTotp(DateTime.UtcNow.AddSeconds(30)));
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
            await Sso.ExpectBoards(page);

            // A forgotten password: the link from the email, a new password, every session ended.
            await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Forgot password?" }).ClickAsync();
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByRole(AriaRole.Button, new() { Name = "Email me a reset link" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "reset link is on its way" })).ToBeVisibleAsync(Visible);
            var link = await EmailLinkAsync(email, @"https?://\S+/reset-password\?token=[A-Za-z0-9_-]+");
            await page.GotoAsync(link);
            const string newPassword = "Brand-new-pass-42";
            await page.GetByLabel("New password").FillAsync(newPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/login"));

            // In with the new password and a recovery code (the app's codes of these steps are spent).
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(newPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Use a recovery code" }).ClickAsync();
            await page.GetByLabel("Recovery code").FillAsync(recoveryCodes[0]);
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
            await Sso.ExpectBoards(page);

            // Another session (a second device, through the API), signed out from Settings: its token stops working.
            using var other = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
            other.DefaultRequestHeaders.UserAgent.ParseAdd("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1");
            var first = await (await other.PostAsJsonAsync("/api/auth/login", new { email, password = newPassword })).Content.ReadFromJsonAsync<JsonObject>();
            var second = await other.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken = first!["mfaToken"]!.GetValue<string>(), recoveryCode = recoveryCodes[1] });
            second.EnsureSuccessStatusCode();
            var otherToken = (await second.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!.GetValue<string>();
            other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", otherToken);
            Assert.True((await other.GetAsync("/api/me")).IsSuccessStatusCode);

            await page.GetByRole(AriaRole.Link, new() { Name = "Settings", Exact = true }).ClickAsync();
            var sessions = page.GetByRole(AriaRole.List, new() { Name = "Sessions" });
            await Assertions.Expect(sessions.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
            await sessions.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Sign out ") }).ClickAsync();
            await Assertions.Expect(sessions.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await other.GetAsync("/api/me")).StatusCode);
            // This device is still signed in.
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions" })).ToBeVisibleAsync(Visible);
        }
        finally { await ctx.CloseAsync(); }
    }
}

/// <summary>"SSO only": the sign-in page offers the provider and nothing else, and the provider signs people in.</summary>
public sealed class SsoOnlyTests(SsoOnlyServerFixture server) : IClassFixture<SsoOnlyServerFixture>
{
    [Fact]
    public async Task The_sign_in_page_shows_only_the_provider_which_signs_people_in()
    {
        var (ctx, page) = await Sso.NewPage(server);
        try
        {
            foreach (var path in new[] { "/login", "/signup" })
            {
                await page.GotoAsync(path);
                await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sign in with Local SSO" })).ToBeVisibleAsync(Visible);
                await Assertions.Expect(page.GetByLabel("Password")).ToHaveCountAsync(0);
                await Assertions.Expect(page.GetByLabel("Email")).ToHaveCountAsync(0);
                await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Create an account" })).ToHaveCountAsync(0);
                await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Forgot password?" })).ToHaveCountAsync(0);
                await Assertions.Expect(page.GetByText("or", new() { Exact = true })).ToHaveCountAsync(0);
            }
            await AssertAccessible(page.Locator(".auth-card"), "the SSO-only sign-in page");

            await Sso.SignInAtProvider(page, server, ApiClient.NewEmail("sso-only"));
            await Sso.ExpectBoards(page);
        }
        finally { await ctx.CloseAsync(); }
    }
}
