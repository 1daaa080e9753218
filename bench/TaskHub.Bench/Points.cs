// The bench's extra points (issue 16): many boards, REST writes, a reconnect storm, and the bare SignalR floor's
// ratios. Selected with BENCH_POINTS (see bench/run.sh); each prints its reps, then medians with targets.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace TaskHub.Bench;

public static class Points
{
    internal static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
    internal static int EnvInt(string name, int fallback) => int.Parse(Env(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    internal static double EnvDouble(string name, double fallback) => double.Parse(Env(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public static bool IsBare(this ServerConfig c) => c.Name.StartsWith("bare", StringComparison.Ordinal);

    internal static double Median(IEnumerable<double> xs)
    {
        var a = xs.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        return a.Length == 0 ? double.NaN : a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    internal static double Pct(IEnumerable<double> xs, double q)
    {
        var a = xs.OrderBy(x => x).ToArray();
        return a.Length == 0 ? double.NaN : a[Math.Min(a.Length - 1, (int)Math.Ceiling(q * a.Length) - 1)];
    }

    internal static string Ratio(double measured, double bare) => double.IsNaN(measured) || double.IsNaN(bare) || bare == 0 ? "–" : $"{measured / bare:0.00}×";

    internal static string Verdict(double v, double target, bool atMost = true) =>
        double.IsNaN(v) ? "not measured" : (atMost ? v <= target : v >= target) ? "MET" : "MISSED";

    /// <summary>Runs the extra points named in BENCH_POINTS, in a fixed order (the storm last: it restarts replicas).</summary>
    public static async Task RunAsync(string[] points, List<ServerConfig> configs, Setup setup, BenchOptions opts)
    {
        if (configs.Count > 0) await MessagePackWire.UseAsync(configs[0]); // these points' light clients speak JSON
        var cluster = configs.FirstOrDefault(c => c.Name.StartsWith("cluster", StringComparison.Ordinal));
        var bare = configs.FirstOrDefault(c => c.IsBare());
        var needBoards = points.Contains("manyboards") || points.Contains("writes");
        Guid[] boards = [];
        if (needBoards)
        {
            var count = Math.Max(EnvInt("BENCH_MB_BOARDS", 1000), 100);
            var sw = Stopwatch.StartNew();
            boards = await CreateBoardsAsync(configs.First(c => !c.IsBare()).Urls, setup.WriterToken, count);
            Console.WriteLine($"\nsetup: {count} boards for the many-boards and REST-write points in {sw.Elapsed.TotalSeconds:0.0} s");
        }
        if (points.Contains("manyboards"))
        {
            var results = new List<ManyBoardsResult>();
            foreach (var c in new[] { cluster, bare }.OfType<ServerConfig>())
                results.AddRange(await new ManyBoardsPoint(c, boards, setup.WriterToken, opts).RunAsync());
            ManyBoardsPoint.Print(results);
        }
        if (points.Contains("writes"))
        {
            var results = new List<WritesResult>();
            foreach (var c in configs) results.AddRange(await WritesPoint.RunAsync(c, setup.Board, boards[..100], setup.WriterToken));
            // run.sh's database floor (BENCH_BAREDB_URL): the bare server making TaskHub's statements itself, last.
            if (Env("BENCH_BAREDB_URL", "") is { Length: > 0 } floorUrl)
                results.AddRange(await WritesPoint.RunAsync(new ServerConfig(WritesPoint.Floor, [floorUrl], [EnvInt("BENCH_BAREDB_PID", 0)]), setup.Board, boards[..100], setup.WriterToken));
            WritesPoint.Print(results, configs);
        }
        if (points.Contains("storm"))
        {
            if (cluster is null) Console.WriteLine("\n(reconnect storm: needs the cluster)");
            else StormPoint.Print(await new StormPoint(cluster, setup, opts).RunAsync());
        }
    }

    static async Task<Guid[]> CreateBoardsAsync(string[] urls, string token, int count)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var ids = new Guid[count];
        var stamp = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, $"{urls[i % urls.Length]}/api/boards") { Content = JsonContent.Create(new { name = $"many {stamp} {i}" }) };
            req.Headers.Authorization = new("Bearer", token);
            using var r = await http.SendAsync(req, ct);
            r.EnsureSuccessStatusCode();
            ids[i] = (await r.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        });
        return ids;
    }

    /// <summary>Events these replicas' board lines sent and the frames they sent them in (Realtime:MaxEventsPerFrame), summed.</summary>
    internal static async Task<(double Events, double Frames)> FramingAsync(IEnumerable<string> urls)
    {
        var list = urls.ToList();
        var events = await Task.WhenAll(list.Select(u => MetricAsync(u, "taskhub_events_pushed_total")));
        var frames = await Task.WhenAll(list.Select(u => MetricAsync(u, "taskhub_event_frames_total")));
        return (events.Sum(), frames.Sum());
    }

    /// <summary>Events per frame between two <see cref="FramingAsync"/> readings.</summary>
    internal static double EventsPerFrame((double Events, double Frames) before, (double Events, double Frames) after) =>
        (after.Events - before.Events) / Math.Max(1, after.Frames - before.Frames);

    /// <summary>
    /// The kernel's count of SYNs (and final ACKs) dropped because a listening socket's accept queue was full (TcpExt
    /// ListenOverflows in /proc/net/netstat): every listener of this network namespace (nginx, the replicas, the bare
    /// server, and anything else running here); NaN where there is no such file. A retried SYN dropped again counts
    /// again. A client whose SYN is dropped retries after 1 s, then 3 s: a reconnect storm that overflows a backlog pays
    /// whole seconds per dropped connect.
    /// </summary>
    internal static double ListenOverflows()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/net/netstat");
            for (var i = 0; i + 1 < lines.Length; i++)
            {
                if (!lines[i].StartsWith("TcpExt:", StringComparison.Ordinal)) continue;
                var names = lines[i].Split(' ');
                var values = lines[i + 1].Split(' ');
                var at = Array.IndexOf(names, "ListenOverflows");
                return at < 0 ? double.NaN : double.Parse(values[at], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException) { }
        return double.NaN;
    }

    /// <summary>The listen backlog in effect for each of <paramref name="urls"/>' ports (the Send-Q column of a listening
    /// socket in <c>ss -ltn</c>), "?" where none listens or <c>ss</c> is missing: what the queues really were in a run.</summary>
    internal static string ListenBacklogs(IEnumerable<string> urls)
    {
        var backlogs = new Dictionary<int, string>();
        try
        {
            using var ss = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ss", ["-Hltn"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = ss.StandardOutput.ReadToEnd();
            ss.WaitForExit();
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries); // State Recv-Q Send-Q Local Peer
                if (cols.Length >= 4 && int.TryParse(cols[3][(cols[3].LastIndexOf(':') + 1)..], out var port)) backlogs[port] = cols[2];
            }
        }
        catch (System.ComponentModel.Win32Exception) { }
        return string.Join(", ", urls.Select(u => new Uri(u).Port).Distinct().Select(p => $"{p} {backlogs.GetValueOrDefault(p, "?")}"));
    }

