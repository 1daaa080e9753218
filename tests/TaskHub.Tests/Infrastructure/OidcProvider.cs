using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace TaskHub.Tests.Infrastructure;

/// <summary>
/// The test OpenID Connect provider (tools/oidc/server.mjs, npm oidc-provider) as a child process on 127.0.0.1,
/// started by the fixture and stopped by its PID. Any login works at it; the login is the account's email
/// (verified unless it starts with "unverified").
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "taskhub-tests";
    public const string ClientSecret = "taskhub-tests-secret-0123456789";
    private readonly Process _process;

    public int Port { get; }
    public string Issuer => $"http://127.0.0.1:{Port}";

    private OidcProvider(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <param name="redirectUris">The callback URLs the client may use (one per provider name and server address).</param>
    public static async Task<OidcProvider> StartAsync(IEnumerable<string> redirectUris)
    {
        var dir = Path.Combine(Repo.Root, "tools", "oidc");
        if (!File.Exists(Path.Combine(dir, "node_modules", "oidc-provider", "package.json")))
            throw new InvalidOperationException("The test OIDC provider is not installed: run scripts/setup/30-oidc.sh (scripts/test.sh does).");
        var port = FreePort();
        var start = new ProcessStartInfo("node", "server.mjs")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["OIDC_PORT"] = port.ToString();
        start.Environment["OIDC_CLIENT_ID"] = ClientId;
        start.Environment["OIDC_CLIENT_SECRET"] = ClientSecret;
        start.Environment["OIDC_REDIRECT_URIS"] = string.Join(",", redirectUris);
        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => { if (e.Data?.Contains("listening", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        process.ErrorDataReceived += (_, _) => { };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"the OIDC provider exited with {process.ExitCode}"));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var provider = new OidcProvider(process, port);
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
        {
            await provider.DisposeAsync();
            throw new TimeoutException("The OIDC provider did not start within 30 s.");
        }
        await ready.Task;
        return provider;
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>
    /// Plays the browser at the provider: from the authorization URL through the login form (any password) to the
    /// redirect back to the client; returns that callback URL.
    /// </summary>
    public async Task<Uri> LogInAsync(Uri authorizeUrl, string login)
    {
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() });
        var next = authorizeUrl;
        for (var hop = 0; hop < 10; hop++)
        {
            var response = await browser.GetAsync(next);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var html = await response.Content.ReadAsStringAsync();
                var action = Regex.Match(html, "<form[^>]*action=\"([^\"]+)\"").Groups[1].Value;
                Assert.False(string.IsNullOrEmpty(action), $"no form at the provider: {html}");
                response = await browser.PostAsync(new Uri(next, WebUtility.HtmlDecode(action)), new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["prompt"] = "login", ["login"] = login, ["password"] = "anything",
                }));
            }
            var location = response.Headers.Location ?? throw new InvalidOperationException($"the provider answered {(int)response.StatusCode} without a redirect");
            next = location.IsAbsoluteUri ? location : new Uri(next, location);
            if (next.Port != Port) return next; // back to the client
        }
        throw new InvalidOperationException("too many redirects at the provider");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { } // it already exited
        _process.Dispose();
    }
}
