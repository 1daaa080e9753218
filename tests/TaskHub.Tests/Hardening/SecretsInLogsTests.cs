using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Auth;

namespace TaskHub.Tests.Hardening;

/// <summary>Keeps every log line the server writes (at the levels the app's own configuration allows, and Information for TaskHub).</summary>
public sealed class LogCapturingApplication : SqliteApplication
{
    public ConcurrentQueue<string> Lines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Logging:LogLevel:Default", "Information");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Information");
        builder.ConfigureTestServices(s => s.AddSingleton<ILoggerProvider>(new CaptureProvider(Lines)));
    }

    /// <summary>Captures everything into <paramref name="lines"/> (for other fixtures that keep the log).</summary>
    public static void CaptureInto(IWebHostBuilder builder, ConcurrentQueue<string> lines)
    {
        builder.UseSetting("Logging:LogLevel:Default", "Information");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Information");
        builder.ConfigureTestServices(s => s.AddSingleton<ILoggerProvider>(new CaptureProvider(lines)));
    }

    private sealed class CaptureProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string category) => new Capture(category, lines);
        public void Dispose() { }
    }

    private sealed class Capture(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {state} {exception}");
    }
}

public sealed class SecretsInLogsTests(LogCapturingApplication app) : IClassFixture<LogCapturingApplication>
{
    [Fact]
    public async Task PasswordsAndTokensNeverReachTheLogs()
    {
        var ada = await app.SignUpAsync();
        var anon = app.CreateClient();
        await anon.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = "wrong-but-secret-1" });
        var rotated = await (await anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken })).Json(HttpStatusCode.OK);
        await anon.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken }); // reuse: revokes the family
        await anon.GetAsync($"/hubs/board/negotiate?negotiateVersion=1&access_token={ada.AccessToken}");
        await app.ClientWithToken(rotated.GetProperty("accessToken").GetString()!).GetAsync("/api/me");
        await ada.Client.Patch("/api/me", new { currentPassword = ada.Password, newPassword = "another-secret-2" });
        await anon.PostAsJsonAsync("/api/auth/register", new { email = "x@example.com", password = "short", displayName = "x" });
        var bob = await app.SignUpAsync(); // ada's session was revoked above
        var apiToken = (await (await bob.Client.PostAsJsonAsync("/api/me/tokens", new { name = "ci", scope = "read" })).Json(HttpStatusCode.Created)).GetProperty("token").GetString()!;
        await app.ClientWithToken(apiToken).GetAsync("/api/me");
        await anon.GetAsync($"/hubs/board/negotiate?negotiateVersion=1&access_token={apiToken}");

        var secrets = new[]
        {
            ada.Password, "wrong-but-secret-1", "another-secret-2", ada.RefreshToken, ada.AccessToken,
            rotated.GetProperty("refreshToken").GetString()!, rotated.GetProperty("accessToken").GetString()!, TaskHubApplication.SigningKey,
            apiToken,
        };
        var lines = app.Lines.ToList();
        Assert.True(lines.Count > 10, $"expected the server to log something, got {lines.Count} lines");
        foreach (var secret in secrets)
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.Ordinal));
    }
}

/// <summary>The identity flows (reset, two-factor, single sign-on through the real test provider) with every log line kept.</summary>
public sealed class IdentityLogCapturingApplication : TaskHub.Tests.Auth.SsoApplication
{
    public ConcurrentQueue<string> Lines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        LogCapturingApplication.CaptureInto(builder, Lines);
    }
}

public sealed class IdentitySecretsInLogsTests(IdentityLogCapturingApplication app) : IClassFixture<IdentityLogCapturingApplication>
{
    [Fact]
    public async Task ResetTokensCodesSecretsAndSsoCodesNeverReachTheLogs()
    {
        var anon = app.CreateClient();
        var secrets = new List<string>();

        // Password reset: the emailed token and the new password.
        var ada = await app.SignUpAsync(email: $"logs-{Guid.NewGuid():N}@example.com");
        var resetToken = await app.ResetTokenAsync(ada.Email);
        await anon.PostAsJsonAsync("/api/auth/reset", new { token = resetToken, newPassword = "short" });
        await (await anon.PostAsJsonAsync("/api/auth/reset", new { token = resetToken, newPassword = "reset-secret-9" })).Json(HttpStatusCode.NoContent);
        await anon.PostAsJsonAsync("/api/auth/reset", new { token = resetToken, newPassword = "reset-secret-9" }); // reused
        secrets.AddRange([resetToken, "reset-secret-9"]);

        // Two-factor: the secret, the codes, the recovery codes, the mfa token.
        var login = await app.LogInAsync(ada.Email, "reset-secret-9");
        var me = app.ClientWithToken(login.GetProperty("accessToken").GetString()!);
        var setup = await (await me.PostAsync("/api/me/2fa/setup", null)).Json(HttpStatusCode.OK);
        var secret = setup.GetProperty("secret").GetString()!;
        var enableCode = app.Code(secret);
        var recovery = (await (await me.PostAsJsonAsync("/api/me/2fa/enable", new { code = enableCode })).Json(HttpStatusCode.OK))
            .GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()!).ToList();
        app.TotpClock.Advance(TimeSpan.FromSeconds(30));
        var first = await (await anon.PostAsJsonAsync("/api/auth/login", new { email = ada.Email, password = "reset-secret-9" })).Json(HttpStatusCode.OK);
        var mfaToken = first.GetProperty("mfaToken").GetString()!;
        var loginCode = app.Code(secret);
        await anon.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken, code = "999999" == loginCode ? "999998" : "999999" });
        await (await anon.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken, code = loginCode })).Json(HttpStatusCode.OK);
        await anon.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken, code = loginCode }); // replayed
        await (await anon.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken, recoveryCode = recovery[0] })).Json(HttpStatusCode.OK);
        await anon.PostAsJsonAsync("/api/auth/login/2fa", new { mfaToken, recoveryCode = recovery[0] }); // used
        secrets.AddRange([secret, setup.GetProperty("otpauthUri").GetString()!, mfaToken, .. recovery]);

        // Single sign-on: the provider's code in the callback, our one-time code, the tokens it buys.
        var (browser, callback) = await app.ToCallbackAsync("local", $"logs-sso-{Guid.NewGuid():N}@example.com");
        var providerCode = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
        var landing = (await browser.GetAsync(callback.PathAndQuery)).Headers.Location!;
        var ssoCode = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(landing.OriginalString[landing.OriginalString.IndexOf('?')..])["code"].ToString();
        var tokens = await (await anon.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = ssoCode })).Json(HttpStatusCode.OK);
        await anon.PostAsJsonAsync("/api/auth/oidc/exchange", new { code = ssoCode }); // used
        secrets.AddRange([providerCode, ssoCode, tokens.GetProperty("accessToken").GetString()!, tokens.GetProperty("refreshToken").GetString()!, OidcProvider.ClientSecret]);

        var lines = app.Lines.ToList();
        Assert.True(lines.Count > 10, $"expected the server to log something, got {lines.Count} lines");
        Assert.All(secrets, s => Assert.False(string.IsNullOrEmpty(s)));
        foreach (var s in secrets)
            Assert.DoesNotContain(lines, l => l.Contains(s, StringComparison.Ordinal));
        // Six-digit codes, matched as whole numbers (trace ids are hex and may hold any run of digits).
        foreach (var code in new[] { enableCode, loginCode })
            Assert.DoesNotContain(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $"(?<![0-9a-fA-F]){code}(?![0-9a-fA-F])"));
    }
}