    /// <summary>What the bench prints for <see cref="ListenOverflows"/> since <paramref name="before"/>.</summary>
    internal static string ListenDropsSince(double before) => $"{ListenOverflows() - before:0} listen-queue drops (TcpExt ListenOverflows)";

    private static readonly HttpClient MetricsHttp = new() { Timeout = Timeout.InfiniteTimeSpan }; // each scrape has its own timeout

    /// <summary>The series of a server's Prometheus text page that <paramref name="keep"/> selects, as "name{labels}" → value
    /// (throws when it does not answer within <paramref name="timeout"/>).</summary>
    internal static async Task<Dictionary<string, double>> ScrapeAsync(string url, Func<string, bool> keep, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var series = new Dictionary<string, double>();
        foreach (var line in (await MetricsHttp.GetStringAsync(url + "/metrics", cts.Token)).Split('\n'))
        {
            if (!keep(line)) continue;
            var sp = line.LastIndexOf(' ');
            if (sp > 0 && double.TryParse(line[(sp + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) series[line[..sp]] = v;
        }
        return series;
    }

    /// <summary>Counters without labels from a Prometheus text page (NaN when the server has no such series, or did not
    /// answer within 10 s: printed, since a replica that cannot answer its /metrics is a finding of its own).</summary>
    internal static async Task<double> MetricAsync(string url, string name)
    {
        try { return (await ScrapeAsync(url, line => line.StartsWith(name + " ", StringComparison.Ordinal), TimeSpan.FromSeconds(10))).GetValueOrDefault(name, double.NaN); }
        catch (HttpRequestException) { }
        catch (TaskCanceledException) { Console.WriteLine($"  ({url}/metrics did not answer within 10 s)"); }
        return double.NaN;
    }

    /// <summary>A write through REST whose title carries the writer's timestamp (receivers measure write→delivery); false
    /// when it failed, and then <paramref name="failed"/> is told why (status or exception).</summary>
    internal static async Task<bool> WriteAsync(HttpClient http, string url, Guid board, string token, Action<string>? failed = null, bool keyed = false)
    {
        var stamp = Stopwatch.GetTimestamp();
        using var req = new HttpRequestMessage(HttpMethod.Post, $"{url}/api/boards/{board}/tasks") { Content = JsonContent.Create(new { title = $"b|{stamp}" }) };
        req.Headers.Authorization = new("Bearer", token);
        if (keyed) req.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString()); // a new one per creation, as the web client sends
        try
        {
            using var r = await http.SendAsync(req);
            if (!r.IsSuccessStatusCode) failed?.Invoke($"HTTP {(int)r.StatusCode}");
            return r.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            failed?.Invoke(e.GetType().Name);
            return false;
        }
    }

    /// <summary>Posts one real TaskHub event to the bare server as its template, so its frames have TaskHub's size and shape.</summary>
    public static async Task PostBareTemplateAsync(string bareUrl, string taskHubUrl, Setup setup)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var req = new HttpRequestMessage(HttpMethod.Get, $"{taskHubUrl}/api/boards/{setup.CatchUpBoard}/events?after=0&limit=1");
        req.Headers.Authorization = new("Bearer", setup.WriterToken);
        using var r = await http.SendAsync(req);
        r.EnsureSuccessStatusCode();
        var ev = (await r.Content.ReadFromJsonAsync<JsonElement>())[0];
        (await http.PostAsync($"{bareUrl}/template", new StringContent(ev.GetRawText(), System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
    }
}

/// <summary>
/// One viewer's seqs: the contiguous prefix it has (everything up to <see cref="Contig"/>), what arrived ahead of a
/// gap, events that arrived after a higher seq (out of order: a gap filled late) and events it already had (duplicates).
/// </summary>
public sealed class SeqTracker
{
    private readonly object _gate = new();
    private readonly SortedSet<long> _ahead = [];
    private long _maxSeen = -1;
    public long Contig = -1;
    public long LastHead = -1;
    public long Received, OutOfOrder, Duplicates;

    public void Head(long head)
    {
        lock (_gate)
        {
            LastHead = head;
            if (Contig < 0) { Contig = head; Drain(); }
        }
    }

    /// <summary>A pushed event, or (<paramref name="fetched"/>) one read from the REST event log after a join's head.</summary>
    public void Event(long seq) => Event(seq, fetched: false);

    /// <returns>Whether this viewer did not have it yet (false: a duplicate).</returns>
    public bool Event(long seq, bool fetched)
    {
        lock (_gate)
        {
            Received++;
            if ((Contig >= 0 && seq <= Contig) || _ahead.Contains(seq)) { Duplicates++; return false; } // e.g. a catch-up replaying what it had
            if (seq < _maxSeen && !fetched) OutOfOrder++;
            _maxSeen = Math.Max(_maxSeen, seq);
            if (Contig < 0 || seq <= Contig) { if (Contig < 0) _ahead.Add(seq); return true; }
            _ahead.Add(seq);
            Drain();
            return true;
        }
    }

    private void Drain()
    {
        while (_ahead.Count > 0 && _ahead.Min <= Contig + 1)
        {
            Contig = Math.Max(Contig, _ahead.Min);
            _ahead.Remove(_ahead.Min);
        }
    }

    public long ContigNow { get { lock (_gate) return Contig; } }
    /// <summary>Seqs up to <paramref name="head"/> this viewer never got.</summary>
    public long MissingUpTo(long head) { lock (_gate) return Contig < 0 ? 0 : Math.Max(0, head - Contig - _ahead.Count(s => s <= head)); }
    public long FirstMissing { get { lock (_gate) return Contig + 1; } }
    public long HeadNow { get { lock (_gate) return LastHead; } }
}

/// <summary>
/// The reconnect storm's staleness, per viewer: for each event it did not have yet (duplicates excluded: the first
/// arrival, pushed on any of its connections or read by a REST gap fetch) written at or after <see cref="Start"/>'s
/// timestamp (the writer's Stopwatch stamp in the title, <see cref="Points.WriteAsync"/>), the time from the write to
/// that arrival. Off (nothing kept) until started.
/// </summary>
public sealed class FirstArrivals
{
    private readonly object _gate = new();
    // Per arrival: µs from the start to the write << 32 | fetched << 31 | µs from the write to the arrival.
    private List<long> _items = [];
    private long _from = long.MaxValue, _until = long.MaxValue;

    /// <summary>Keeps the events written from <paramref name="from"/> (Stopwatch ticks) on, forgetting what was kept.</summary>
    public void Start(long from) { lock (_gate) (_items, _from, _until) = ([], from, long.MaxValue); }

    /// <summary>Keeps no events written after <paramref name="until"/> from now on (what was kept stays until <see cref="Stop"/>).</summary>
    public void Until(long until) { lock (_gate) _until = until; }

    public void Add(long stamp, long at, bool fetched)
    {
        if (stamp < Volatile.Read(ref _from)) return; // off, or written before the start
        var ageUs = Math.Clamp((at - stamp) * 1_000_000 / Stopwatch.Frequency, 0, int.MaxValue);
        lock (_gate)
        {
            if (stamp < _from || stamp > _until) return;
            var writtenUs = (stamp - _from) * 1_000_000 / Stopwatch.Frequency;
            if (writtenUs <= int.MaxValue) _items.Add(writtenUs << 32 | (fetched ? 1L << 31 : 0) | ageUs);
        }
    }

    /// <summary>Stops keeping; adds the write→arrival µs of the events written up to <paramref name="until"/> to
    /// <paramref name="into"/> (when given) and returns how many of those arrived by a REST gap fetch.</summary>
    public int Stop(long until, List<int>? into)
    {
        List<long> items;
        long from;
        lock (_gate) { (items, from) = (_items, _from); (_items, _from, _until) = ([], long.MaxValue, long.MaxValue); }
        if (into is null || from == long.MaxValue) return 0;
        var untilUs = (until - from) * 1_000_000 / Stopwatch.Frequency;
        var fetched = 0;
        foreach (var x in items)
        {
            if (x >> 32 > untilUs) continue;
            into.Add((int)(x & int.MaxValue));
            if ((x & 1L << 31) != 0) fetched++;
        }
        return fetched;
    }
}

/// <summary>A light client on one board whose seqs go to a <see cref="SeqTracker"/>; re-openable after a close.</summary>
public sealed class BoardViewer(Guid board, string token, Sink sink)
{
    public string? Url;
    public readonly Guid Board = board;
    public readonly SeqTracker Seqs = new();
    public LightClient? Client;
    /// <summary>Write→first-arrival times of this viewer's events (the reconnect storm's staleness; off unless started).</summary>
    public readonly FirstArrivals Arrivals = new();

    /// <summary>A pushed task event, on whichever of this viewer's connections.</summary>
    private void Arrived(long seq, long stamp, long at)
    {
        if (Seqs.Event(seq, fetched: false) && stamp != 0) Arrivals.Add(stamp, at, fetched: false);
    }

    /// <summary>An event read from the REST event log (a gap fetch) at <paramref name="at"/>; <paramref name="stamp"/> from its title.</summary>
    public void Fetched(long seq, long stamp, long at)
    {
        if (Seqs.Event(seq, fetched: true) && stamp != 0) Arrivals.Add(stamp, at, fetched: true);
    }

    private Task<LightClient> OpenAsync(string url, bool move = false) => LightClient.OpenAsync(url, token, sink, null, Arrived, move);

    public async Task ConnectAsync(string url, long? afterSeq, CancellationToken ct)
    {
        var c = await OpenAsync(url);
        c.OnHead = Seqs.Head;
        try { await c.JoinAsync(Board, afterSeq, ct); }
        catch { await c.DisposeAsync(); throw; }
        Client = c;
        Url = url;
    }

    /// <summary>
    /// <see cref="ConnectAsync"/> with its phases timed for the reconnect storm: <c>Open</c> = WebSocket upgrade +
    /// SignalR handshake, <c>Join</c> = JoinBoard until its completion. A failure is thrown as a
    /// <see cref="StormAttemptException"/> that names the phase and why (HTTP status, close, timeout, hub error).
    /// </summary>
    public async Task<(double OpenS, double JoinS)> ConnectTimedAsync(string url, long? afterSeq, TimeSpan openTimeout, TimeSpan joinTimeout)
    {
        var (c, open, join) = await OpenJoinTimedAsync(url, () => afterSeq, openTimeout, joinTimeout);
        Client = c;
        Url = url;
        return (open, join);
    }

    /// <summary>
    /// The handover's move, make before break: a new connection to <paramref name="url"/> joined from the last contiguous
    /// seq this viewer has (read once the new connection is open; the old one keeps delivering meanwhile, and what both
    /// deliver counts once, <see cref="SeqTracker"/>), made the current <see cref="Client"/>, and only then the old one
    /// disposed. Timed and failing like <see cref="ConnectTimedAsync"/>; on a failure the old connection stays.
    /// </summary>
    /// <param name="rebalancing">The replica asked because it is rebalancing, not stopping: the new connection is marked
    /// <c>?move=1</c>, as the browser's, and the asking replica refuses it while it waits for its asked moves.</param>
    public async Task<(double OpenS, double JoinS, bool OldClosedFirst)> MoveAsync(string url, TimeSpan openTimeout, TimeSpan joinTimeout, bool rebalancing = false)
    {
        var old = Client;
        var (c, open, join) = await OpenJoinTimedAsync(url, () => Seqs.ContigNow, openTimeout, joinTimeout, move: rebalancing);
        Client = c;
        Url = url;
        var oldClosedFirst = old is { Closed.IsCompleted: true }; // its replica closed it before the move was done: a gap
        if (old is not null) try { await old.DisposeAsync(); } catch (Exception) { }
        return (open, join, oldClosedFirst);
    }

    private async Task<(LightClient Client, double OpenS, double JoinS)> OpenJoinTimedAsync(string url, Func<long?> afterSeq, TimeSpan openTimeout, TimeSpan joinTimeout, bool move = false)
    {
        var t0 = Stopwatch.GetTimestamp();
        LightClient c;
        try { c = await OpenAsync(url, move).WaitAsync(openTimeout); }
        catch (Exception e) { throw new StormAttemptException("open", e); }
        var open = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        c.OnHead = Seqs.Head;
        try
        {
            using var timeout = new CancellationTokenSource(joinTimeout);
            await c.JoinAsync(Board, afterSeq(), timeout.Token);
        }
        catch (Exception e)
        {
            await c.DisposeAsync();
            throw new StormAttemptException("join", e);
        }
        return (c, open, Stopwatch.GetElapsedTime(t0).TotalSeconds - open);
    }

    public async Task DisposeAsync()
    {
        if (Client is { } c) { Client = null; try { await c.DisposeAsync(); } catch (Exception) { } }
    }
}

public sealed record ManyBoardsResult(string Config, int Rep, double P50, double P99, long Lost, long OutOfOrder, long Writes, long Deliveries,
    double[] FeedReceived, double[] EventsPushed, double RawCpuUsPerDelivery, double WriteP99);

/// <summary>
/// 1,000 boards × 5 viewers (BENCH_MB_BOARDS, BENCH_MB_VIEWERS), 50 writes/s (BENCH_MB_RATE) each to a random board,
/// viewers alternating replicas; write→delivery percentiles, lost and out-of-order per viewer, and per replica the
/// messages it read from the board feed's Redis channel and the events it pushed to its viewers.
/// </summary>
public sealed class ManyBoardsPoint(ServerConfig config, Guid[] allBoards, string token, BenchOptions opts)
{
    private readonly Sink _sink = new();

    public async Task<List<ManyBoardsResult>> RunAsync()
    {
        var boardCount = Math.Min(allBoards.Length, Points.EnvInt("BENCH_MB_BOARDS", 1000));
        var viewersPer = Points.EnvInt("BENCH_MB_VIEWERS", 5);
        var rate = Points.EnvDouble("BENCH_MB_RATE", 50);
        var boards = allBoards[..boardCount];
        Console.WriteLine($"\n=== many boards on {config.Name}: {boardCount} boards × {viewersPer} viewers, {rate:0} writes/s spread over them");
        LightClient.Init(opts.LocalAddresses);
        var viewers = Enumerable.Range(0, boardCount * viewersPer).Select(i => new BoardViewer(boards[i / viewersPer], token, _sink)).ToArray();
        var sw = Stopwatch.StartNew();
        var failures = 0;
        await Parallel.ForAsync(0, viewers.Length, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    await viewers[i].ConnectAsync(config.Urls[i % config.Urls.Length], null, timeout.Token);
                    return;
                }
                catch (Exception e)
                {
                    if (Interlocked.Increment(ref failures) <= 3) Console.WriteLine($"  connect failed ({e.GetType().Name}: {e.Message}); retrying");
                    await Task.Delay(500);
                }
            }
        });
        var until = DateTime.UtcNow.AddSeconds(20);
        while (viewers.Any(v => v.Client is not null && v.Seqs.ContigNow < 0) && DateTime.UtcNow < until) await Task.Delay(100);
        var live = viewers.Where(v => v.Client is not null).ToArray();
        Console.WriteLine($"  {live.Length} of {viewers.Length} viewers connected and joined in {sw.Elapsed.TotalSeconds:0.0} s");
        var results = new List<ManyBoardsResult>();
        try
        {
            // Unrecorded warm-up, as the fan-out's first point has (10 s): on a freshly started cluster the REST writes of
            // the first reps still ran through tiered JIT (their own p99 41–42 ms against 19 ms once warm).
            await Phase(live, boards, rate, Points.EnvDouble("BENCH_MB_WARMUP", 10), 0);
            for (var rep = 1; rep <= opts.Reps; rep++) results.Add(await Phase(live, boards, rate, opts.Seconds, rep));
        }
        finally
        {
            await Parallel.ForEachAsync(viewers, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (v, _) => await v.DisposeAsync());
        }
        return results;
    }

    private async Task<ManyBoardsResult> Phase(BoardViewer[] viewers, Guid[] boards, double rate, double seconds, int rep)
    {
        var writes = (int)Math.Round(seconds * rate);
        _sink.Reset(writes * 10 + 1000);
        var acked = new int[boards.Length];
        var index = boards.Select((b, i) => (b, i)).ToDictionary(x => x.b, x => x.i);
        var before = viewers.Select(v => Volatile.Read(ref v.Seqs.Received)).ToArray();
        var oooBefore = viewers.Select(v => Volatile.Read(ref v.Seqs.OutOfOrder)).ToArray();
        var feed0 = await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, "taskhub_feed_messages_received_total")));
        var pushed0 = await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, "taskhub_events_pushed_total")));
        var cpu0 = Probe.Cpu(config);
        _sink.Recording = rep > 0;
        var rnd = new Random(rep);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { Timeout = TimeSpan.FromSeconds(30) };
        var writeMs = new ConcurrentBag<double>();
        var inflight = new List<Task>();
        var t0 = Stopwatch.GetTimestamp();
        var interval = Stopwatch.Frequency / rate;
        for (var w = 0; w < writes; w++)
        {
            var due = t0 + (long)(w * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                var ms = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
                if (ms > 2) await Task.Delay((int)ms - 1); else Thread.SpinWait(50);
            }
            var b = rnd.Next(boards.Length);
            var url = config.Urls[w % config.Urls.Length];
            inflight.Add(Task.Run(async () =>
            {
                var s = Stopwatch.GetTimestamp();
                if (await Points.WriteAsync(http, url, boards[b], token)) Interlocked.Increment(ref acked[b]);
                writeMs.Add(Stopwatch.GetElapsedTime(s).TotalMilliseconds);
            }));
        }
        await Task.WhenAll(inflight);
        var drainUntil = DateTime.UtcNow.AddSeconds(15);
        bool Behind()
        {
            for (var i = 0; i < viewers.Length; i++)
                if (Volatile.Read(ref viewers[i].Seqs.Received) - before[i] < acked[index[viewers[i].Board]]) return true;
            return false;
        }
        while (Behind() && DateTime.UtcNow < drainUntil) await Task.Delay(50);
        _sink.Recording = false;
        var cpu1 = Probe.Cpu(config);
        var feed1 = await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, "taskhub_feed_messages_received_total")));
        var pushed1 = await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, "taskhub_events_pushed_total")));
        long lost = 0, ooo = 0;
        for (var i = 0; i < viewers.Length; i++)
        {
            lost += Math.Max(0, acked[index[viewers[i].Board]] - (Volatile.Read(ref viewers[i].Seqs.Received) - before[i]));
            ooo += Volatile.Read(ref viewers[i].Seqs.OutOfOrder) - oooBefore[i];
        }
        var (p50, p99, _, count) = _sink.Percentiles();
        var r = new ManyBoardsResult(config.Name, rep, p50, p99, lost, ooo, acked.Sum(), count,
            feed1.Zip(feed0, (a, b) => a - b).ToArray(), pushed1.Zip(pushed0, (a, b) => a - b).ToArray(),
            (cpu1 - cpu0) * 1e6 / Math.Max(1, count), Points.Pct(writeMs, 0.99));
        if (rep > 0)
            Console.WriteLine($"  rep {rep}: p50 {p50:0.0} ms, p99 {p99:0.0} ms, {r.Writes} writes, {count} deliveries, lost {lost}, out-of-order {ooo}, " +
                              $"REST write p99 {r.WriteP99:0.0} ms, {r.RawCpuUsPerDelivery:0.0} µs raw CPU/delivery; per replica: feed messages received " +
                              $"{string.Join(" / ", r.FeedReceived.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}, events pushed " +
                              $"{string.Join(" / ", r.EventsPushed.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))}");
        return r;
    }

    public static void Print(List<ManyBoardsResult> all)
    {
        Console.WriteLine("\n=== Many boards: medians over reps (target: cluster p99 ≤ 40 ms, 0 lost, 0 out-of-order)");
        Console.WriteLine("| setup | p50 ms | p99 ms | writes/rep | deliveries/rep | lost | out-of-order | raw CPU µs/delivery | feed messages received per replica | events pushed per replica | p99 ÷ bare |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|");
        var bareP99 = Points.Median(all.Where(r => r.Config.StartsWith("bare", StringComparison.Ordinal)).Select(r => r.P99));
        foreach (var g in all.GroupBy(r => r.Config))
        {
            var rs = g.ToList();
            var replicas = rs[0].FeedReceived.Length;
            string PerReplica(Func<ManyBoardsResult, double[]> f) => string.Join(" / ", Enumerable.Range(0, replicas).Select(i => Points.Median(rs.Select(r => f(r)[i])).ToString("0", CultureInfo.InvariantCulture)));
            var p99 = Points.Median(rs.Select(r => r.P99));
            Console.WriteLine($"| {g.Key} | {Points.Median(rs.Select(r => r.P50)):0.0} | {p99:0.0} | {Points.Median(rs.Select(r => (double)r.Writes)):0} | {Points.Median(rs.Select(r => (double)r.Deliveries)):0} | " +
                              $"{rs.Sum(r => r.Lost)} | {rs.Sum(r => r.OutOfOrder)} | {Points.Median(rs.Select(r => r.RawCpuUsPerDelivery)):0.0} | {PerReplica(r => r.FeedReceived)} | {PerReplica(r => r.EventsPushed)} | {Points.Ratio(p99, bareP99)} |");
            if (g.Key.StartsWith("cluster", StringComparison.Ordinal))
                Console.WriteLine($"  (cluster p99 {p99:0.0} ms / target 40 ms: {Points.Verdict(p99, 40)}; ratio to bare SignalR {Points.Ratio(p99, bareP99)})");
        }
    }
}

