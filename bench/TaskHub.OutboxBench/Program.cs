// TaskHub outbox drain benchmark: one published replica on MariaDB, SMTP pointed at a sink in this process that
// timestamps every message it receives. Queues N changes (task creations by one person, each assigned to a
// colleague), then measures how fast the outbox drains and how long each change takes to reach the sink as email.
// Run it through bench/outbox.sh (it publishes the server and builds this); knobs are in bench/README.md.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace TaskHub.OutboxBench;

public static partial class Program
{
    static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
    public static readonly double TicksPerMs = Stopwatch.Frequency / 1000.0;

    public static async Task<int> Main()
    {
        var app = Env("BENCH_APP", "");
        if (!File.Exists(Path.Combine(app, "TaskHub.Server.dll"))) { Console.Error.WriteLine("BENCH_APP must be the published server directory"); return 2; }
        var o = new Options
        {
            App = app,
            OutDir = Env("BENCH_OUT", Path.GetTempPath()),
            Changes = int.Parse(Env("BENCH_OUTBOX_CHANGES", "10000")),
            Boards = int.Parse(Env("BENCH_OUTBOX_BOARDS", "10")),
            Writers = int.Parse(Env("BENCH_OUTBOX_WRITERS", "16")),
            Port = int.Parse(Env("BENCH_OUTBOX_PORT", "5509")),
            SmtpPort = int.Parse(Env("BENCH_OUTBOX_SMTP_PORT", "5525")),
            SmtpTo = int.Parse(Env("BENCH_OUTBOX_SMTP_TO", Env("BENCH_OUTBOX_SMTP_PORT", "5525"))),
            Database = Env("BENCH_OUTBOX_DB", "taskhub_outbench"),
            TimeoutSeconds = int.Parse(Env("BENCH_OUTBOX_TIMEOUT", "900")),
        };
        var configs = Env("BENCH_OUTBOX_CONFIGS", "0,2").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(RunConfig.Parse).ToList();
        Console.WriteLine($"TaskHub outbox bench {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{o.Changes} changes (task creations by one user, assigned to another, on {o.Boards} boards, {o.Writers} writers in flight); configs: {string.Join(", ", configs)}");

        using var sink = new SmtpSink(o.SmtpPort);
        sink.Start();
        var results = new List<Result>();
        foreach (var c in configs)
        {
            try
            {
                results.Add(await new Run(o, c, sink).ExecuteAsync());
            }
            finally
            {
                Replica.StopCurrent();
            }
        }
        Report(results);
        return 0;
    }

    static double Pct(List<double> xs, double q)
    {
        if (xs.Count == 0) return double.NaN;
        var s = xs.OrderBy(x => x).ToList();
        return s[Math.Clamp((int)Math.Ceiling(q * s.Count) - 1, 0, s.Count - 1)];
    }

