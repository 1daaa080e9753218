using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace TaskHub.FeatureBench;

public static class Knobs
{
    public static string S(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
    public static int I(string name, int fallback) => int.Parse(S(name, fallback.ToString()));
    public static string App => S("BENCH_APP", "");
    public static string Out => S("BENCH_OUT", Path.GetTempPath());
    public static int Port => I("BENCH_FEAT_PORT", 5609);
    public static string MySqlAdmin => "Server=127.0.0.1;Port=3306;User ID=taskhub;Password=taskhub";
    public static string MySql(string db) => $"Server=127.0.0.1;Port=3306;Database={db};User ID=taskhub;Password=taskhub";
}

public static class Stats
{
    public static double Pct(IEnumerable<double> xs, double q)
    {
        var s = xs.OrderBy(x => x).ToList();
        if (s.Count == 0) return double.NaN;
        return s[Math.Clamp((int)Math.Ceiling(q * s.Count) - 1, 0, s.Count - 1)];
    }
    public static double Median(IEnumerable<double> xs) => Pct(xs, 0.5);
    public static double Ms(long fromTicks, long toTicks) => (toTicks - fromTicks) * 1000.0 / Stopwatch.Frequency;
}

/// <summary>The server under test: the published TaskHub.Server as a child process with a PID file, stopped with SIGTERM by its PID.</summary>
public sealed class Server(string? app = null, int? port = null, string name = "feature-server")
{
    Process? _p;
    readonly string _app = app ?? Knobs.App;
    readonly string _pidFile = Path.Combine(Knobs.Out, $"{name}.pid");
    public string Url { get; } = $"http://127.0.0.1:{port ?? Knobs.Port}";
    public int Pid => _p?.Id ?? 0;
    public double StartupSeconds { get; private set; }
    public static readonly string JwtKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));

    /// <summary>Settings every mode shares; a mode adds its own (null removes an inherited variable).</summary>
    public static Dictionary<string, string?> BaseEnv() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_URLS"] = null,
        ["DOTNET_gcServer"] = "1",
        ["Jwt__SigningKey"] = JwtKey,
        ["Jwt__AccessTokenMinutes"] = "1440",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Auth__Limits__PerAddressPerMinute"] = "100000",
        ["Auth__Limits__PerAccountPerMinute"] = "100000",
        ["Realtime__HeadIntervalSeconds"] = "3600",
        ["Jobs__ServerEnabled"] = "false",
        ["ConnectionStrings__Redis"] = null,
        ["ConnectionStrings__MySql"] = null,
        ["ConnectionStrings__Sqlite"] = null,
        ["DynamoDb__ServiceUrl"] = null,
        ["EventBridge__BusName"] = null,
        ["Smtp__Host"] = null,
        ["Email__Transport"] = null,
        ["Email__PickupDirectory"] = Path.Combine(Knobs.Out, "feature-mail"),
        ["Attachments__S3Bucket"] = null,
        ["Attachments__Directory"] = Path.Combine(Knobs.Out, "feature-attachments"),
    };

    static ProcessStartInfo Info(Dictionary<string, string?> env, params string[] args) => Info(Knobs.App, env, args);

    static ProcessStartInfo Info(string app, Dictionary<string, string?> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env)
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        return psi;
    }

    public static async Task MigrateAsync(Dictionary<string, string?> env)
    {
        using var p = Process.Start(Info(env, "TaskHub.Server.dll", "migrate"))!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new Exception($"migrate failed: {await o}{await e}");
    }

    public async Task StartAsync(Dictionary<string, string?> env)
    {
        var t0 = Stopwatch.GetTimestamp();
        var p = Process.Start(Info(_app, env, "TaskHub.Server.dll", "--urls", Url))!;
        _p = p;
        File.WriteAllText(_pidFile, p.Id.ToString());
        var log = File.AppendText(Path.Combine(Knobs.Out, $"{name}.log"));
        log.AutoFlush = true;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 900; i++)
        {
            if (p.HasExited) throw new Exception($"server exited with {p.ExitCode}: see {Knobs.Out}/{name}.log");
            try
            {
                if ((await http.GetAsync($"{Url}/readyz")).IsSuccessStatusCode)
                {
                    StartupSeconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new Exception("server did not become ready in 90 s");
    }

    /// <summary>Resident set size of the server process, bytes (/proc/PID/status VmRSS).</summary>
    public long Rss()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
                if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { }
        return 0;
    }

    public double CpuSeconds()
    {
        var f = File.ReadAllText($"/proc/{Pid}/stat");
        var parts = f[(f.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(parts[11]) + double.Parse(parts[12])) / 100.0;
    }

    public async Task StopAsync()
    {
        var p = _p;
        if (p is null) return;
        if (!p.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await p.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { p.Kill(); p.WaitForExit(); }
        }
        p.Dispose();
        _p = null;
        File.Delete(_pidFile);
    }
}

/// <summary>A few API calls with a bearer token.</summary>
public sealed class Api(HttpClient http)
{
    public HttpClient Http => http;
    const string Password = "Bench-Passw0rd!";
    static readonly string Run = DateTime.UtcNow.ToString("HHmmss");

    public static HttpClient Client(string url) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(30) }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(300) };

    public static string Email(string name) => $"{name}-{Run}@bench.example";

    public async Task<(string Token, Guid Id)> UserAsync(string name)
    {
        var email = Email(name);
        (await http.PostAsJsonAsync("/api/auth/register", new { email, password = Password, displayName = name })).EnsureSuccessStatusCode();
        var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        var me = await SendAsync(HttpMethod.Get, "/api/me", token);
        return (token, me.GetProperty("id").GetGuid());
    }

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var req = new HttpRequestMessage(method, path);
        if (body is not null) req.Content = JsonContent.Create(body);
        req.Headers.Authorization = new("Bearer", token);
        using var resp = await http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        if (!resp.IsSuccessStatusCode) throw new Exception($"{method} {path}: {(int)resp.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<Guid> BoardAsync(string token, string name, params string[] memberNames)
    {
        var id = (await SendAsync(HttpMethod.Post, "/api/boards", token, new { name })).GetProperty("id").GetGuid();
        foreach (var m in memberNames) await SendAsync(HttpMethod.Post, $"/api/boards/{id}/members", token, new { email = Email(m), role = "member" });
        return id;
    }

    public async Task<Guid> TaskAsync(string token, Guid board, string title, string? description = null) =>
        (await SendAsync(HttpMethod.Post, $"/api/boards/{board}/tasks", token, new { title, description })).GetProperty("id").GetGuid();
}