public sealed record WritesResult(string Config, int Boards, int Rep, double PerSec, double P50, double P99, double CpuMsPerWrite, int Ok, int Failed, double MachineMsPerWrite = 0, double DbMsPerWrite = double.NaN)
{
    /// <summary>The board's lock over the window, from the replicas' histograms (null for a server without them).</summary>
    public BoardLock? Lock { get; init; }
    /// <summary>The bytes the setup's servers allocated per write (their GC's total allocated, from /metrics; NaN where a
    /// server does not publish it): what their GCs clear.</summary>
    public double BytesPerWrite { get; init; } = double.NaN;
    /// <summary>The JIT's compilation time over the window, as a share of the servers' CPU in it (%; NaN where the
    /// servers do not publish it).</summary>
    public double JitPercent { get; init; } = double.NaN;
    /// <summary>Context switches per successful write over the window: the whole machine's (/proc/stat) and the setup's
    /// servers' own threads' (those alive at its end; NaN for a window that had no write).</summary>
    public double SwitchesPerWrite { get; init; } = double.NaN;
    public double ServerSwitchesPerWrite { get; init; } = double.NaN;
}

/// <summary>
/// The board's lock over a window, from TaskHub's <c>taskhub_board_seq_wait_seconds</c> and <c>taskhub_board_lock_held_seconds</c>
/// histograms summed over a setup's replicas (the difference of two scrapes): how long writes waited for it and held it, in ms,
/// quantiles interpolated within the buckets as Prometheus' <c>histogram_quantile</c> does, and the holds over 100 ms.
/// </summary>
public sealed record BoardLock(double WaitP50, double WaitP99, double HeldP50, double HeldP99, double HeldOver100Ms, double Writes, double SaveP50, double SaveP99)
{
    private const string Wait = "taskhub_board_seq_wait_seconds", Held = "taskhub_board_lock_held_seconds", Save = "taskhub_board_write_save_seconds";