    static void Report(List<Result> rs)
    {
        Console.WriteLine();
        Console.WriteLine("| config | changes | writes/s | REST write p50/p99 ms | emails | emails/change | outbox msgs | drain s | outbox msgs/s | emails/s | wait p50/p99 s | commit→email p50/p99 s | CPU ms/change | unmatched | dead |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rs)
            Console.WriteLine($"| {r.Config} | {r.Changes:N0} | {r.WriteRate:N0} | {r.WriteP50:0.0} / {r.WriteP99:0.0} | {r.Emails:N0} | {(double)r.Emails / r.Changes:0.0000} | {r.OutboxDelivered:N0} | {r.DrainSeconds:0.0} | {r.OutboxRate:N0} | {r.EmailRate:N1} | {r.WaitP50:0.0} / {r.WaitP99:0.0} | {r.LatP50:0.0} / {r.LatP99:0.0} | {r.CpuMsPerChange:0.00} | {r.Unmatched} | {r.Dead} |");
        Console.WriteLine();
        Console.WriteLine("drain s: dispatcher start (replica ready) → last email; outbox msgs/s: outbox rows delivered ÷ (last DeliveredAt − first DeliveredAt);");
        Console.WriteLine("emails/s: emails ÷ (last − first arrival); wait: arrival of the email carrying a change − dispatcher start (queued mode only);");
        Console.WriteLine("commit→email: arrival − the change's REST response (queued mode: includes the time the queue was held); CPU: replica utime+stime over the drain ÷ changes.");
        foreach (var r in rs) foreach (var n in r.Notes) Console.WriteLine($"note [{r.Config}]: {n}");
    }

    public sealed class Options
    {
        public required string App, OutDir, Database;
        public required int Changes, Boards, Writers, Port, SmtpPort, SmtpTo, TimeoutSeconds;
    }

    public sealed record RunConfig(double Window, bool Live, bool Dynamo)
    {
        public static RunConfig Parse(string s)
        {
            var parts = s.Split(':');
            return new RunConfig(double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts.Contains("live"), parts.Contains("ddb"));
        }
        public override string ToString() => $"window {Window} s, {(Live ? "live" : "queued")}{(Dynamo ? ", +changelog" : "")}";
    }

    public sealed class Result
    {
        public required string Config;
        public int Changes, Emails, Unmatched, Dead;
        public long OutboxDelivered;
        public double WriteRate, WriteP50, WriteP99, DrainSeconds, OutboxRate, EmailRate, WaitP50 = double.NaN, WaitP99 = double.NaN, LatP50, LatP99, CpuMsPerChange;
        public List<string> Notes = [];
    }

    [GeneratedRegex("“(c-\\d+)”")]
    private static partial Regex TitleRegex();

    sealed class Run(Options o, RunConfig c, SmtpSink sink)
    {
        readonly string _cs = $"Server=127.0.0.1;Port=3306;Database={o.Database};User ID=taskhub;Password=taskhub";
        readonly string _jwt = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48));
        readonly string _table = $"taskhub-outbench-{DateTime.UtcNow:yyyyMMddHHmmss}";
        string Url => $"http://127.0.0.1:{o.Port}";

