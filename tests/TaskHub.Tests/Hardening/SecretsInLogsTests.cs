using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TaskHub.Tests.Infrastructure;

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