    /// <summary>The two histograms' buckets (le → cumulative count) summed over <paramref name="urls"/>; null when a server has none.</summary>
    public static async Task<Dictionary<string, SortedDictionary<double, double>>?> ScrapeAsync(IEnumerable<string> urls)
    {
        var sum = new Dictionary<string, SortedDictionary<double, double>> { [Wait] = [], [Held] = [], [Save] = [] };
        foreach (var url in urls)
        {
            Dictionary<string, double> series;
            try { series = await Points.ScrapeAsync(url, l => l.StartsWith("taskhub_board_", StringComparison.Ordinal), TimeSpan.FromSeconds(10)); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
            if (series.Count == 0) return null;
            foreach (var (key, v) in series)
            {
                var name = key.Split('{')[0];
                if (!name.EndsWith("_bucket", StringComparison.Ordinal) || !sum.TryGetValue(name[..^"_bucket".Length], out var buckets)) continue;
                var le = key[(key.IndexOf("le=\"", StringComparison.Ordinal) + 4)..].TrimEnd('}', '"');
                var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, NumberStyles.Float, CultureInfo.InvariantCulture);
                buckets[bound] = buckets.GetValueOrDefault(bound) + v;
            }
        }
        return sum;
    }

    /// <summary>The lock over the window between two <see cref="ScrapeAsync"/>s (null when either is).</summary>
    public static BoardLock? Between(Dictionary<string, SortedDictionary<double, double>>? before, Dictionary<string, SortedDictionary<double, double>>? after)
    {
        if (before is null || after is null) return null;
        SortedDictionary<double, double> D(string n) => new(after[n].ToDictionary(b => b.Key, b => b.Value - before[n].GetValueOrDefault(b.Key)));
        var (wait, held, save) = (D(Wait), D(Held), D(Save));
        var writes = held.GetValueOrDefault(double.PositiveInfinity);
        return new BoardLock(Quantile(wait, 0.5), Quantile(wait, 0.99), Quantile(held, 0.5), Quantile(held, 0.99), writes - held.Where(b => b.Key <= 0.11).Select(b => b.Value).LastOrDefault(), writes,
            Quantile(save, 0.5), Quantile(save, 0.99));
    }