        Dictionary<string, string?> ReplicaEnv(bool held) => new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_gcServer"] = "1",
            ["ConnectionStrings__MySql"] = _cs + ";Maximum Pool Size=200",
            ["ConnectionStrings__Redis"] = null,
            ["Jwt__SigningKey"] = _jwt,
            ["Jwt__AccessTokenMinutes"] = "1440",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Smtp__Host"] = "127.0.0.1",
            ["Smtp__Port"] = o.SmtpTo.ToString(),
            ["Smtp__UseTls"] = "false",
            ["Email__CoalesceWindowSeconds"] = c.Window.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Auth__Limits__PerAddressPerMinute"] = "100000",
            ["Auth__Limits__PerAccountPerMinute"] = "100000",
            ["Realtime__HeadIntervalSeconds"] = "3600",
            ["Jobs__ServerEnabled"] = "false",
            // Queued mode: the writing replica's dispatcher sleeps 60 s between empty polls (and the bench holds every new row, below).
            ["Outbox__PollIntervalSeconds"] = held ? "60" : null,
            ["DynamoDb__ServiceUrl"] = c.Dynamo ? "http://127.0.0.1:4567" : null,
            ["DynamoDb__TableName"] = c.Dynamo ? _table : null,
            ["EventBridge__BusName"] = null,
            ["Email__Transport"] = null,
        };

        async Task<MySqlConnection> Db()
        {
            var conn = new MySqlConnection(_cs);
            await conn.OpenAsync();
            return conn;
        }

        async Task<long> Scalar(string sql)
        {
            await using var conn = await Db();
            await using var cmd = new MySqlCommand(sql, conn);
            var v = await cmd.ExecuteScalarAsync();
            return v is null or DBNull ? 0 : Convert.ToInt64(v);
        }

        async Task<int> Exec(string sql, Guid? token = null)
        {
            await using var conn = await Db();
            await using var cmd = new MySqlCommand(sql, conn);
            if (token is { } t) cmd.Parameters.AddWithValue("@t", t);
            return await cmd.ExecuteNonQueryAsync();
        }

        public async Task<Result> ExecuteAsync()
        {
            var r = new Result { Config = c.ToString(), Changes = o.Changes };
            Console.WriteLine($"--- {c}");
            // A fresh database per configuration: the outbox starts empty.
            await using (var admin = new MySqlConnection("Server=127.0.0.1;Port=3306;User ID=taskhub;Password=taskhub"))
            {
                await admin.OpenAsync();
                await new MySqlCommand($"DROP DATABASE IF EXISTS `{o.Database}`; CREATE DATABASE `{o.Database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", admin).ExecuteNonQueryAsync();
            }
            await Replica.MigrateAsync(o, ReplicaEnv(false));
            sink.Reset();

            var held = !c.Live;
            await Replica.StartAsync(o, ReplicaEnv(held), Url);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(120) };
            var (alice, bobId, boards) = await SetupAsync(http);

            // Queued mode: hold every new outbox row with a far-future lease until the writes are done.
            var holdToken = Guid.NewGuid();
            using var holdStop = new CancellationTokenSource();
            var hold = held ? Task.Run(async () =>
            {
                while (!holdStop.IsCancellationRequested)
                {
                    await Exec("UPDATE outbox_messages SET ClaimToken=@t, ClaimedUntil='2100-01-01' WHERE ClaimedUntil IS NULL AND DeliveredAt IS NULL AND DeadLetteredAt IS NULL", holdToken);
                    try { await Task.Delay(100, holdStop.Token); } catch (OperationCanceledException) { }
                }
            }) : Task.CompletedTask;

            // The changes: task creations, spread over the boards, as fast as the writers go.
            var commit = new long[o.Changes];
            var writeMs = new double[o.Changes];
            var next = -1;
            var cpuBefore = Replica.CpuSeconds();
            var wsw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, o.Writers).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < o.Changes)
                {
                    var t0 = Stopwatch.GetTimestamp();
                    using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{boards[i % boards.Length]}/tasks")
                    { Content = JsonContent.Create(new { title = $"c-{i}", assigneeId = bobId }) };
                    req.Headers.Authorization = new("Bearer", alice);
                    using var resp = await http.SendAsync(req);
                    if (!resp.IsSuccessStatusCode) throw new Exception($"write {i}: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
                    commit[i] = Stopwatch.GetTimestamp();
                    writeMs[i] = (commit[i] - t0) / TicksPerMs;
                }
            }));
            var writeSeconds = wsw.Elapsed.TotalSeconds;
            r.WriteRate = o.Changes / writeSeconds;
            r.WriteP50 = Pct([.. writeMs], 0.50);
            r.WriteP99 = Pct([.. writeMs], 0.99);
            Console.WriteLine($"wrote {o.Changes} changes in {writeSeconds:0.0} s ({r.WriteRate:0} /s), REST p50 {r.WriteP50:0.0} ms, p99 {r.WriteP99:0.0} ms");

            long startTs;
            double cpuStart;
            if (held)
            {
                holdStop.Cancel();
                await hold;
                await Exec("UPDATE outbox_messages SET ClaimToken=@t, ClaimedUntil='2100-01-01' WHERE ClaimedUntil IS NULL AND DeliveredAt IS NULL AND DeadLetteredAt IS NULL", holdToken);
                await Replica.StopAsync();
                var leaked = await Scalar("SELECT COUNT(*) FROM outbox_messages WHERE DeliveredAt IS NOT NULL") + sink.Count;
                if (leaked > 0) r.Notes.Add($"{leaked} outbox rows/emails were delivered while the queue was meant to be held");
                var queued = await Scalar("SELECT COUNT(*) FROM outbox_messages");
                Console.WriteLine($"queued: {queued} outbox rows held; writer replica stopped; releasing and starting the draining replica");
                await Exec("UPDATE outbox_messages SET ClaimToken=NULL, ClaimedUntil=NULL WHERE ClaimToken=@t", holdToken);
                startTs = await Replica.StartAsync(o, ReplicaEnv(false), Url);
                cpuStart = Replica.CpuSeconds(); // from ready on: start-up CPU is not the drain's
                r.Notes.Add($"draining replica ready {Replica.LastStartupSeconds:0.0} s after it was started (start-up not in the drain time)");
            }
            else
            {
                startTs = Stopwatch.GetTimestamp() - (long)(writeSeconds * Stopwatch.Frequency);
                cpuStart = cpuBefore;
            }

            // Drained: nothing undelivered in the outbox, no unsealed pending change, every sent email at the sink.
            var deadline = Stopwatch.GetTimestamp() + o.TimeoutSeconds * Stopwatch.Frequency;
            var lastProgress = "";
            while (true)
            {
                var undelivered = await Scalar("SELECT COUNT(*) FROM outbox_messages WHERE DeliveredAt IS NULL AND DeadLetteredAt IS NULL");
                var unsealed = c.Window > 0 ? await Scalar("SELECT COUNT(*) FROM pending_change_emails WHERE BatchKey IS NULL") : 0;
                var sent = await Scalar("SELECT COUNT(*) FROM sent_emails");
                var progress = $"undelivered {undelivered}, unsealed {unsealed}, sent {sent}, at sink {sink.Count}";
                if (undelivered == 0 && unsealed == 0 && (sink.Count >= sent || o.SmtpTo != o.SmtpPort)) break;
                if (Stopwatch.GetTimestamp() > deadline) { r.Notes.Add($"timed out after {o.TimeoutSeconds} s: {progress}"); break; }
                if (progress != lastProgress && Environment.GetEnvironmentVariable("BENCH_VERBOSE") == "1") Console.WriteLine(progress);
                lastProgress = progress;
                await Task.Delay(250);
            }
            var cpu = Replica.CpuSeconds() - cpuStart;
            r.CpuMsPerChange = cpu * 1000 / o.Changes;
            r.Dead = (int)await Scalar("SELECT COUNT(*) FROM outbox_messages WHERE DeadLetteredAt IS NOT NULL");
            r.OutboxDelivered = await Scalar("SELECT COUNT(*) FROM outbox_messages WHERE DeliveredAt IS NOT NULL");
            var span = await Scalar("SELECT TIMESTAMPDIFF(MICROSECOND, MIN(DeliveredAt), MAX(DeliveredAt)) FROM outbox_messages WHERE DeliveredAt IS NOT NULL");
            r.OutboxRate = span > 0 ? r.OutboxDelivered / (span / 1e6) : double.NaN;
            var byKind = new List<string>();
            await using (var conn = await Db())
            await using (var rd = await new MySqlCommand("SELECT Kind, COUNT(*), TIMESTAMPDIFF(MICROSECOND, MIN(DeliveredAt), MAX(DeliveredAt)), AVG(LENGTH(Payload)) FROM outbox_messages GROUP BY Kind", conn).ExecuteReaderAsync())
                while (await rd.ReadAsync())
                {
                    // DeliveredAt is stamped per claimed batch (50); kinds claimed together (change log + task email) share the span.
                    var n = rd.GetInt64(1);
                    var us = rd.IsDBNull(2) ? 0 : rd.GetInt64(2);
                    byKind.Add($"{rd.GetString(0)} {n} (delivered over {us / 1e6:0.0} s: {(us > 0 ? $"{n / (us / 1e6):0}/s" : "-")}, payload {rd.GetDouble(3) / 1024:0.0} KB)");
                }
            r.Notes.Add($"outbox rows by kind: {string.Join("; ", byKind)}");
            if (o.SmtpTo != o.SmtpPort) r.Notes.Add($"SMTP went to 127.0.0.1:{o.SmtpTo}, not the sink: email figures are empty");
            Replica.StopCurrent();

            // Which email carried which change: the task titles in its text part.
            var mails = sink.Snapshot();
            r.Emails = mails.Count;
            var arrival = new long[o.Changes];
            foreach (var (ts, raw) in mails)
            {
                var text = MimeKit.MimeMessage.Load(new MemoryStream(raw)).TextBody ?? "";
                foreach (Match m in TitleRegex().Matches(text))
                {
                    var i = int.Parse(m.Groups[1].Value.AsSpan(2));
                    if (i < o.Changes && (arrival[i] == 0 || ts < arrival[i])) arrival[i] = ts;
                }
            }
            var lat = new List<double>();
            var wait = new List<double>();
            for (var i = 0; i < o.Changes; i++)
            {
                if (arrival[i] == 0) { r.Unmatched++; continue; }
                lat.Add((arrival[i] - commit[i]) / (double)Stopwatch.Frequency);
                wait.Add((arrival[i] - startTs) / (double)Stopwatch.Frequency);
            }
            r.LatP50 = Pct(lat, 0.5);
            r.LatP99 = Pct(lat, 0.99);
            if (held)
            {
                r.WaitP50 = Pct(wait, 0.5);
                r.WaitP99 = Pct(wait, 0.99);
            }
            if (mails.Count > 0)
            {
                var first = mails.Min(m => m.Ts);
                var last = mails.Max(m => m.Ts);
                r.DrainSeconds = (last - startTs) / (double)Stopwatch.Frequency;
                r.EmailRate = mails.Count > 1 ? (mails.Count - 1) / ((last - first) / (double)Stopwatch.Frequency) : double.NaN;
            }
            Console.WriteLine($"drained: {r.Emails} emails, {r.OutboxDelivered} outbox rows, {r.DrainSeconds:0.0} s, unmatched changes {r.Unmatched}");
            return r;
        }

        async Task<(string Alice, Guid BobId, Guid[] Boards)> SetupAsync(HttpClient http)
        {
            var run = DateTime.UtcNow.ToString("HHmmss");
            const string password = "Bench-Passw0rd!";
            async Task<string> User(string name)
            {
                var email = $"{name}-{run}@bench.example";
                (await http.PostAsJsonAsync("/api/auth/register", new { email, password, displayName = name })).EnsureSuccessStatusCode();
                var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password });
                login.EnsureSuccessStatusCode();
                return (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
            }
            var alice = await User("alice");
            var bob = await User("bob");
            using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
            me.Headers.Authorization = new("Bearer", bob);
            var meResp = await http.SendAsync(me);
            meResp.EnsureSuccessStatusCode();
            var bobId = (await meResp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var boards = new Guid[o.Boards];
            for (var b = 0; b < boards.Length; b++)
            {
                using var req = new HttpRequestMessage(HttpMethod.Post, "/api/boards") { Content = JsonContent.Create(new { name = $"ob{b}" }) };
                req.Headers.Authorization = new("Bearer", alice);
                var resp = await http.SendAsync(req);
                resp.EnsureSuccessStatusCode();
                boards[b] = (await resp.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
                using var m = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{boards[b]}/members") { Content = JsonContent.Create(new { email = $"bob-{run}@bench.example", role = "member" }) };
                m.Headers.Authorization = new("Bearer", alice);
                (await http.SendAsync(m)).EnsureSuccessStatusCode();
            }
            return (alice, bobId, boards);
        }
    }
}

