using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

/// <summary>
/// Starts the real server (child process, SQLite temp file) and Debian's chromium once for all browser tests.
/// A subclass may add server settings (<see cref="ConfigureAsync"/>) and run something beside it (<see cref="StopExtrasAsync"/>).
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public string RepoRoot => TaskHub.Tests.Infrastructure.Repo.Root;
    public string BaseUrl { get; private set; } = "";
    public IBrowser Browser { get; private set; } = null!;
    /// <summary>The server's attachment limit here (small, so a test can go over it cheaply).</summary>
    public const long MaxAttachmentBytes = 2 * 1024 * 1024;
    /// <summary>The administrator who may open the jobs dashboard (/hangfire) and trigger a job by hand.</summary>
    public string AdminEmail { get; } = $"ops-{Guid.NewGuid():N}@example.com";
    public string ScreenshotDir => Path.Combine(RepoRoot, "artifacts", "screenshots");
    private IPlaywright? _playwright;
    private Process? _server;
    private string _tempDir = "";
    private readonly List<string> _serverLog = [];

    public async Task InitializeAsync()
    {
        var wwwIndex = Path.Combine(RepoRoot, "src", "TaskHub.Server", "wwwroot", "index.html");
        if (!File.Exists(wwwIndex))
            throw new InvalidOperationException($"The web app is not built: {wwwIndex} is missing. Run scripts/setup/20-web.sh (npm ci && npm run build in web/) first.");
        if (!File.Exists("/usr/bin/chromium"))
            throw new InvalidOperationException("/usr/bin/chromium is missing. Run scripts/setup/20-web.sh (installs Debian's chromium).");

        var dll = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(RepoRoot, "src", "TaskHub.Server", "bin", c, "net10.0", "TaskHub.Server.dll"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("TaskHub.Server.dll not found: build the solution first.");

        Directory.CreateDirectory(ScreenshotDir);
        _tempDir = Directory.CreateTempSubdirectory("taskhub-browser-").FullName;
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(BaseUrl);
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        psi.Environment["ASPNETCORE_CONTENTROOT"] = Path.Combine(RepoRoot, "src", "TaskHub.Server");
        psi.Environment["ConnectionStrings__Sqlite"] = $"Data Source={Path.Combine(_tempDir, "taskhub.db")}";
        psi.Environment["Jwt__SigningKey"] = RandomKey(48);
        psi.Environment["Auth__Limits__PerAddressPerMinute"] = "100000";
        psi.Environment["Auth__Limits__PerAccountPerMinute"] = "100000";
        psi.Environment["Email__PickupDirectory"] = Path.Combine(_tempDir, "mail");
        // invitation emails go to maildev (scripts/services.sh), with links to this server
        psi.Environment["Smtp__Host"] = "127.0.0.1";
        psi.Environment["Smtp__Port"] = "1025";
        psi.Environment["Smtp__UseTls"] = "false";
        psi.Environment["Email__PublicBaseUrl"] = BaseUrl;
        psi.Environment["Jobs__AdminEmails__0"] = AdminEmail;
        psi.Environment["Attachments__Directory"] = Path.Combine(_tempDir, "attachments");
        psi.Environment["Attachments__MaxBytes"] = MaxAttachmentBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ConfigureAsync(psi.Environment);
        _server = Process.Start(psi)!;
        _server.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_serverLog) _serverLog.Add(e.Data); };
        _server.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_serverLog) _serverLog.Add(e.Data); };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_server.HasExited)
                throw new InvalidOperationException("The server exited during start-up:\n" + ServerLog());
            try { if ((await http.GetAsync("/healthz")).IsSuccessStatusCode) break; } catch (HttpRequestException) { } catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The server did not answer /healthz within 90 s:\n" + ServerLog());
            await Task.Delay(250);
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        });
        await StartedAsync();
    }

    /// <summary>Runs once the server answers and the browser is up (a warm-up of what the class's first test would pay for).</summary>
    protected virtual Task StartedAsync() => Task.CompletedTask;

    /// <summary>More server settings (environment variables, <c>Section__Key</c>); <see cref="BaseUrl"/> is known by then.</summary>
    protected virtual Task ConfigureAsync(IDictionary<string, string?> environment) => Task.CompletedTask;

    /// <summary>Stops what <see cref="ConfigureAsync"/> started, after the server and the browser.</summary>
    protected virtual ValueTask StopExtrasAsync() => ValueTask.CompletedTask;

    public string ServerLog() { lock (_serverLog) return string.Join('\n', _serverLog.TakeLast(60)); }

    public async Task DisposeAsync()
    {
        if (Browser != null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server?.Dispose();
        await StopExtrasAsync();
        try { Directory.Delete(_tempDir, recursive: true); } catch { /* best effort */ }
    }

    public ApiClient Api() => new(BaseUrl);

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static string RandomKey(int n)
    {
        const string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return new string(Enumerable.Range(0, n).Select(_ => chars[RandomNumberGenerator.GetInt32(chars.Length)]).ToArray());
    }
}