    /// <summary>histogram_quantile over cumulative buckets, in ms.</summary>
    private static double Quantile(SortedDictionary<double, double> cumulative, double q)
    {
        var total = cumulative.GetValueOrDefault(double.PositiveInfinity);
        if (total <= 0) return double.NaN;
        var rank = q * total;
        var (lower, below) = (0.0, 0.0);
        foreach (var (le, count) in cumulative)
        {
            if (count >= rank)
                return 1000 * (double.IsPositiveInfinity(le) ? lower : lower + (le - lower) * (count - below) switch { 0 => 0, var n => (rank - below) / n });
            (lower, below) = (le, count);
        }
        return 1000 * lower;
    }

    public override string ToString() =>
        $"board lock wait p50 {WaitP50:0.00} / p99 {WaitP99:0.0} ms, held p50 {HeldP50:0.00} / p99 {HeldP99:0.0} ms (of it the save and commit p50 {SaveP50:0.00} / p99 {SaveP99:0.0} ms), {HeldOver100Ms:0} of {Writes:0} holds over 102.4 ms (the bucket above 100 ms)";
}

/// <summary>
/// REST writes, closed loop: 16 writers (BENCH_WRITERS), each on its own connection to one replica (alternating),
/// creating tasks on one board or spread round-robin over 100; writes/s, p50/p99 and the servers' CPU per write
/// (utime + stime of every replica of the setup over the window ÷ successful writes) and the machine's (every process's
/// busy time, the bench's writers, MariaDB and Redis included, ÷ successful writes) and MariaDB's alone (its pid file,
/// when readable). No viewers. With run.sh's database floor (<see cref="Floor"/>) last: the bare server making the same
/// statements in the same round trips with nothing of TaskHub around them (bench/TaskHub.BareSignalR/BareDbWrite.cs).
/// BENCH_WRITES_KEYED=1: every creation carries a new Idempotency-Key, as the web client's do; =both: each rep measures
/// without and with keys in turn (alternating which goes first), reported as two setups (<see cref="KeyedSuffix"/>).
/// </summary>
public static class WritesPoint
{
    public const string Floor = "floor: bare server + TaskHub's SQL";
    public const string KeyedSuffix = " + Idempotency-Key";

