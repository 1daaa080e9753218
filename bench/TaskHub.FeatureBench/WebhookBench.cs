using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MySqlConnector;

namespace TaskHub.FeatureBench;

/// <summary>
/// Webhook delivery: a Kestrel receiver in this process on 127.0.0.1 checks each delivery's signature
/// (X-TaskHub-Signature t=…,v1=hex(HMAC-SHA256(secret, "t.body"))) and timestamp and records when it arrived;
/// N task creations on a board with one hook; delivery rate and change→delivery latency.
/// </summary>
public static class WebhookBench
{
    const string Secret = "bench-webhook-secret-0123456789";

    sealed record Arrival(long Ts, string DeliveryId, string Type, string? Title, bool SignatureOk, long SkewSeconds);

    sealed class Result
    {
        public required string Config;
        public int Changes, Delivered, Duplicates, BadSignatures, Missing, Other;
        public double WriteRate, WriteSeconds, DrainSeconds, Rate, P50, P90, P99, Max, CpuMsPerChange;
        public long MaxSkew;
        public List<string> Notes = [];
    }

    public static async Task RunAsync(Server server)
    {
        var n = Knobs.I("BENCH_HOOK_CHANGES", 2000);
        var configs = Knobs.S("BENCH_HOOK_CONFIGS", "sqlite:burst,sqlite:paced,mysql:burst").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var port = Knobs.I("BENCH_HOOK_RECEIVER_PORT", 5671);
        Console.WriteLine($"{n:N0} task creations per config on one board with one JSON hook (every event type); receiver http://127.0.0.1:{port}/hook; configs: {string.Join(", ", configs)}");
        Console.WriteLine($"burst = {Knobs.I("BENCH_HOOK_WRITERS", 8)} writers in flight as fast as they go; paced = {Knobs.I("BENCH_HOOK_RATE", 50)} changes/s");

        var arrivals = new ConcurrentQueue<Arrival>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var receiver = builder.Build();
        var key = Encoding.UTF8.GetBytes(Secret);
        receiver.MapPost("/hook", async (HttpRequest req) =>
        {
            using var ms = new MemoryStream();
            await req.Body.CopyToAsync(ms);
            var ts = Stopwatch.GetTimestamp();
            var body = ms.ToArray();
            var sig = req.Headers["X-TaskHub-Signature"].ToString();
            var parts = sig.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            var ok = false;
            long skew = long.MaxValue;
            if (parts.TryGetValue("t", out var t) && parts.TryGetValue("v1", out var v1) && long.TryParse(t, out var tSec))
            {
                var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, (byte[])[.. Encoding.UTF8.GetBytes(t + "."), .. body]));
                ok = CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
                skew = Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - tSec);
            }
            string? title = null;
            try
            {
                var root = JsonDocument.Parse(body).RootElement;
                if (root.TryGetProperty("task", out var task) && task.ValueKind == JsonValueKind.Object && task.TryGetProperty("title", out var tt)) title = tt.GetString();
            }
            catch (JsonException) { }
            arrivals.Enqueue(new Arrival(ts, req.Headers["X-TaskHub-Delivery"].ToString(), req.Headers["X-TaskHub-Event"].ToString(), title, ok, skew));
            return Results.NoContent();
        });
        await receiver.StartAsync();
        var results = new List<Result>();
        try
        {
            foreach (var c in configs)
            {
                arrivals.Clear();
                try { results.Add(await OneAsync(server, c, n, port, arrivals)); }
                finally { await server.StopAsync(); }
            }
        }
        finally
        {
            await receiver.StopAsync();
        }

        Console.WriteLine();
        Console.WriteLine("| config | changes | writes/s | delivered | dup | bad sig | max skew s | drain s | deliveries/s | change→delivery p50 ms | p90 ms | p99 ms | max ms | server CPU ms/change |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            Console.WriteLine($"| {r.Config} | {r.Changes:N0} | {r.WriteRate:0} | {r.Delivered:N0} | {r.Duplicates} | {r.BadSignatures} | {r.MaxSkew} | {r.DrainSeconds:0.0} | {r.Rate:0.0} | {r.P50:0} | {r.P90:0} | {r.P99:0} | {r.Max:0} | {r.CpuMsPerChange:0.00} |");
        Console.WriteLine();
        Console.WriteLine("delivered: distinct changes whose TaskCreated delivery arrived with a valid signature; dup: deliveries beyond one per change;");
        Console.WriteLine("drain s: first write → last delivery; deliveries/s: deliveries ÷ (last − first arrival); change→delivery: arrival − the POST's response (the commit).");
        foreach (var r in results) foreach (var note in r.Notes) Console.WriteLine($"note [{r.Config}]: {note}");
    }

    static async Task<Result> OneAsync(Server server, string config, int n, int port, ConcurrentQueue<Arrival> arrivals)
    {
        var provider = config.Split(':')[0];
        var paced = config.EndsWith(":paced");
        Console.WriteLine($"--- {config}");
        var r = new Result { Config = $"{(provider == "mysql" ? "MariaDB" : "SQLite")}, {(paced ? $"paced {Knobs.I("BENCH_HOOK_RATE", 50)}/s" : "burst")}", Changes = n };
        var env = Server.BaseEnv();
        env["Webhooks__AllowPrivateTargets"] = "true";
        if (provider == "mysql")
        {
            var db = Knobs.S("BENCH_HOOK_DB", "taskhub_hookbench");
            await using (var admin = new MySqlConnection(Knobs.MySqlAdmin))
            {
                await admin.OpenAsync();
                await new MySqlCommand($"DROP DATABASE IF EXISTS `{db}`; CREATE DATABASE `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", admin).ExecuteNonQueryAsync();
            }
            env["ConnectionStrings__MySql"] = Knobs.MySql(db) + ";Maximum Pool Size=200";
            await Server.MigrateAsync(env);
        }
        else
        {
            var path = Path.Combine(Knobs.Out, "hook-bench.db");
            foreach (var f in new[] { path, path + "-wal", path + "-shm" }) File.Delete(f);
            env["ConnectionStrings__Sqlite"] = $"Data Source={path}";
        }
        await server.StartAsync(env);
        using var http = Api.Client(server.Url);
        var api = new Api(http);
        var (alice, _) = await api.UserAsync("alice");
        var board = await api.BoardAsync(alice, "hooks");
        await api.SendAsync(HttpMethod.Post, $"/api/boards/{board}/webhooks", alice, new { url = $"http://127.0.0.1:{port}/hook", events = Array.Empty<string>(), secret = Secret });

        var commit = new long[n];
        var next = -1;
        var writers = paced ? 32 : Knobs.I("BENCH_HOOK_WRITERS", 8);
        var rate = Knobs.I("BENCH_HOOK_RATE", 50);
        var cpu0 = server.CpuSeconds();
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                if (paced)
                {
                    var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                }
                using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{board}/tasks") { Content = JsonContent.Create(new { title = $"w-{i}" }) };
                req.Headers.Authorization = new("Bearer", alice);
                using var resp = await http.SendAsync(req);
                if (!resp.IsSuccessStatusCode) throw new Exception($"write {i}: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
                commit[i] = Stopwatch.GetTimestamp();
            }
        }));
        r.WriteSeconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        r.WriteRate = n / r.WriteSeconds;
        Console.WriteLine($"wrote {n} changes in {r.WriteSeconds:0.0} s ({r.WriteRate:0}/s)");

        // Wait for every change (bounded: BENCH_HOOK_TIMEOUT, or 60 s without a new delivery).
        var timeout = TimeSpan.FromSeconds(Knobs.I("BENCH_HOOK_TIMEOUT", 600));
        var waited = Stopwatch.StartNew();
        var lastCount = -1;
        var lastProgress = Stopwatch.StartNew();
        while (true)
        {
            var got = arrivals.Where(a => a.Type == "TaskCreated" && a.SignatureOk).Select(a => a.Title).Distinct().Count();
            if (got >= n) break;
            if (got != lastCount) { lastCount = got; lastProgress.Restart(); }
            if (waited.Elapsed > timeout || lastProgress.Elapsed > TimeSpan.FromSeconds(60)) { r.Notes.Add($"stopped waiting with {got} of {n} changes delivered"); break; }
            await Task.Delay(100);
        }
        await Task.Delay(1000); // late duplicates
        r.CpuMsPerChange = (server.CpuSeconds() - cpu0) * 1000 / n;

        var all = arrivals.ToList();
        r.BadSignatures = all.Count(a => !a.SignatureOk);
        r.MaxSkew = all.Count > 0 ? all.Max(a => a.SkewSeconds) : 0;
        var created = all.Where(a => a.SignatureOk && a.Type == "TaskCreated" && a.Title is { } t && t.StartsWith("w-")).ToList();
        r.Other = all.Count(a => a.Type != "TaskCreated");
        var first = new Dictionary<int, long>();
        foreach (var a in created)
        {
            var i = int.Parse(a.Title!.AsSpan(2));
            if (first.TryGetValue(i, out var ts)) { r.Duplicates++; if (a.Ts < ts) first[i] = a.Ts; } // the same change delivered again (a retry after a lost answer)
            else first[i] = a.Ts;
        }
        r.Delivered = first.Count;
        r.Missing = n - first.Count;
        var lat = first.Select(kv => Stats.Ms(commit[kv.Key], kv.Value)).ToList();
        r.P50 = Stats.Pct(lat, 0.5); r.P90 = Stats.Pct(lat, 0.9); r.P99 = Stats.Pct(lat, 0.99); r.Max = lat.Count > 0 ? lat.Max() : double.NaN;
        if (all.Count > 1)
        {
            var f = all.Min(a => a.Ts); var l = all.Max(a => a.Ts);
            r.Rate = (all.Count - 1) / ((l - f) / (double)Stopwatch.Frequency);
            r.DrainSeconds = (l - start) / (double)Stopwatch.Frequency;
        }
        // Latency by when the change was written: median per tenth of the changes (in write order).
        var tenths = Enumerable.Range(0, 10).Select(k => Stats.Median(first.Where(kv => kv.Key * 10 / n == k).Select(kv => Stats.Ms(commit[kv.Key], kv.Value)))).ToList();
        r.Notes.Add($"change→delivery median by tenth of the changes (write order), ms: {string.Join(" · ", tenths.Select(x => x.ToString("0")))}");
        var arrivalsByTenth = Enumerable.Range(0, 10).Select(k => first.Where(kv => kv.Key * 10 / n == k).Select(kv => (kv.Value - start) / (double)Stopwatch.Frequency).DefaultIfEmpty(double.NaN).Min()).ToList();
        r.Notes.Add($"first delivery of each tenth, s after the first write: {string.Join(" · ", arrivalsByTenth.Select(x => x.ToString("0.0")))} (writes ended at {r.WriteSeconds:0.0} s)");
        if (r.Other > 0) r.Notes.Add($"{r.Other} deliveries of other event types");
        if (r.Missing > 0) r.Notes.Add($"{r.Missing} changes never delivered");
        Console.WriteLine($"delivered {r.Delivered}/{n}, p50 {r.P50:0} ms, p99 {r.P99:0} ms, {r.Rate:0.0} deliveries/s");
        return r;
    }
}
