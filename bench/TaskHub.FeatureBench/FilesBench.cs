using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace TaskHub.FeatureBench;

/// <summary>
/// Attachment upload (multipart POST) and download (GET) of a 1 MiB and a 25 MiB file, on the disk store and on S3
/// (s3rver), with the server's RSS (/proc) and GC heap (/metrics dotnet_total_memory_bytes) sampled during each
/// transfer. Every download is checked against the upload (SHA-256).
/// </summary>
public static class FilesBench
{
    const double MiB = 1024 * 1024;

    sealed class Sample
    {
        public double Seconds;
        public long RssBefore, RssPeak, HeapBefore, HeapPeak;
        public double MBps(long size) => size / MiB / Seconds;
    }

    sealed class Result
    {
        public required string Store;
        public Dictionary<(long Size, string Dir), List<Sample>> Samples = [];
        public Dictionary<(long Size, string Dir), Sample> Warmup = [];
        public long RssStart, RssWarm, RssEnd, RssMax;
        public int BadDownloads;
    }

    public static async Task RunAsync(Server server)
    {
        var stores = Knobs.S("BENCH_FILES_STORES", "disk,s3").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reps = Knobs.I("BENCH_FILES_REPS", 5);
        var sizes = new long[] { 1 * 1024 * 1024, Knobs.I("BENCH_FILES_MB", 25) * 1024L * 1024 };
        Console.WriteLine($"files of {string.Join(" and ", sizes.Select(s => $"{s / MiB:0} MiB ({s:N0} bytes)"))}, random bytes; {reps} reps after one warm-up round trip each; stores: {string.Join(", ", stores)}");
        var rnd = new Random(1);
        var files = sizes.ToDictionary(s => s, s => { var b = new byte[s]; rnd.NextBytes(b); return b; });
        var results = new List<Result>();
        foreach (var st in stores)
        {
            try { results.Add(await OneAsync(server, st, files, reps)); }
            finally { await server.StopAsync(); }
        }

        Console.WriteLine();
        Console.WriteLine("| store | file | direction | MB/s median (min–max) | RSS growth MB median (max) | GC heap growth MB median (max) |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|");
        foreach (var r in results)
            foreach (var ((size, dir), xs) in r.Samples.OrderBy(k => k.Key.Dir == "upload" ? 0 : 1).ThenBy(k => k.Key.Size))
            {
                var mbps = xs.Select(x => x.MBps(size)).ToList();
                var rss = xs.Select(x => (x.RssPeak - x.RssBefore) / MiB).ToList();
                var heap = xs.Select(x => (x.HeapPeak - x.HeapBefore) / MiB).ToList();
                Console.WriteLine($"| {r.Store} | {size / MiB:0} MiB | {dir} | {Stats.Median(mbps):0.0} ({mbps.Min():0.0}–{mbps.Max():0.0}) | {Stats.Median(rss):0.0} ({rss.Max():0.0}) | {Stats.Median(heap):0.0} ({heap.Max():0.0}) |");
            }
        Console.WriteLine();
        Console.WriteLine("| store | RSS growth MB, 1 MiB → 25 MiB: upload | download | GC heap growth MB: upload | download | first transfers (warm-up) RSS growth MB: 1 MiB up/down, 25 MiB up/down | server RSS MB: start → after warm-up → max → end |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            double G(string dir, bool rss, long size) => Stats.Median(r.Samples[(size, dir)].Select(x => rss ? (x.RssPeak - x.RssBefore) / MiB : (x.HeapPeak - x.HeapBefore) / MiB));
            string Pair(string dir, bool rss) => $"{G(dir, rss, sizes[0]):0.0} → {G(dir, rss, sizes[1]):0.0}";
            string W(long size, string dir) => r.Warmup.TryGetValue((size, dir), out var x) ? $"{(x.RssPeak - x.RssBefore) / MiB:0.0}" : "-";
            Console.WriteLine($"| {r.Store} | {Pair("upload", true)} | {Pair("download", true)} | {Pair("upload", false)} | {Pair("download", false)} | {W(sizes[0], "upload")}/{W(sizes[0], "download")}, {W(sizes[1], "upload")}/{W(sizes[1], "download")} | {r.RssStart / MiB:0} → {r.RssWarm / MiB:0} → {r.RssMax / MiB:0} → {r.RssEnd / MiB:0} |");
        }
        Console.WriteLine();
        Console.WriteLine("MB/s: file bytes (MiB) ÷ seconds from sending the request to the end of the response (download: last byte read); one transfer at a time over loopback.");
        Console.WriteLine("growth: peak during the transfer − value just before it (RSS sampled every 10 ms from /proc/PID/status; GC heap every 50 ms from /metrics).");
        Console.WriteLine("Memory that grows with the file would show ≥ 25 MB growth for 25 MiB against ~1 MB for 1 MiB. Medians over the reps; the first transfer of each size (warm-up) is shown apart.");
        foreach (var r in results) if (r.BadDownloads > 0) Console.WriteLine($"note [{r.Store}]: {r.BadDownloads} downloads did not match their upload");
    }