    public static async Task<List<WritesResult>> RunAsync(ServerConfig config, Guid oneBoard, Guid[] hundred, string token)
    {
        var writers = Points.EnvInt("BENCH_WRITERS", 16);
        var seconds = Points.EnvDouble("BENCH_WRITES_SECONDS", 10);
        var reps = Points.EnvInt("BENCH_WRITES_REPS", Points.EnvInt("BENCH_REPS", 3));
        var warmUp = Points.EnvDouble("BENCH_WRITES_WARMUP", 3); // seconds per warm-up window
        var warmMax = Points.EnvDouble("BENCH_WRITES_WARMUP_MAX", 240);
        var warmMin = Points.EnvDouble("BENCH_WRITES_WARMUP_MIN", 30); // tiering drops the CPU in steps, with plateaus between them
        var warmJitMax = Points.EnvDouble("BENCH_WRITES_WARMUP_JIT", 2); // % of the servers' CPU (NaN where not published: passes)
        bool[] modes = config.Name == Floor ? [false] : Points.Env("BENCH_WRITES_KEYED", "0") switch { "1" => [true], "both" => [false, true], _ => [false] };
        Console.WriteLine($"\n=== REST writes on {config.Name}: {writers} writers, {reps} reps × {seconds:0} s (warm-up in {warmUp:0} s windows until the CPU per write stops falling and the JIT takes at most {warmJitMax:0.#} % of the servers' CPU, at most {warmMax:0} s per layout){(modes.Contains(true) ? $"; keys: {string.Join(", ", modes.Select(k => k ? "with" : "without"))}" : "")}");
        var results = new List<WritesResult>();
        foreach (var layout in new[] { new[] { oneBoard }, hundred })
        {
            // Tiered JIT compilation of a fresh replica goes on for tens of seconds on 2 busy cores; a window measured
            // during it counts the JIT's CPU as the writes' (3.2–3.5 ms per write after 3 s of warm-up, 1.1 ms warm).
            // Warm until a window's CPU per write is no more than 5 % below the best window before it and the JIT took at
            // most BENCH_WRITES_WARMUP_JIT (2) % of the servers' CPU in it and in the one before (each mode; late tier-1
            // bursts come after a quiet window): the CPU per write alone looked flat while tier-1 compilation still took
            // 11-14 % of a replica's samples (bench/README.md, "Thirty-seventh round").
            foreach (var keyed in modes)
            {
                var warmCpu = new List<double>();
                var warmJit = new List<double>();
                var warmStart = Stopwatch.GetTimestamp();
                do
                {
                    var w = await Window(config, layout, writers, warmUp, token, keyed);
                    warmCpu.Add(w.CpuMsPerWrite);
                    warmJit.Add(w.JitPercent);
                }
                while ((warmCpu.Count < 2 || warmCpu[^1] < 0.95 * warmCpu.SkipLast(1).Min() || warmJit.TakeLast(2).Any(j => j > warmJitMax) || Stopwatch.GetElapsedTime(warmStart).TotalSeconds < warmMin)
                       && Stopwatch.GetElapsedTime(warmStart).TotalSeconds < warmMax);
                Console.WriteLine($"  {layout.Length} board(s){(keyed ? KeyedSuffix : "")}: warm after {Stopwatch.GetElapsedTime(warmStart).TotalSeconds:0} s; CPU ms/write per warm-up window: {string.Join(", ", warmCpu.Select(c => c.ToString("0.00", CultureInfo.InvariantCulture)))}"
                                  + (warmJit.Any(double.IsFinite) ? $"; the JIT's % of the servers' CPU: {string.Join(", ", warmJit.Select(j => j.ToString("0.0", CultureInfo.InvariantCulture)))}" : ""));
            }
            for (var rep = 1; rep <= reps; rep++)
                foreach (var keyed in rep % 2 == 1 ? modes : modes.Reverse())
                {
                    var r = await Window(config, layout, writers, seconds, token, keyed) with { Rep = rep };
                    Console.WriteLine($"  {layout.Length} board(s){(keyed ? KeyedSuffix : "")}, rep {rep}: {r.PerSec:0} writes/s, p50 {r.P50:0.0} ms, p99 {r.P99:0.0} ms, {r.CpuMsPerWrite:0.00} ms CPU/write{(double.IsFinite(r.JitPercent) ? $" (JIT {r.JitPercent:0.0} %)" : "")}, MariaDB {r.DbMsPerWrite:0.00} ms/write, machine {r.MachineMsPerWrite:0.00} ms/write, context switches per write {r.SwitchesPerWrite:0.0} (the servers' {r.ServerSwitchesPerWrite:0.0}){(double.IsFinite(r.BytesPerWrite) ? $", {r.BytesPerWrite / 1024:0.0} KB allocated per write" : "")}, {r.Failed} failed{(r.Lock is { } l ? "; " + l : "")}");
                    results.Add(r);
                }
        }
        return results;
    }