[CollectionDefinition("browser")]
public sealed class BrowserCollection : ICollectionFixture<ServerFixture>;

/// <summary>A tiny REST client for arranging and checking state.</summary>
public sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;
    public string UserId { get; private set; } = "";
    public string Email { get; private set; } = "";
    public string AccessToken { get; private set; } = "";
    public const string Password = "Secret-pass-123";

    public ApiClient(string baseUrl) =>
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };

    public static string NewEmail(string who) => $"{who}-{Guid.NewGuid():N}@example.com";

    public async Task<ApiClient> RegisterAndLogin(string displayName, string? email = null)
    {
        Email = email ?? NewEmail(displayName.ToLowerInvariant().Replace(' ', '-'));
        (await _http.PostAsJsonAsync("/api/auth/register", new { email = Email, password = Password, displayName })).EnsureSuccessStatusCode();
        await Login(Email);
        return this;
    }

    public async Task Login(string email)
    {
        Email = email;
        var r = await _http.PostAsJsonAsync("/api/auth/login", new { email, password = Password });
        r.EnsureSuccessStatusCode();
        var body = (await r.Content.ReadFromJsonAsync<JsonObject>())!;
        AccessToken = body["accessToken"]!.GetValue<string>();
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        UserId = body["user"]!["id"]!.GetValue<string>();
    }

    public async Task<JsonObject> Send(HttpMethod method, string url, object? body = null, string? ifMatch = null)
    {
        using var req = new HttpRequestMessage(method, url);
        if (body != null) req.Content = JsonContent.Create(body);
        if (ifMatch != null) req.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        using var r = await _http.SendAsync(req);
        var text = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new HttpRequestException($"{method} {url} → {(int)r.StatusCode}: {text}");
        return string.IsNullOrEmpty(text) ? new JsonObject() : JsonNode.Parse(text) is JsonObject o ? o : new JsonObject { ["items"] = JsonNode.Parse(text) };
    }

    public async Task<string> CreateBoard(string name) => (await Send(HttpMethod.Post, "/api/boards", new { name }))["id"]!.GetValue<string>();
    public Task AddMember(string boardId, string email, string role) => Send(HttpMethod.Post, $"/api/boards/{boardId}/members", new { email, role });
    public async Task<JsonObject> CreateTask(string boardId, string title, string priority = "medium") =>
        await Send(HttpMethod.Post, $"/api/boards/{boardId}/tasks", new { title, priority });
    public Task<JsonObject> GetTask(string id) => Send(HttpMethod.Get, $"/api/tasks/{id}");
    public Task<JsonObject> PatchTask(string id, object body) => Send(HttpMethod.Patch, $"/api/tasks/{id}", body);
    public async Task<JsonArray> Tasks(string boardId) => (JsonArray)(await Send(HttpMethod.Get, $"/api/boards/{boardId}/tasks"))["items"]!;

    /// <summary>The inbox's unread count (the <c>X-Unread-Count</c> header of <c>GET /api/me/notifications</c>).</summary>
    public async Task<int> UnreadCount()
    {
        using var r = await _http.GetAsync("/api/me/notifications");
        r.EnsureSuccessStatusCode();
        return int.Parse(r.Headers.GetValues("X-Unread-Count").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _http.Dispose();
}