/// <summary>The one replica the bench runs (a child process with a PID file); stopped with SIGTERM by its PID.</summary>
public static class Replica
{
    static Process? _current;
    static string _pidFile = "";
    public static double LastStartupSeconds { get; private set; }

    static ProcessStartInfo Info(Program.Options o, Dictionary<string, string?> env, string args, string log)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = o.App, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Split(' ')) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env)
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        _ = log;
        return psi;
    }

    public static async Task MigrateAsync(Program.Options o, Dictionary<string, string?> env)
    {
        using var p = Process.Start(Info(o, env, "TaskHub.Server.dll migrate", "migrate"))!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new Exception($"migrate failed: {await output}{await error}");
    }

    /// <summary>Starts the replica and returns the timestamp at which it answered /readyz.</summary>
    public static async Task<long> StartAsync(Program.Options o, Dictionary<string, string?> env, string url)
    {
        var t0 = Stopwatch.GetTimestamp();
        var p = Process.Start(Info(o, env, $"TaskHub.Server.dll --urls {url}", "replica"))!;
        _current = p;
        _pidFile = Path.Combine(o.OutDir, "outbox-replica.pid");
        File.WriteAllText(_pidFile, p.Id.ToString());
        var log = File.AppendText(Path.Combine(o.OutDir, "outbox-replica.log"));
        log.AutoFlush = true;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 600; i++)
        {
            if (p.HasExited) throw new Exception($"replica exited with {p.ExitCode}: see {o.OutDir}/outbox-replica.log");
            try
            {
                if ((await http.GetAsync($"{url}/readyz")).IsSuccessStatusCode)
                {
                    var ready = Stopwatch.GetTimestamp();
                    LastStartupSeconds = (ready - t0) / (double)Stopwatch.Frequency;
                    return ready;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new Exception("replica did not become ready in 60 s");
    }

    public static double CpuSeconds()
    {
        if (_current is null || _current.HasExited) return 0;
        var f = File.ReadAllText($"/proc/{_current.Id}/stat");
        var parts = f[(f.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(parts[11]) + double.Parse(parts[12])) / 100.0; // utime, stime in clock ticks (USER_HZ = 100)
    }

    public static async Task StopAsync()
    {
        var p = _current;
        if (p is null) return;
        if (!p.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString()])) kill.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await p.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { p.Kill(); p.WaitForExit(); }
        }
        p.Dispose();
        _current = null;
        if (_pidFile.Length > 0) File.Delete(_pidFile);
    }

    public static void StopCurrent() => StopAsync().GetAwaiter().GetResult();
}