    private static async Task<WritesResult> Window(ServerConfig config, Guid[] boards, int writers, double seconds, string token, bool keyed)
    {
        var handlers = config.Urls.Select(_ => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = TimeSpan.FromSeconds(30) }).ToArray();
        var lat = new ConcurrentBag<double>();
        int ok = 0, failed = 0, next = 0;
        var lock0 = await BoardLock.ScrapeAsync(config.Urls);
        var jit0 = await JitSecondsAsync(config);
        var alloc0 = await AllocatedBytesAsync(config);
        var cpu0 = Probe.Cpu(config);
        var db0 = Probe.MariaDbCpuSeconds();
        var machine0 = Probe.MachineBusySeconds();
        var switches0 = Probe.MachineContextSwitches();
        var serverSwitches0 = config.Pids.Select(Probe.ContextSwitches).ToList();
        var t0 = Stopwatch.GetTimestamp();
        var end = t0 + (long)(seconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(k => Task.Run(async () =>
        {
            var http = handlers[k % handlers.Length];
            var url = config.Urls[k % config.Urls.Length];
            while (Stopwatch.GetTimestamp() < end)
            {
                var board = boards[(Interlocked.Increment(ref next) & int.MaxValue) % boards.Length];
                var s = Stopwatch.GetTimestamp();
                var success = await Points.WriteAsync(http, url, board, token, keyed: keyed);
                lat.Add(Stopwatch.GetElapsedTime(s).TotalMilliseconds);
                if (success) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failed);
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        var cpu = Probe.Cpu(config) - cpu0;
        var machine = Probe.MachineBusySeconds() - machine0;
        var switches = Probe.MachineContextSwitches() - switches0;
        var serverSwitches = config.Pids.Select((pid, i) => Probe.ContextSwitchesBetween(serverSwitches0[i], Probe.ContextSwitches(pid))).Sum();
        var db = Probe.MariaDbCpuSeconds() - db0;
        // The allocation counter is the last scrape before the window and the first after it, so the bytes counted include
        // about one /metrics scrape per replica (~166 KB each, bench/README.md "Forty-fourth round"), not three.
        var allocated = await AllocatedBytesAsync(config) - alloc0;
        var lockHeld = BoardLock.Between(lock0, await BoardLock.ScrapeAsync(config.Urls));
        var jit = await JitSecondsAsync(config) - jit0;
        foreach (var h in handlers) h.Dispose();
        return new WritesResult(keyed ? config.Name + KeyedSuffix : config.Name, boards.Length, 0, ok / elapsed, Points.Pct(lat, 0.5), Points.Pct(lat, 0.99), cpu * 1000 / Math.Max(1, ok), ok, failed,
            machine * 1000 / Math.Max(1, ok), db * 1000 / Math.Max(1, ok)) { Lock = lockHeld, JitPercent = cpu > 0 ? jit * 100 / cpu : double.NaN,
                SwitchesPerWrite = ok > 0 ? (double)switches / ok : double.NaN, ServerSwitchesPerWrite = ok > 0 ? (double)serverSwitches / ok : double.NaN,
                BytesPerWrite = ok > 0 ? allocated / ok : double.NaN };
    }

    /// <summary>The bytes the setup's servers have allocated since they started (/metrics, summed); NaN when one does
    /// not publish it (the bare servers).</summary>
    private static async Task<double> AllocatedBytesAsync(ServerConfig config) =>
        (await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, Probe.AllocatedBytes)))).Sum();