    static async Task<Result> OneAsync(Server server, string store, Dictionary<long, byte[]> files, int reps)
    {
        Console.WriteLine($"--- {store}");
        var env = Server.BaseEnv();
        var dbPath = Path.Combine(Knobs.Out, "files-bench.db");
        foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm" }) File.Delete(f);
        var dir = Path.Combine(Knobs.Out, "feature-attachments");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        env["ConnectionStrings__Sqlite"] = $"Data Source={dbPath}";
        env["Attachments__MaxBytes"] = (files.Keys.Max() + 1024 * 1024).ToString(CultureInfo.InvariantCulture);
        if (store == "s3")
        {
            env["Attachments__S3Bucket"] = Knobs.S("BENCH_S3_BUCKET", "taskhub-test");
            env["Attachments__S3ServiceUrl"] = Knobs.S("BENCH_S3_URL", "http://127.0.0.1:4569");
            env["Attachments__S3AccessKeyId"] = "S3RVER";
            env["Attachments__S3SecretAccessKey"] = "S3RVER";
        }
        await server.StartAsync(env);
        var r = new Result { Store = store == "s3" ? "S3 (s3rver)" : "disk" };
        using var http = Api.Client(server.Url);
        var api = new Api(http);
        var (alice, _) = await api.UserAsync("alice");
        var board = await api.BoardAsync(alice, "files");
        var task = await api.TaskAsync(alice, board, "files bench");

        // Samplers: RSS every 10 ms, GC heap every 50 ms; Reset() starts a new peak.
        long rssPeak = 0, heapPeak = 0, heapNow = 0;
        using var stop = new CancellationTokenSource();
        var rssLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var v = server.Rss();
                if (v > Interlocked.Read(ref rssPeak)) Interlocked.Exchange(ref rssPeak, v);
                if (v > r.RssMax) r.RssMax = v;
                try { await Task.Delay(10, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        using var metricsHttp = new HttpClient { BaseAddress = new Uri(server.Url) };
        async Task<long> Heap()
        {
            var text = await metricsHttp.GetStringAsync("/metrics");
            foreach (var line in text.Split('\n'))
                if (line.StartsWith("dotnet_total_memory_bytes ")) return (long)double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
            return 0;
        }
        var heapLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var v = await Heap();
                    Interlocked.Exchange(ref heapNow, v);
                    if (v > Interlocked.Read(ref heapPeak)) Interlocked.Exchange(ref heapPeak, v);
                    await Task.Delay(50, stop.Token);
                }
                catch (OperationCanceledException) { }
                catch (HttpRequestException) { }
            }
        });

        async Task<Sample> Measure(Func<Task> transfer)
        {
            await Task.Delay(300); // let the samplers see the resting value
            var s = new Sample { RssBefore = server.Rss(), HeapBefore = await Heap() };
            Interlocked.Exchange(ref rssPeak, s.RssBefore);
            Interlocked.Exchange(ref heapPeak, s.HeapBefore);
            var t0 = Stopwatch.GetTimestamp();
            await transfer();
            s.Seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            await Task.Delay(60);
            s.RssPeak = Math.Max(Interlocked.Read(ref rssPeak), server.Rss());
            s.HeapPeak = Interlocked.Read(ref heapPeak);
            return s;
        }

        async Task<Guid> Upload(byte[] data, string name)
        {
            using var form = new MultipartFormDataContent();
            var content = new ByteArrayContent(data);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "file", name);
            using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task}/attachments") { Content = form };
            req.Headers.Authorization = new("Bearer", alice);
            using var resp = await http.SendAsync(req);
            var text = await resp.Content.ReadAsStringAsync();
            if (!resp.IsSuccessStatusCode) throw new Exception($"upload {name}: {(int)resp.StatusCode} {text}");
            return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
        }

        async Task<byte[]> Download(Guid id)
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/attachments/{id}");
            req.Headers.Authorization = new("Bearer", alice);
            using var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
            resp.EnsureSuccessStatusCode();
            await using var s = await resp.Content.ReadAsStreamAsync();
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buf = new byte[81920];
            int n;
            while ((n = await s.ReadAsync(buf)) > 0) sha.AppendData(buf, 0, n);
            return sha.GetHashAndReset();
        }

        await Task.Delay(1000);
        r.RssStart = server.Rss();
        foreach (var (size, data) in files) // warm-up: pools, JIT, the S3 client
        {
            Guid id = default;
            r.Warmup[(size, "upload")] = await Measure(async () => id = await Upload(data, $"warm-{size}.bin"));
            r.Warmup[(size, "download")] = await Measure(async () => await Download(id));
        }
        r.RssWarm = server.Rss();
        for (var rep = 0; rep < reps; rep++)
            foreach (var (size, data) in files)
            {
                var hash = SHA256.HashData(data);
                Guid id = default;
                var up = await Measure(async () => id = await Upload(data, $"f-{rep}-{size}.bin"));
                byte[] got = [];
                var down = await Measure(async () => got = await Download(id));
                if (!got.AsSpan().SequenceEqual(hash)) r.BadDownloads++;
                (r.Samples.TryGetValue((size, "upload"), out var u) ? u : r.Samples[(size, "upload")] = []).Add(up);
                (r.Samples.TryGetValue((size, "download"), out var d) ? d : r.Samples[(size, "download")] = []).Add(down);
                Console.WriteLine($"rep {rep} {size / MiB:0} MiB: up {up.MBps(size):0.0} MB/s (RSS +{(up.RssPeak - up.RssBefore) / MiB:0.0} MB, heap +{(up.HeapPeak - up.HeapBefore) / MiB:0.0} MB), down {down.MBps(size):0.0} MB/s (RSS +{(down.RssPeak - down.RssBefore) / MiB:0.0} MB, heap +{(down.HeapPeak - down.HeapBefore) / MiB:0.0} MB)");
            }
        await Task.Delay(1000);
        r.RssEnd = server.Rss();
        stop.Cancel();
        await Task.WhenAll(rssLoop, heapLoop);
        return r;
    }
}