/// <summary>
/// A minimal SMTP server on loopback (greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no extensions)
/// that keeps each message with the time its terminating "." arrived.
/// </summary>
public sealed class SmtpSink(int port) : IDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, port);
    readonly CancellationTokenSource _stop = new();
    ConcurrentQueue<(long Ts, byte[] Raw)> _mails = new();

    public int Count => _mails.Count;
    public void Reset() => _mails = new();
    public List<(long Ts, byte[] Raw)> Snapshot() => [.. _mails];

    public void Start()
    {
        _listener.Start(512);
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); } catch { return; }
                _ = Task.Run(() => Serve(client));
            }
        });
    }

    async Task Serve(TcpClient client)
    {
        using var _ = client;
        client.NoDelay = true;
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.Latin1, false, 16384);
        async Task Reply(string s) => await stream.WriteAsync(Encoding.ASCII.GetBytes(s + "\r\n"));
        try
        {
            await Reply("220 bench-sink ESMTP");
            while (await reader.ReadLineAsync() is { } line)
            {
                var cmd = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (cmd)
                {
                    case "EHLO": case "HELO": await Reply("250 bench-sink"); break;
                    case "DATA":
                        await Reply("354 end with <CRLF>.<CRLF>");
                        var data = new StringBuilder(8192);
                        while (await reader.ReadLineAsync() is { } d)
                        {
                            if (d == ".") break;
                            data.Append(d.StartsWith("..") ? d[1..] : d).Append("\r\n");
                        }
                        _mails.Enqueue((Stopwatch.GetTimestamp(), Encoding.Latin1.GetBytes(data.ToString())));
                        await Reply("250 queued");
                        break;
                    case "QUIT": await Reply("221 bye"); return;
                    default: await Reply("250 ok"); break; // MAIL, RCPT, RSET, NOOP
                }
            }
        }
        catch (IOException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