    /// <summary>The seconds the setup's servers' JIT has spent compiling since they started (the runtime's
    /// <c>dotnet.jit.compilation.time</c> on /metrics, summed); NaN when one does not publish it (the bare servers).</summary>
    private static async Task<double> JitSecondsAsync(ServerConfig config) =>
        (await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, "system_runtime_dotnet_jit_compilation_time")))).Sum();

    public static void Print(List<WritesResult> all, List<ServerConfig> configs)
    {
        Console.WriteLine("\n=== REST writes: medians over reps (targets on the cluster: ≥ 1,500 writes/s over 100 boards at p99 ≤ 30 ms; ≤ 1.5 ms CPU per write)");
        Console.WriteLine("| setup | boards | writes/s | p50 ms | p99 ms | CPU ms/write | MariaDB ms/write | machine ms/write | switches/write (servers') | failed | writes/s ÷ bare | CPU/write ÷ bare | writes/s ÷ floor | machine/write ÷ floor |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        double M(IEnumerable<WritesResult> xs, Func<WritesResult, double> f) => Points.Median(xs.Select(f));
        var bareName = configs.FirstOrDefault(c => c.IsBare())?.Name;
        foreach (var g in all.GroupBy(r => (r.Config, r.Boards)))
        {
            var rs = g.ToList();
            var bare = all.Where(r => r.Boards == g.Key.Boards && r.Config == (g.Key.Config.EndsWith(KeyedSuffix, StringComparison.Ordinal) ? bareName + KeyedSuffix : bareName)).ToList();
            var floor = all.Where(r => r.Boards == g.Key.Boards && r.Config == Floor).ToList();
            Console.WriteLine($"| {g.Key.Config} | {g.Key.Boards} | {M(rs, r => r.PerSec):0} | {M(rs, r => r.P50):0.0} | {M(rs, r => r.P99):0.0} | {M(rs, r => r.CpuMsPerWrite):0.00} | {M(rs, r => r.DbMsPerWrite):0.00} | {M(rs, r => r.MachineMsPerWrite):0.00} | {M(rs, r => r.SwitchesPerWrite):0.0} ({M(rs, r => r.ServerSwitchesPerWrite):0.0}) | {rs.Sum(r => r.Failed)} | " +
                              $"{Points.Ratio(M(rs, r => r.PerSec), M(bare, r => r.PerSec))} | {Points.Ratio(M(rs, r => r.CpuMsPerWrite), M(bare, r => r.CpuMsPerWrite))} | " +
                              $"{Points.Ratio(M(rs, r => r.PerSec), M(floor, r => r.PerSec))} | {Points.Ratio(M(rs, r => r.MachineMsPerWrite), M(floor, r => r.MachineMsPerWrite))} |");
        }
        foreach (var g in all.Where(r => r.Lock is not null).GroupBy(r => (r.Config, r.Boards)))
        {
            var ls = g.Select(r => r.Lock!).ToList();
            Console.WriteLine($"  {g.Key.Config}, {g.Key.Boards} board(s), the board's lock (medians over reps): wait p50 {Points.Median(ls.Select(l => l.WaitP50)):0.00} / p99 {Points.Median(ls.Select(l => l.WaitP99)):0.0} ms, " +
                              $"held p50 {Points.Median(ls.Select(l => l.HeldP50)):0.00} / p99 {Points.Median(ls.Select(l => l.HeldP99)):0.0} ms (the save and commit p50 {Points.Median(ls.Select(l => l.SaveP50)):0.00} / p99 {Points.Median(ls.Select(l => l.SaveP99)):0.0} ms); holds over 102.4 ms per rep: {string.Join(", ", ls.Select(l => l.HeldOver100Ms.ToString("0", CultureInfo.InvariantCulture)))}");
        }
        foreach (var keyed in new[] { false, true })
        {
            var cl = all.Where(r => r.Config.StartsWith("cluster", StringComparison.Ordinal) && r.Config.EndsWith(KeyedSuffix, StringComparison.Ordinal) == keyed && r.Boards == 100).ToList();
            if (cl.Count == 0) continue;
            var perSec = Points.Median(cl.Select(r => r.PerSec)); var p99 = Points.Median(cl.Select(r => r.P99)); var cpu = Points.Median(cl.Select(r => r.CpuMsPerWrite));
            Console.WriteLine($"  cluster{(keyed ? KeyedSuffix : "")}, 100 boards: {perSec:0} writes/s / target ≥ 1,500: {Points.Verdict(perSec, 1500, atMost: false)}; p99 {p99:0.0} ms / target ≤ 30: {Points.Verdict(p99, 30)}; " +
                              $"{cpu:0.00} ms CPU/write / target ≤ 1.5: {Points.Verdict(cpu, 1.5)}");
        }
        var fl = all.Where(r => r.Config == Floor && r.Boards == 100).ToList();
        if (fl.Count > 0)
        {
            // 1,500 writes/s on this machine's cores leave each write at most cores ÷ 1,500 s of the whole machine.
            var budget = Environment.ProcessorCount * 1000.0 / 1500;
            Console.WriteLine($"  floor, 100 boards: {M(fl, r => r.PerSec):0} writes/s, p99 {M(fl, r => r.P99):0.0} ms; {M(fl, r => r.MachineMsPerWrite):0.00} ms of the machine per write " +
                              $"(MariaDB {M(fl, r => r.DbMsPerWrite):0.00}, the bare server {M(fl, r => r.CpuMsPerWrite):0.00}) against the {budget:0.00} ms that 1,500 writes/s on {Environment.ProcessorCount} cores allow: " +
                              $"{(M(fl, r => r.MachineMsPerWrite) <= budget ? "the target is within this stack's reach here" : "the target is beyond this stack's floor on this machine")}");
        }
    }
}

/// <summary>A reconnect attempt that failed, with a short reason to count by (e.g. "open: HTTP 502", "join: timeout").</summary>
public sealed class StormAttemptException(string phase, Exception inner) : Exception(Why(phase, inner), inner)
{
    /// <summary>Where the attempt failed: "open" (upgrade + handshake) or "join".</summary>
    public string Phase { get; } = phase;

    public static string Why(string phase, Exception e)
    {
        var m = e.Message;
        var status = System.Text.RegularExpressions.Regex.Match(m, "status code '(\\d+)'");
        var why = e switch
        {
            TimeoutException or OperationCanceledException => "timeout",
            _ when status.Success => "HTTP " + status.Groups[1].Value,
            _ when m.StartsWith("handshake:", StringComparison.Ordinal) => "handshake error",
            _ when m.StartsWith("JoinBoard:", StringComparison.Ordinal) => "JoinBoard error " + System.Text.RegularExpressions.Regex.Match(m, "\"error\":\"([^\"]{0,60})").Groups[1].Value,
            _ when m.Contains("closed before", StringComparison.Ordinal) => "closed (" + m + ")",
            System.Net.WebSockets.WebSocketException or System.Net.Http.HttpRequestException => e.GetType().Name + ": " + (e.InnerException?.Message ?? m),
            _ => e.GetType().Name + ": " + m,
        };
        return phase + ": " + (why.Length > 100 ? why[..100] : why);
    }
}
