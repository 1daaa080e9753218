using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace TaskHub.Bench;

public sealed record StormResult(int Rep, int Replica, int Clients, int Reconnected, double AllCaughtUpS, double P50S, double P99S, double RestartS,
    long Lost, long OutOfOrder, long GapFetches, double EfQueries, double ComSelect, long Writes, int FailedWrites,
    double BalancedS, double Shed, int ShedReconnected, double ShedP50S, double ShedP99S, string BalanceSeries,
    int Told = 0, int Moved = 0, int MoveFailed = 0, double StaleP99Ms = double.NaN, double StaleMaxMs = double.NaN, double BaselineP99Ms = double.NaN,
    int ShedAsked = 0, int ShedMoved = 0, double ShedMoveP50S = double.NaN, double ShedMoveP99S = double.NaN, double NetMoved = double.NaN);

/// <summary>
/// Reconnect storm: BENCH_STORM_N clients (default 5,000) joined to BENCH_STORM_BOARDS boards (default 1: the
/// fan-out board), alternating replicas, while the bench writes at BENCH_RATE through the load balancer. Each rep
/// stops one replica (SIGTERM by its PID, replicas alternate between reps) and starts it again with
/// <c>scripts/cluster.sh replica i</c> (the same command line and settings as <c>start</c>, without its migration
/// and load-balancer reload: an nginx reload closes some proxied WebSockets a second time). Every client whose connection closed
/// reconnects on the browser's schedule (<see cref="ReconnectDelay"/>) through the load balancer (so to either replica), and sends JoinBoard(board, the last
/// seq it has); when the BoardHead that ends the join is beyond what it got, it fetches the rest from
/// <c>GET /api/boards/{id}/events?after=</c> as the browser does. The point's figure is the time from the stop until
/// the last of those clients has every event up to the head its join reported; after the writes stop, every
/// client must have every seq up to its board's head (lost) and none after a higher one (out of order).
/// Database reads during the storm: EF Core's query counter of both replicas
/// (<c>microsoft_entityframeworkcore_…_queries</c>) and MariaDB's global Com_select (every tenant of the server).
/// <para>Rebalancing (<c>Realtime:Rebalance</c>): once the restarted replica is ready, the point samples both replicas'
/// <c>taskhub_signalr_connections</c> every second and reports how many each holds over time and how long until balanced
/// (the restarted one within the tolerance of the fair share: BENCH_REBALANCE_TOLERANCE_PCT 10 %, at least
/// BENCH_REBALANCE_MIN 50, the server's defaults); it stops watching once balanced and nothing was shed for 5 s (at most
/// BENCH_STORM_BALANCE_S, 120 s). Clients the survivor closes reconnect like the others (through the load balancer, whose
/// hub upstream is least_conn) and are timed apart: the storm's figures count only the closes before the restarted replica
/// was ready (shedding cannot start before).</para>
/// <para>Handover (<c>Realtime:Handover</c>, zero-gap rolling restarts): the stopping replica sends each of its connections
/// that said <c>?handover=1</c> <c>ServerStopping { moveWithinMs }</c> and keeps serving them a while. With BENCH_STORM_HANDOVER=1 (the default) each
/// such client waits a random time within moveWithinMs, then moves (<see cref="BoardViewer.MoveAsync"/>: a new connection
/// through the load balancer, joined from its last contiguous seq, then the old one disposed, which is no close of the
/// storm's); it counts as caught up once that join completed (and a REST gap fetch, if its head asked for one). An open
/// that fails is tried again as the browser does (<see cref="MoveRetryingOpenAsync"/>); a move that still fails keeps the
/// old connection, whose close then takes the reconnect path. =0 (the A/B): the clients do not say
/// <c>?handover=1</c> on the hub URL, so the server asks none of them and closes them at its stop, as before the handover
/// (a ServerStopping that came anyway would be ignored). Clients and "reconnected" count the moved ones with the reconnected ones.</para>
/// <para>Staleness: for every task event written from the SIGTERM until all caught up, the time from its write (the stamp
/// in its title) to its first arrival at each viewer (pushed on any connection, or read by a REST gap fetch at the fetch's
/// time; duplicates excluded), for the stopped replica's viewers (those told ServerStopping or whose connection closed
/// before the restarted replica was ready) and, as the same rep's baseline, for the viewers that were never moved, closed
/// or shed during the rep (the survivor's). Events that never arrived are not in it (see lost).</para>
/// </summary>
public sealed class StormPoint(ServerConfig config, Setup setup, BenchOptions opts)
{
    /// <summary>The stopped replica's last "Handover: …" log line (how many moved, in how long, and why it ended), from the
    /// log scripts/cluster.sh appends each start's output to; null when there is none.</summary>
    private static string? LastHandover(string log)
    {
        try
        {
            // (a JSON line: its first match is the formatted message, a later one the template)
            var line = File.ReadLines(log).LastOrDefault(l => l.Contains("Handover: ", StringComparison.Ordinal));
            return line is null ? null : System.Text.RegularExpressions.Regex.Match(line, "Handover: [^\"]*").Value;
        }
        catch (IOException) { return null; }
    }

    private readonly Sink _sink = new();
    private readonly bool _handover = LightClient.Handover;
    private const string EfQueries = "microsoft_entityframeworkcore_microsoft_entityframeworkcore_queries";

    public async Task<List<StormResult>> RunAsync()
    {
        var n = Points.EnvInt("BENCH_STORM_N", 5000);
        var boardCount = Points.EnvInt("BENCH_STORM_BOARDS", 1);
        var reps = Points.EnvInt("BENCH_STORM_REPS", opts.Reps);
        var lb = Points.Env("BENCH_LB_URL", config.Urls[0]);
        var root = Points.Env("BENCH_ROOT", ".");
        var clusterDir = Points.Env("BENCH_CLUSTER_DIR", Path.Combine(root, ".run/cluster"));
        // Through the load balancer (least_conn spreads them evenly), as browsers connect: its per-replica counts are then the
        // replicas' real loads, which is what sends a shed connection to the lighter replica. BENCH_STORM_VIA_LB=0: straight to
        // the replicas, alternating (the earlier runs'; nginx then knows only the reconnects, and shed clients bounce).
        var viaLb = Points.EnvInt("BENCH_STORM_VIA_LB", 1) == 1;
        Console.WriteLine($"\n=== reconnect storm on {config.Name}: {n} clients on {boardCount} board(s), {opts.Rate:0} writes/s through {lb}, {reps} reps");
        Console.WriteLine($"  listen queues in effect (port backlog, from ss): {Points.ListenBacklogs([lb, .. config.Urls])}");
        Console.WriteLine($"  hub connections balanced by the load balancer: {Points.Env("CLUSTER_HUB_BALANCE", "least_conn")} (CLUSTER_HUB_BALANCE), passed on: {Points.Env("CLUSTER_HUB_NEXT_UPSTREAM", "error timeout http_502 http_503")} (CLUSTER_HUB_NEXT_UPSTREAM); rebalancing asks clients to move: {Points.Env("Realtime__Rebalance__AskToMove", "true")} (Realtime__Rebalance__AskToMove)");
        Console.WriteLine($"  handover: {(_handover ? "on: clients told ServerStopping move, make before break" : "off: clients do not say ?handover=1, so their replica closes them at its stop (the old way)")} (BENCH_STORM_HANDOVER={(_handover ? 1 : 0)})");
        var boards = boardCount == 1 ? [setup.Board] : await BoardsAsync(boardCount);
        LightClient.Init(opts.LocalAddresses);
        var viewers = Enumerable.Range(0, n).Select(i => new BoardViewer(boards[i % boards.Length], setup.WriterToken, _sink)).ToArray();
        var sw = Stopwatch.StartNew();
        var overflows0 = Points.ListenOverflows();
        await Parallel.ForAsync(0, n, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            for (var attempt = 0; attempt < 3; attempt++)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    await viewers[i].ConnectAsync(viaLb ? lb : config.Urls[i % config.Urls.Length], null, timeout.Token);
                    return;
                }
                catch (Exception) { await Task.Delay(500); }
            }
        });
        Console.WriteLine($"  {viewers.Count(v => v.Client is not null)} of {n} connected and joined in {sw.Elapsed.TotalSeconds:0.0} s; " +
                          $"{Points.ListenDropsSince(overflows0)}");
        var results = new List<StormResult>();
        try
        {
            for (var rep = 1; rep <= reps; rep++)
            {
                var r = await StormAsync(rep, viewers, boards, lb, root, clusterDir);
                Console.WriteLine($"  rep {rep} (replica {r.Replica} restarted in {r.RestartS:0.0} s): {r.Reconnected} of {r.Clients} clients reconnected; all caught up {r.AllCaughtUpS:0.00} s " +
                                  $"after the stop (per client p50 {r.P50S:0.00} / p99 {r.P99S:0.00} s); {r.GapFetches} REST gap fetches; lost {r.Lost}, out-of-order {r.OutOfOrder}; " +
                                  $"{r.Writes} writes ({r.FailedWrites} failed); EF queries {r.EfQueries:0}, MariaDB Com_select {r.ComSelect:0} (all tenants)");
                results.Add(r);
                await Task.Delay(3000);
            }
        }
        finally
        {
            await Parallel.ForEachAsync(viewers, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (v, _) => await v.DisposeAsync());
        }
        return results;
    }

    private async Task<Guid[]> BoardsAsync(int count)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var ids = new Guid[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, $"{config.Urls[i % config.Urls.Length]}/api/boards") { Content = JsonContent.Create(new { name = $"storm {i}" }) };
            req.Headers.Authorization = new("Bearer", setup.WriterToken);
            using var r = await http.SendAsync(req, ct);
            r.EnsureSuccessStatusCode();
            ids[i] = (await r.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid();
        });
        return ids;
    }

    private async Task<StormResult> StormAsync(int rep, BoardViewer[] viewers, Guid[] boards, string lb, string root, string clusterDir)
    {
        var replica = (rep - 1) % config.Urls.Length + 1;
        var pidFile = Path.Combine(clusterDir, $"replica-{replica}.pid");
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        var other = config.Urls[replica % config.Urls.Length];
        // The restarted replica's counter starts again at 0: queries = both after − the survivor's before.
        var survivorBefore = await Points.MetricAsync(other, EfQueries);
        var comSelect0 = ComSelect();

        // Writes through the load balancer, on a steady schedule, until told to stop.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { Timeout = TimeSpan.FromSeconds(30) };
        var stopWrites = new CancellationTokenSource();
        int ok = 0, failed = 0;
        var writeFailures = new ConcurrentQueue<(long At, string Why)>(); // why each failed write failed, and when
        var writer = Task.Run(async () =>
        {
            var inflight = new List<Task>();
            var t0 = Stopwatch.GetTimestamp();
            var interval = Stopwatch.Frequency / opts.Rate;
            for (var w = 0; !stopWrites.IsCancellationRequested; w++)
            {
                var due = t0 + (long)(w * interval);
                while (Stopwatch.GetTimestamp() < due) await Task.Delay(Math.Max(1, (int)((due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency)));
                var board = boards[w % boards.Length];
                inflight.Add(Task.Run(async () =>
                {
                    if (await Points.WriteAsync(http, lb, board, setup.WriterToken, why => writeFailures.Enqueue((Stopwatch.GetTimestamp(), why))))
                        Interlocked.Increment(ref ok);
                    else Interlocked.Increment(ref failed);
                }));
            }
            await Task.WhenAll(inflight);
        });
        // Before the first stop the writes run BENCH_STORM_WARMUP_S (30) first: the replicas have just taken their clients,
        // and a survivor 2 s into its first writes was still compiling its push path during the storm (bench/README.md,
        // "Eighteenth round"). 0 = the old 2 s. The rep's write count leaves the warm-up's out.
        var warmup = rep == 1 ? Points.EnvDouble("BENCH_STORM_WARMUP_S", 30) : 0;
        var warmupWrites = 0;
        if (warmup > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(warmup));
            warmupWrites = Volatile.Read(ref ok);
            Console.WriteLine($"  warm-up: {warmup:0} s of writes before the first stop ({warmupWrites} writes)");
        }
        var survivorPid = config.Pids[replica % config.Urls.Length];
        var runtime = await StormRuntime.BeforeAsync(other, survivorPid); // the survivor's steady rates over the 2 s before the stop
        var trace = Profile.Start(config, viewers.Length, Points.EnvDouble("BENCH_TRACE_STORM_SECONDS", 12) + 2, "storm",
            survivorPid, $"-rep{rep}-survivor");
        // BENCH_TRACE_PHASE=stopping: the stopped replica for BENCH_TRACE_STOPPING_SECONDS (8) in all, from 2 s before its SIGTERM.
        var stoppingTrace = Profile.Start(config, viewers.Length, Points.EnvDouble("BENCH_TRACE_STOPPING_SECONDS", 8) + 2, "stopping",
            pid, $"-rep{rep}-stopping");
        await Task.Delay(2000);

        // Stop the replica; every client whose connection closes reconnects and catches up.
        var oooBefore = viewers.Sum(v => Volatile.Read(ref v.Seqs.OutOfOrder));
        var lastCaughtUp = new ConcurrentDictionary<BoardViewer, double>();
        var closedAgain = 0;
        var gapFetches = 0;
        var reconnecting = 0;
        var attempts = new ConcurrentBag<Attempt>();
        var shedCaughtUp = new ConcurrentBag<double>();
        var shedReconnects = 0;
        // Rebalancing by asking (Realtime:Rebalance:AskToMove): connections the survivor asked to move, and ask → moved times.
        var shedMoveTimes = new ConcurrentBag<double>();
        int shedAsked = 0, shedMoved = 0, shedMoveFailed = 0, shedAskedAgain = 0; // (again: a rebalancing ask to a connection asked before in this rep)
        var closedAt = new ConcurrentBag<double>(); // s after the SIGTERM at which each of the stopped replica's clients saw its connection close
        var inFlight = 0; // clients between a close and their reconnect's catch-up (or giving up), or moving
        // The handover: who was told ServerStopping (s after the SIGTERM it arrived), moved, failed to move, closed instead.
        var stoppedViewers = new ConcurrentDictionary<BoardViewer, byte>(); // told ServerStopping, or closed before the restarted replica was ready
        var disturbed = new ConcurrentDictionary<BoardViewer, byte>(); // told, moved, closed or shed in this rep (the rest: the staleness baseline)
        var toldAt = new ConcurrentBag<double>();
        var moveWithinMs = new ConcurrentBag<int>();
        var moves = new ConcurrentBag<(double OpenS, double JoinS)>();
        var moveFailures = new ConcurrentBag<string>();
        int moved = 0, moveFetchFailed = 0, closedAfterTold = 0, movedAfterClose = 0, openRetries = 0;
        var framingBefore = await Points.FramingAsync([other]);
        var overflowsBefore = Points.ListenOverflows();
        await runtime.BaselineAsync();
        var stopAt = Stopwatch.GetTimestamp();
        foreach (var v in viewers) v.Arrivals.Start(stopAt); // staleness: the events written from here on
        var cpu = StormCpu.Start(pid, survivorPid, pidFile, stopAt);
        runtime.Start(stopAt);
        var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // closes after this are shedding
        var watchers = viewers.Select(v => Task.Run(async () =>
        {
            // A connection that closes again later (e.g. when the restart reloads the load balancer) reconnects again,
            // like withAutomaticReconnect; the point ends when the last reconnect has caught up. A connection told
            // ServerStopping moves (the handover, when on): the loop then watches the new one, and the old one's close (we
            // dispose it) is never awaited here, so it is no close of the storm's.
            LightClient? told = null; // the connection whose stop (ServerStopping, not rebalancing) this loop has handled
            LightClient? watched = null; // the connection whose asks this loop follows, and the index of its next ask:
            var nextAsk = 0;             // each one, as the browser (a rebalancing replica asks again when a move failed; a stop may follow)
            var firstAsk = 0;            // (the index of the watched connection's first ask in this rep)
            var movedHere = false;
            for (var closes = 0; ; )
            {
            var client = v.Client;
            if (client is null) return;
            if (client != watched)
            {
                watched = client;
                nextAsk = firstAsk = client.AsksBefore(stopAt); // (asks of an earlier rep's: not this one's)
            }
            var asking = client.AskAsync(nextAsk);
            await Task.WhenAny(client.Closed, settled.Task, asking);
            var asked = asking.IsCompleted; // (read once: an ask arriving from here on waits for the next pass)
            var ask = asked ? await asking : default;
            if (asked) nextAsk++;
            if (asked && ask.Rebalancing)
            {
                // Not a stop: the survivor, rebalancing, asks this connection to move (make before break, as the browser).
                disturbed[v] = 0;
                Interlocked.Increment(ref shedAsked);
                if (nextAsk - 1 > firstAsk) Interlocked.Increment(ref shedAskedAgain);
                var within = ask.MoveWithinMs;
                if (!_handover) continue;
                await Task.WhenAny(client.Closed, Task.Delay(Random.Shared.Next((int)Math.Min(within + 1L, int.MaxValue))));
                if (client.Closed.IsCompleted) continue; // closed meanwhile: the reconnect path below
                Interlocked.Increment(ref inFlight);
                try
                {
                    await MoveRetryingOpenAsync(v, lb, () => Interlocked.Increment(ref openRetries), rebalancing: true);
                    if (v.Seqs.HeadNow > v.Seqs.ContigNow) await FetchAsync(http, lb, v);
                    Interlocked.Increment(ref shedMoved);
                    shedMoveTimes.Add(Stopwatch.GetElapsedTime(ask.At).TotalSeconds);
                }
                catch (Exception) { Interlocked.Increment(ref shedMoveFailed); } // the old connection stays (and follows its next ask)
                finally { Interlocked.Decrement(ref inFlight); }
                continue;
            }
            if (asked)
            {
                if (told == client) continue; // (a stopping replica asks a connection once; should it ask again, the move made answers it)
                told = client;
                stoppedViewers[v] = 0;
                disturbed[v] = 0;
                toldAt.Add((ask.At - stopAt) / (double)Stopwatch.Frequency);
                var within = ask.MoveWithinMs;
                moveWithinMs.Add(within);
                if (!_handover) continue; // as a client that does not know the message: wait for the close
                await Task.WhenAny(client.Closed, Task.Delay(Random.Shared.Next((int)Math.Min(within + 1L, int.MaxValue)))); // [0, moveWithinMs]
                if (client.Closed.IsCompleted) continue; // closed during the wait: the reconnect path below
                Interlocked.Increment(ref inFlight);
                try
                {
                    var (openS, joinS, oldClosedFirst) = await MoveRetryingOpenAsync(v, lb, () => Interlocked.Increment(ref openRetries));
                    Interlocked.Increment(ref moved);
                    if (oldClosedFirst) Interlocked.Increment(ref movedAfterClose);
                    movedHere = true;
                    moves.Add((openS, joinS));
                    if (v.Seqs.HeadNow > v.Seqs.ContigNow)
                    {
                        Interlocked.Increment(ref gapFetches);
                        await FetchAsync(http, lb, v);
                    }
                    lastCaughtUp[v] = Stopwatch.GetElapsedTime(stopAt).TotalSeconds;
                }
                catch (StormAttemptException e) { moveFailures.Add(e.Message); } // the old connection stays; its close reconnects
                catch (Exception e) { Interlocked.Increment(ref moveFetchFailed); moveFailures.Add(StormAttemptException.Why("fetch after the move", e)); }
                finally { Interlocked.Decrement(ref inFlight); }
                continue;
            }
            if (!client.Closed.IsCompleted) return; // this client's replica kept running
            var shed = restarted.Task.IsCompleted; // closed by the survivor, rebalancing
            var closedAtS = Stopwatch.GetElapsedTime(stopAt).TotalSeconds;
            Interlocked.Increment(ref inFlight);
            disturbed[v] = 0;
            if (shed) Interlocked.Increment(ref shedReconnects);
            else if (closes == 0 && !movedHere)
            {
                Interlocked.Increment(ref reconnecting);
                closedAt.Add(closedAtS);
                stoppedViewers[v] = 0;
                if (told == client) Interlocked.Increment(ref closedAfterTold);
            }
            else Interlocked.Increment(ref closedAgain);
            closes++;
            await v.DisposeAsync();
            var ok = false;
            for (var attempt = 0; ReconnectDelay(attempt) is { } delay; attempt++)
            {
                await Task.Delay(delay);
                var started = Stopwatch.GetElapsedTime(stopAt).TotalSeconds;
                try
                {
                    var (openS, joinS) = await v.ConnectTimedAsync(lb, v.Seqs.ContigNow, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
                    var fetchS = double.NaN;
                    if (v.Seqs.HeadNow > v.Seqs.ContigNow)
                    {
                        Interlocked.Increment(ref gapFetches);
                        var f0 = Stopwatch.GetTimestamp();
                        await FetchAsync(http, lb, v);
                        fetchS = Stopwatch.GetElapsedTime(f0).TotalSeconds;
                    }
                    if (shed) shedCaughtUp.Add(Stopwatch.GetElapsedTime(stopAt).TotalSeconds - closedAtS);
                    else lastCaughtUp[v] = Stopwatch.GetElapsedTime(stopAt).TotalSeconds;
                    if (!shed) attempts.Add(new Attempt(attempt, started, "ok", openS, joinS, fetchS));
                    ok = true;
                    break;
                }
                catch (Exception e)
                {
                    if (!shed) attempts.Add(new Attempt(attempt, started, e is StormAttemptException ? e.Message : StormAttemptException.Why("fetch", e), double.NaN, double.NaN, double.NaN));
                    await v.DisposeAsync();
                }
            }
            Interlocked.Decrement(ref inFlight);
            if (!ok) return;
            }
        })).ToArray();
        using (var kill = Process.Start("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        while (Directory.Exists($"/proc/{pid}") && Stopwatch.GetElapsedTime(stopAt).TotalSeconds < 60) await Task.Delay(20);
        var exitS = Stopwatch.GetElapsedTime(stopAt).TotalSeconds;
        Console.WriteLine($"  replica {replica} (pid {pid}) exited {exitS:0.0} s after SIGTERM; {reconnecting} of its clients had seen their connection close by then " +
                          $"(p50 {Points.Pct(closedAt, 0.5):0.00} / p99 {Points.Pct(closedAt, 0.99):0.00} s after the SIGTERM)");
        if (LastHandover(Path.Combine(clusterDir, $"replica-{replica}.log")) is { } outcome) Console.WriteLine($"  its log: \"{outcome}\"");
        var restart = Process.Start(new ProcessStartInfo("bash", ["scripts/cluster.sh", "replica", replica.ToString(CultureInfo.InvariantCulture)]) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var restartOut = restart.StandardError.ReadToEndAsync();
        _ = restart.StandardOutput.ReadToEndAsync();
        await restart.WaitForExitAsync();
        var restartS = Stopwatch.GetElapsedTime(stopAt).TotalSeconds;
        var stormDrops = Points.ListenDropsSince(overflowsBefore); // before any shedding
        if (trace is not null) { await trace.WaitForExitAsync(); trace.Dispose(); }
        if (stoppingTrace is not null)
        {
            try { await stoppingTrace.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)); } catch (TimeoutException) { Console.WriteLine("  the stopping replica's profiler did not finish within 60 s"); }
            stoppingTrace.Dispose();
        }
        restarted.TrySetResult(); // ready (cluster.sh waited for /readyz): the survivor may start shedding towards it
        if (restart.ExitCode != 0) Console.WriteLine($"  restart failed: {await restartOut}");
        var stoppedUrl = config.Urls[replica - 1];
        var shed0 = await Points.MetricAsync(other, "taskhub_hub_connections_shed_total");
        var refused0 = await Points.MetricAsync(other, "taskhub_hub_moves_refused_total");
        var (balancedS, series, netMoved) = await WatchBalanceAsync(stoppedUrl, other, restartS, stopAt);
        var shedN = await Points.MetricAsync(other, "taskhub_hub_connections_shed_total") - shed0
                    + await Points.MetricAsync(stoppedUrl, "taskhub_hub_connections_shed_total");
        var refused = await Points.MetricAsync(other, "taskhub_hub_moves_refused_total") - refused0 + await Points.MetricAsync(stoppedUrl, "taskhub_hub_moves_refused_total");
        var shedTimes = shedCaughtUp.OrderBy(x => x).ToArray();
        var askTimes = shedMoveTimes.OrderBy(x => x).ToArray();
        Console.WriteLine($"  rebalance: restarted replica ready {restartS:0.0} s after the stop; balanced {(double.IsNaN(balancedS) ? "never (within the watch)" : $"{balancedS:0.0} s after it was ready")}; " +
                          $"{shedN:0} connections shed for {netMoved:0} held by the restarted replica at the end ({shedN / netMoved:0.00} sheds per connection it gained); " +
                          $"{shedReconnects} clients saw theirs close and {shedTimes.Length} reconnected and caught up " +
                          $"(close → caught up p50 {Points.Pct(shedTimes, 0.5):0.00} / p99 {Points.Pct(shedTimes, 0.99):0.00} s); " +
                          $"{shedAsked} asks to move ({shedAskedAgain} of them to a connection asked before in this rep), {shedMoved} moved (ask → joined and caught up p50 {Points.Pct(askTimes, 0.5):0.00} / p99 {Points.Pct(askTimes, 0.99):0.00} s), {shedMoveFailed} moves failed; {refused:0} move connects refused (503) by a replica waiting for its own asked moves");
        Console.WriteLine($"  connections held, restarted / survivor, s after ready: {series}");
        var caughtUp = lastCaughtUp.Values.ToList();
        var allS = caughtUp.Count == 0 ? double.NaN : caughtUp.Max();
        // Staleness counts the events written until all caught up (until the stopped replica exited if no client had to move).
        var staleUntilS = double.IsNaN(allS) ? exitS : allS;
        var staleUntil = stopAt + (long)(staleUntilS * Stopwatch.Frequency);
        foreach (var v in viewers) v.Arrivals.Until(staleUntil); // keeps nothing written later
        Console.WriteLine($"  {await cpu.DescribeAsync(allS)}");
        Console.WriteLine($"  {await runtime.DescribeAsync(allS)}");
        PrintAttempts(attempts);
        Console.WriteLine($"  from the stop until the restarted replica was ready: {stormDrops}");
        Console.WriteLine($"  duplicates so far (a catch-up replaying events a client had; harmless): {viewers.Sum(v => Volatile.Read(ref v.Seqs.Duplicates))}");
        if (closedAgain > 0) Console.WriteLine($"  {closedAgain} connections closed a second time (after their reconnect) and reconnected again");
        await Task.Delay(2000);
        stopWrites.Cancel();
        await writer;

        // Drain: every client up to its board's head.
        var heads = new Dictionary<Guid, long>();
        foreach (var b in boards) heads[b] = await HeadAsync(http, lb, b);
        // Until every client has its board's head: at least 15 s, and beyond that only while the clients still make
        // progress (checked every 5 s), at most BENCH_STORM_DRAIN_MAX_S. On a loaded machine the clients run many seconds
        // behind after a storm, and lag is not loss. Its progress is printed.
        long Missing() => viewers.Sum(v => v.Seqs.MissingUpTo(heads[v.Board]));
        var drainStart = Stopwatch.GetTimestamp();
        double Drained() => Stopwatch.GetElapsedTime(drainStart).TotalSeconds;
        var drainMax = Points.EnvInt("BENCH_STORM_DRAIN_MAX_S", 90);
        var (lastMissing, lastCheck) = (Missing(), 0.0);
        var drainSeries = new List<string> { $"0s {lastMissing}" };
        while ((Volatile.Read(ref inFlight) > 0 || viewers.Any(v => v.Client is { Closed.IsCompleted: false } && v.Seqs.ContigNow < heads[v.Board]))
               && Drained() < drainMax)
        {
            await Task.Delay(100);
            if (Drained() - lastCheck < 5) continue;
            var missing = Missing();
            drainSeries.Add($"{Drained():0}s {missing}");
            var progressed = missing < lastMissing;
            (lastMissing, lastCheck) = (missing, Drained());
            if (Drained() >= 15 && !progressed) break;
        }
        drainSeries.Add($"{Drained():0.0}s {Missing()} (end)");
        Console.WriteLine($"  drain (events still missing, s after the writes stopped): {string.Join(", ", drainSeries)}");
        var framingAfter = await Points.FramingAsync([other]);
        Console.WriteLine($"  survivor's board lines, from the stop to the drain's end: {framingAfter.Events - framingBefore.Events:0} events sent in " +
                          $"{framingAfter.Frames - framingBefore.Frames:0} frames ({Points.EventsPerFrame(framingBefore, framingAfter):0.00} per frame; Realtime:MaxEventsPerFrame)");
        settled.TrySetResult(); // every close, the storm's and the survivor's shedding, has been followed by its reconnect
        await Task.WhenAll(watchers);
        var lost = viewers.Sum(v => v.Seqs.MissingUpTo(heads[v.Board]));
        var behind = viewers.Where(v => v.Seqs.ContigNow < heads[v.Board]).ToList();
        if (behind.Count > 0)
            Console.WriteLine($"  {behind.Count} clients behind their board's head after the drain ({behind.Count(v => v.Client is not { Closed.IsCompleted: false })} not connected); " +
                              $"first missing seqs {string.Join(",", behind.Select(v => v.Seqs.FirstMissing).Distinct().Take(5))}, last join heads {string.Join(",", behind.Select(v => v.Seqs.HeadNow).Distinct().Take(5))}, " +
                              $"connected to {string.Join(",", behind.GroupBy(v => v.Url).Select(g => $"{g.Key}×{g.Count()}"))}, board head {heads[behind[0].Board]}, " +
                              $"stopped at {Stopwatch.GetElapsedTime(stopAt).TotalSeconds:0.0}s ago; gaps filled per replica {string.Join("/", await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, "taskhub_event_gaps_filled_total"))))}");
        var ooo = viewers.Sum(v => Volatile.Read(ref v.Seqs.OutOfOrder)) - oooBefore;
        static string Ms(IEnumerable<double> s)
        {
            var a = s.Select(x => x * 1000).ToArray();
            return a.Length == 0 ? "– / –" : $"{Points.Pct(a, 0.5):0} / {Points.Pct(a, 0.99):0}";
        }
        var failures = moveFailures.GroupBy(f => f).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} × {g.Count()}").ToList();
        Console.WriteLine($"  handover ({(_handover ? "on" : "off")}): {toldAt.Count} clients received ServerStopping (moveWithinMs {(moveWithinMs.IsEmpty ? "–" : string.Join("/", moveWithinMs.Distinct().Order()))}; " +
                          $"p50 / p99 {Ms(toldAt)} ms after the SIGTERM); {moved} moved (make before break; {movedAfterClose} of them only after their old connection had closed: a gap), {openRetries} opens tried again, {moveFailures.Count - moveFetchFailed} moves failed" +
                          $"{(failures.Count > 0 ? $" ({string.Join(", ", failures)})" : "")}{(moveFetchFailed > 0 ? $", {moveFetchFailed} moved but their REST gap fetch failed (not caught up)" : "")}; " +
                          $"{reconnecting} saw their connection close instead and reconnected (fallback; {closedAfterTold} of them after a ServerStopping); " +
                          $"moves p50 / p99: open (upgrade + handshake) {Ms(moves.Select(m => m.OpenS))} ms, JoinBoard {Ms(moves.Select(m => m.JoinS))} ms (n {moves.Count})");
        var stale = Staleness(viewers.Where(stoppedViewers.ContainsKey), staleUntil);
        var baseline = Staleness(viewers.Where(v => !disturbed.ContainsKey(v) && v.Client is not null), staleUntil);
        foreach (var v in viewers) v.Arrivals.Stop(staleUntil, null); // the rest (no client, or shed only), and off until the next rep
        Console.WriteLine($"  staleness (write → first arrival, duplicates excluded) of the events written from the SIGTERM until all caught up ({staleUntilS:0.00} s{(double.IsNaN(allS) ? ": none had to catch up, until the replica exited" : "")}): " +
                          $"the stopped replica's {stale}; the survivor's (never disconnected) {baseline}");
        if (!writeFailures.IsEmpty)
            Console.WriteLine($"  failed writes (through the load balancer): {string.Join(", ", writeFailures.Take(5).Select(f => $"{f.Why} {(f.At - stopAt) / (double)Stopwatch.Frequency:0.00} s after the SIGTERM"))}");
        var newPid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        config.Pids[replica - 1] = newPid;
        var efAfter = (await Task.WhenAll(config.Urls.Select(u => Points.MetricAsync(u, EfQueries)))).Sum();
        var times = caughtUp.OrderBy(x => x).ToArray();
        return new StormResult(rep, replica, reconnecting + moved, times.Length, allS, Points.Pct(times, 0.5), Points.Pct(times, 0.99), restartS, lost, ooo, gapFetches,
            efAfter - survivorBefore, ComSelect() - comSelect0, ok - warmupWrites, failed,
            balancedS, shedN, shedTimes.Length, Points.Pct(shedTimes, 0.5), Points.Pct(shedTimes, 0.99), series,
            toldAt.Count, moved, moveFailures.Count - moveFetchFailed, stale.P99Ms, stale.MaxMs, baseline.P99Ms,
            shedAsked, shedMoved, Points.Pct(askTimes, 0.5), Points.Pct(askTimes, 0.99), netMoved);
    }

    /// <summary>The write → first arrival times of these viewers' events written from the stop until <paramref name="until"/>.</summary>
    private readonly record struct StaleTimes(int Viewers, int N, int Fetched, double P50Ms, double P99Ms, double MaxMs)
    {
        public override string ToString() => N == 0 ? $"{Viewers} viewers: no event"
            : $"{Viewers} viewers p50 {P50Ms:0.0} / p99 {P99Ms:0.0} / max {MaxMs:0.0} ms (n {N}{(Fetched > 0 ? $", {Fetched} by REST gap fetch" : "")})";
    }

    /// <summary>Collects (and stops) these viewers' <see cref="FirstArrivals"/>.</summary>
    private static StaleTimes Staleness(IEnumerable<BoardViewer> viewers, long until)
    {
        var us = new List<int>();
        int count = 0, fetched = 0;
        foreach (var v in viewers) { count++; fetched += v.Arrivals.Stop(until, us); }
        var ms = us.Select(x => x / 1000.0).ToArray();
        return new StaleTimes(count, ms.Length, fetched, Points.Pct(ms, 0.5), Points.Pct(ms, 0.99), ms.Length == 0 ? double.NaN : ms.Max());
    }

    /// <summary>
    /// Samples both replicas' hub connections every second from when the restarted one is ready; returns the seconds until
    /// the restarted one held its fair share within the tolerance (NaN: not within BENCH_STORM_BALANCE_S) and the series
    /// (every other sample), and the restarted one's connections at the last sample. Stops once balanced and the survivor
    /// has shed nothing for 5 s.
    /// </summary>
    private static async Task<(double BalancedS, string Series, double Restarted)> WatchBalanceAsync(string restartedUrl, string survivorUrl, double readyS, long stopAt)
    {
        var pct = Points.EnvInt("BENCH_REBALANCE_TOLERANCE_PCT", 10);
        var min = Points.EnvInt("BENCH_REBALANCE_MIN", 50);
        var maxS = Points.EnvInt("BENCH_STORM_BALANCE_S", 120);
        var samples = new List<string>();
        var balancedS = double.NaN;
        double lastShed = double.NaN;
        var quietSince = double.NaN;
        var last = double.NaN;
        for (var i = 0; ; i++)
        {
            var t = Stopwatch.GetElapsedTime(stopAt).TotalSeconds - readyS;
            var r = await Points.MetricAsync(restartedUrl, "taskhub_signalr_connections");
            var s = await Points.MetricAsync(survivorUrl, "taskhub_signalr_connections");
            last = r;
            var shed = await Points.MetricAsync(survivorUrl, "taskhub_hub_connections_shed_total");
            if (i % 2 == 0) samples.Add($"{t:0}s {r:0}/{s:0}");
            var fair = (r + s) / 2;
            if (double.IsNaN(balancedS) && Math.Abs(r - fair) <= Math.Max(min, Math.Ceiling(fair * pct / 100))) balancedS = t;
            if (shed != lastShed) { lastShed = shed; quietSince = t; }
            if (!double.IsNaN(balancedS) && t - quietSince >= 5) { samples.Add($"{t:0}s {r:0}/{s:0}"); break; }
            if (t >= maxS) break;
            await Task.Delay(1000);
        }
        return (balancedS, string.Join(", ", samples), last);
    }

    /// <summary>Opens a move's new connection as the browser does (web/src/hub.ts, <c>HANDOVER_OPEN_ATTEMPTS</c>,
    /// <c>REBALANCE_OPEN_ATTEMPTS</c>): an open that fails while the old connection is still open is tried again, up to 3
    /// tries in all after a reconnect's wait (<see cref="ReconnectDelay"/>), a rebalancing move's up to 8 after 200–500 ms;
    /// a failed join, or a failure once the old connection has closed, is not.</summary>
    private static async Task<(double OpenS, double JoinS, bool OldClosedFirst)> MoveRetryingOpenAsync(BoardViewer v, string lb, Action retried, bool rebalancing = false)
    {
        var attempts = rebalancing ? RebalanceOpenAttempts : HandoverOpenAttempts;
        for (var attempt = 0; ; attempt++)
        {
            try { return await v.MoveAsync(lb, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), rebalancing); } // as a reconnect (the browser puts no limit on the open)
            catch (StormAttemptException e) when (attempt + 1 < attempts && e.Phase == "open" && v.Client is { Closed.IsCompleted: false }) // (the old one: a move sets it only once it succeeded)
            {
                retried();
                await Task.Delay(rebalancing ? RebalanceRetryDelay() : ReconnectDelay(attempt) ?? 0);
            }
        }
    }

    /// <summary>The browser's tries for a move's new connection (web/src/hub.ts <c>HANDOVER_OPEN_ATTEMPTS</c>,
    /// <c>REBALANCE_OPEN_ATTEMPTS</c>).</summary>
    private const int HandoverOpenAttempts = 3, RebalanceOpenAttempts = 8;

    /// <summary>The wait before a rebalancing move's next try, as web/src/hub.ts <c>rebalanceRetryDelay</c>: 200–500 ms.</summary>
    private static int RebalanceRetryDelay() => 200 + Random.Shared.Next(301);

    /// <summary>
    /// The wait before reconnect attempt <paramref name="attempt"/> (0-based), null = give up. BENCH_STORM_SCHEDULE=browser
    /// (the default) is the web client's (web/src/hub.ts <c>reconnectDelay</c>: 500 ms × 2^n capped at 10 s, each
    /// between half and one and a half of that at random; the bench gives up after 12 attempts, ~90 s); =js is
    /// @microsoft/signalr's default (0, 2, 10, 30 s, then give up) with 0–BENCH_STORM_JITTER_MS before the first.
    /// </summary>
    private static int? ReconnectDelay(int attempt)
    {
        if (Points.Env("BENCH_STORM_SCHEDULE", "browser") == "js")
        {
            int[] delays = [0, 2000, 10000, 30000];
            return attempt >= delays.Length ? null : delays[attempt] + (attempt == 0 ? Random.Shared.Next(Points.EnvInt("BENCH_STORM_JITTER_MS", 1000)) : 0);
        }
        if (attempt >= 12) return null;
        var b = Math.Min(10_000, 500 * (1 << Math.Min(attempt, 5)));
        return b / 2 + Random.Shared.Next(b);
    }

    /// <summary>One reconnect attempt of one client: which (0-based, see <see cref="ReconnectDelay"/>), when it started (s after the stop), its outcome and phases.</summary>
    private sealed record Attempt(int Number, double StartedS, string Outcome, double OpenS, double JoinS, double FetchS);

    /// <summary>Where the time went: attempts by number and outcome (with when they started), and the phases of the ones that worked.</summary>
    private static void PrintAttempts(IReadOnlyCollection<Attempt> attempts)
    {
        static string P(IEnumerable<double> xs)
        {
            var a = xs.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
            return a.Length == 0 ? "–" : $"{Points.Pct(a, 0.5):0.00} / {Points.Pct(a, 0.99):0.00} s (n {a.Length})";
        }
        Console.WriteLine("  reconnect attempts (number: outcome × count, started s after the stop p50 / p99):");
        foreach (var g in attempts.GroupBy(a => (a.Number, a.Outcome)).OrderBy(g => g.Key.Number).ThenByDescending(g => g.Count()))
            Console.WriteLine($"    #{g.Key.Number + 1} {g.Key.Outcome} × {g.Count()}, started {P(g.Select(a => a.StartedS))}");
        var ok = attempts.Where(a => a.Outcome == "ok").ToList();
        Console.WriteLine($"  successful attempts' phases p50 / p99: open (upgrade + handshake) {P(ok.Select(a => a.OpenS))}; JoinBoard {P(ok.Select(a => a.JoinS))}; REST gap fetch {P(ok.Select(a => a.FetchS))}");
        var failedOpen = attempts.Where(a => a.Outcome.StartsWith("open", StringComparison.Ordinal)).Count();
        var failedJoin = attempts.Where(a => a.Outcome.StartsWith("join", StringComparison.Ordinal)).Count();
        Console.WriteLine($"  failed attempts: {failedOpen} while opening, {failedJoin} while joining, {attempts.Count - ok.Count - failedOpen - failedJoin} other");
    }

    /// <summary>The board's head as the event log has it (the last event's seq).</summary>
    private async Task<long> HeadAsync(HttpClient http, string url, Guid board)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/boards/{board}");
        req.Headers.Authorization = new("Bearer", setup.WriterToken);
        using var r = await http.SendAsync(req);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("lastSeq").GetInt64();
    }

    private async Task FetchAsync(HttpClient http, string url, BoardViewer v)
    {
        while (v.Seqs.ContigNow < v.Seqs.HeadNow)
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, $"{url}/api/boards/{v.Board}/events?after={v.Seqs.ContigNow}");
            req.Headers.Authorization = new("Bearer", setup.WriterToken);
            using var r = await http.SendAsync(req);
            r.EnsureSuccessStatusCode();
            var page = await r.Content.ReadFromJsonAsync<JsonElement>();
            var at = Stopwatch.GetTimestamp(); // these events arrive now
            if (page.GetArrayLength() == 0) return;
            foreach (var e in page.EnumerateArray()) v.Fetched(e.GetProperty("seq").GetInt64(), StampOf(e), at);
        }
    }

    /// <summary>The writer's stamp in a REST event's title (a creation's task, or a delta's title change), 0 when none.</summary>
    private static long StampOf(JsonElement e)
    {
        string? title = null;
        if (e.TryGetProperty("task", out var task) && task.ValueKind == JsonValueKind.Object && task.TryGetProperty("title", out var t)) title = t.GetString();
        else if (e.TryGetProperty("changes", out var changes) && changes.ValueKind == JsonValueKind.Array)
            foreach (var c in changes.EnumerateArray())
                if (c.TryGetProperty("to", out var to) && to.ValueKind == JsonValueKind.String && to.GetString() is { } s && s.StartsWith("b|", StringComparison.Ordinal)) title = s;
        return title is not null && title.StartsWith("b|", StringComparison.Ordinal) && long.TryParse(title.AsSpan(2), CultureInfo.InvariantCulture, out var stamp) ? stamp : 0;
    }

    /// <summary>MariaDB's global Com_select (NaN when the mysql client is missing).</summary>
    private static double ComSelect()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("mysql", ["-h127.0.0.1", "-utaskhub", "-ptaskhub", "-N", "-e", "SHOW GLOBAL STATUS LIKE 'Com_select'"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return double.Parse(text.Split('\t', StringSplitOptions.TrimEntries)[1], CultureInfo.InvariantCulture);
        }
        catch (Exception) { return double.NaN; }
    }

    public static void Print(List<StormResult> all)
    {
        Console.WriteLine("\n=== Reconnect storm: medians over reps (target: all caught up ≤ 8 s, 0 lost)");
        Console.WriteLine("| clients reconnecting | reconnected | all caught up s | per client p50 / p99 s | replica restart s | REST gap fetches | lost | out-of-order | EF queries | Com_select (all tenants) | balanced s after ready | shed | shed per connection gained | shed: close → caught up p50 / p99 s | shed: asked / moved, ask → moved p50 / p99 s | handed over | staleness p99 / max ms, stopped replica's viewers | staleness p99 ms, survivor's viewers |");
        Console.WriteLine("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|---:|");
        double M(Func<StormResult, double> f) => Points.Median(all.Select(f));
        Console.WriteLine($"| {M(r => r.Clients):0} | {M(r => r.Reconnected):0} | {M(r => r.AllCaughtUpS):0.00} | {M(r => r.P50S):0.00} / {M(r => r.P99S):0.00} | {M(r => r.RestartS):0.0} | " +
                          $"{M(r => r.GapFetches):0} | {all.Sum(r => r.Lost)} | {all.Sum(r => r.OutOfOrder)} | {M(r => r.EfQueries):0} | {M(r => r.ComSelect):0} | " +
                          $"{M(r => r.BalancedS):0.0} | {M(r => r.Shed):0} | {M(r => r.Shed / r.NetMoved):0.00} | {M(r => r.ShedP50S):0.00} / {M(r => r.ShedP99S):0.00} | " +
                          $"{M(r => r.ShedAsked):0} / {M(r => r.ShedMoved):0}, {M(r => r.ShedMoveP50S):0.00} / {M(r => r.ShedMoveP99S):0.00} | " +
                          $"{M(r => r.Moved):0} | {M(r => r.StaleP99Ms):0.0} / {M(r => r.StaleMaxMs):0.0} | {M(r => r.BaselineP99Ms):0.0} |");
        foreach (var r in all) Console.WriteLine($"  rep {r.Rep}: connections held, restarted / survivor: {r.BalanceSeries}");
        var t = M(r => r.AllCaughtUpS);
        Console.WriteLine($"  all caught up {t:0.00} s / target ≤ 8 s: {Points.Verdict(t, 8)}; lost {all.Sum(r => r.Lost)} (target 0)");
    }
}

/// <summary>
/// Samples, every 250 ms for 30 s from a storm's SIGTERM, the CPU seconds of the stopping replica (until it exits), the
/// survivor, the restarted replica (from the moment its PID file names a new process), the bench, the services (nginx,
/// Redis, MariaDB: every process of that name) and the whole machine: what the 2 cores did until the last client caught up.
/// </summary>
public sealed class StormCpu
{
    private readonly List<(double At, double Stopping, double Survivor, double Restarted, double Bench, double Machine, double[] Services)> _samples = [];
    private static readonly string[] ServiceNames = ["nginx", "redis-server", "mariadbd"];

    /// <summary>The PIDs of the processes named <paramref name="comm"/> (read from /proc, nothing else done with them).</summary>
    private static int[] PidsNamed(string comm) =>
        [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)).Select(d => int.Parse(d!, CultureInfo.InvariantCulture))
            .Where(p => { try { return File.ReadAllText($"/proc/{p}/comm").Trim() == comm; } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } })];

    private static double Cpu(int p) => Probe.CpuSecondsOrNaN(() => p);
    private Task _run = Task.CompletedTask;

    public static StormCpu Start(int stoppingPid, int survivorPid, string pidFile, long stopAt)
    {
        var c = new StormCpu();
        // The services' PIDs and every baseline are read here, before the caller sends the SIGTERM.
        var services = ServiceNames.Select(PidsNamed).ToArray();
        double[] ServicesCpu() => [.. services.Select(ps => ps.Sum(p => Cpu(p) is var v && double.IsNaN(v) ? 0 : v))];
        var (stopping0, survivor0, bench0, machine0, services0) = (Cpu(stoppingPid), Cpu(survivorPid), Cpu(Environment.ProcessId), Probe.MachineBusySeconds(), ServicesCpu());
        c._run = Task.Run(async () =>
        {
            var lastStopping = 0.0;
            var restarted = 0.0;
            while (Stopwatch.GetElapsedTime(stopAt).TotalSeconds < 30)
            {
                await Task.Delay(250);
                var stopping = Cpu(stoppingPid);
                if (!double.IsNaN(stopping)) lastStopping = stopping - stopping0; // its last sample before it exited
                // The PID file names the restarted replica once cluster.sh started it (while it is rewritten, the last reading stays).
                var r = Probe.CpuSecondsOrNaN(() => int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
                if (!double.IsNaN(r) && !File.Exists($"/proc/{stoppingPid}/stat")) restarted = r; // (the stopped one's until it has exited)
                c._samples.Add((Stopwatch.GetElapsedTime(stopAt).TotalSeconds, lastStopping, Cpu(survivorPid) - survivor0, restarted,
                        Cpu(Environment.ProcessId) - bench0, Probe.MachineBusySeconds() - machine0, [.. ServicesCpu().Zip(services0, (a, b) => a - b)]));
            }
        });
        return c;
    }

    /// <summary>The CPU each spent from the stop until <paramref name="untilS"/> (the last sample at or before it; the
    /// samples are read only once the sampling task has ended). A failure of the sampling is reported, never thrown: it
    /// must not end the rep.</summary>
    public async Task<string> DescribeAsync(double untilS)
    {
        try { await _run; }
        catch (Exception e) { return $"CPU from the stop: sampling failed ({e.GetType().Name}: {e.Message})"; }
        var s = _samples.LastOrDefault(x => x.At <= untilS);
        if (s.At == 0) return "CPU from the stop: no sample";
        var ended = untilS > 30 ? " (sampling ended at 30 s)" : "";
        return $"CPU from the stop until {s.At:0.0} s{ended} (the last client caught up at {untilS:0.0} s), core-seconds of {s.At * Environment.ProcessorCount:0.0} available: " +
               $"stopping replica {s.Stopping:0.00}, survivor {s.Survivor:0.00}, restarted replica {s.Restarted:0.00}, bench {s.Bench:0.00}, " +
               $"{string.Join(", ", ServiceNames.Zip(s.Services, (n, v) => $"{n} {v:0.00}"))}; machine {s.Machine:0.00}";
    }
}

/// <summary>
/// Samples the survivor's .NET runtime counters (its <c>/metrics</c>, the runtime's System.Runtime meter) and its page
/// faults (/proc) every second for 30 s from a storm's SIGTERM, to show what its runtime did while it took the storm:
/// collections by generation, GC pause time, bytes allocated, JIT compilations, EF queries compiled (its compiled-query
/// cache misses), thread-pool threads and queue, lock contentions. The baseline is read before the SIGTERM.
/// </summary>
public sealed class StormRuntime
{
    private const string EfCacheMisses = "microsoft_entityframeworkcore_microsoft_entityframeworkcore_compiled_query_cache_misses";
    private readonly List<(double At, Dictionary<string, double> M)> _samples = [];
    private Dictionary<string, double> _base = [];
    private Task _run = Task.CompletedTask;

    /// <summary>The page's runtime series and EF's compiled-query misses, plus <c>minflt</c> (the process's minor page faults, /proc).</summary>
    private static async Task<Dictionary<string, double>> ReadAsync(string url, int pid)
    {
        var m = await Points.ScrapeAsync(url, line => line.StartsWith("system_runtime_", StringComparison.Ordinal) || line.StartsWith(EfCacheMisses, StringComparison.Ordinal),
            TimeSpan.FromSeconds(5));
        if (Probe.StatOrNull(pid) is { } stat && long.TryParse(stat[7], CultureInfo.InvariantCulture, out var minflt)) m["minflt"] = minflt;
        return m;
    }

    private readonly string _url;
    private readonly int _pid;
    private StormRuntime(string url, int pid) => (_url, _pid) = (url, pid);

    private Dictionary<string, double> _pre = [];
    private long _preAt;

    /// <summary>A first reading, a little before the stop: <see cref="DescribeAsync"/> prints the steady rates from it to the baseline.</summary>
    public static async Task<StormRuntime> BeforeAsync(string survivorUrl, int survivorPid)
    {
        var r = new StormRuntime(survivorUrl, survivorPid);
        r._pre = await TryReadAsync(survivorUrl, survivorPid);
        r._preAt = Stopwatch.GetTimestamp();
        return r;
    }

    /// <summary>Reads the baseline (call it right before the SIGTERM); <see cref="Start"/> then samples.</summary>
    public async Task BaselineAsync()
    {
        _base = await TryReadAsync(_url, _pid);
        _baseAfterPreS = Stopwatch.GetElapsedTime(_preAt).TotalSeconds;
    }
    private double _baseAfterPreS;

    private static async Task<Dictionary<string, double>> TryReadAsync(string url, int pid)
    {
        try { return await ReadAsync(url, pid); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return []; }
    }

    public void Start(long stopAt) => _run = Task.Run(async () =>
    {
        while (Stopwatch.GetElapsedTime(stopAt).TotalSeconds < 30)
        {
            await Task.Delay(1000);
            try
            {
                var m = await ReadAsync(_url, _pid);
                _samples.Add((Stopwatch.GetElapsedTime(stopAt).TotalSeconds, m)); // when it answered: a loaded replica's reply can take seconds
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
        }
    });

    /// <summary>What the survivor's runtime did from the stop until the first sample at or after <paramref name="untilS"/>
    /// (the samples are read only once the sampling task has ended). Never throws.</summary>
    public async Task<string> DescribeAsync(double untilS)
    {
        try { await _run; }
        catch (Exception e) { return $"survivor's runtime: sampling failed ({e.GetType().Name}: {e.Message})"; }
        var end = _samples.FindIndex(x => x.At >= untilS); // the first sample at or after the last catch-up (else the last one)
        var upTo = _samples.Take(end < 0 ? _samples.Count : end + 1).ToList();
        if (upTo.Count == 0 || _base.Count == 0) return "survivor's runtime: no sample";
        var last = upTo[^1].M;
        double D(string k) => last.GetValueOrDefault(k, double.NaN) - _base.GetValueOrDefault(k, double.NaN);
        double Rate(string k) => (_base.GetValueOrDefault(k, double.NaN) - _pre.GetValueOrDefault(k, double.NaN)) / _baseAfterPreS;
        double Max(string k) => upTo.Max(x => x.M.GetValueOrDefault(k, double.NaN));
        const string gc = "system_runtime_dotnet_gc_collections{gc_heap_generation=\"gen";
        const string threads = "system_runtime_dotnet_thread_pool_thread_count";
        const string committed = "system_runtime_dotnet_gc_last_collection_memory_committed_size";
        const string Alloc = Probe.AllocatedBytes, Pause = "system_runtime_dotnet_gc_pause_time", Jit = "system_runtime_dotnet_jit_compiled_methods";
        var steady = _pre.Count == 0 ? "" :
            $"; before the stop, per s: {Rate(Alloc) / 1e6:0} MB allocated, GC pause {Rate(Pause):0.00} s, JIT +{Rate(Jit):0} methods, EF queries compiled +{Rate(EfCacheMisses):0.0}";
        return $"survivor's runtime from the stop until {upTo[^1].At:0.0} s: GC gen0/1/2 +{D(gc + "0\"}"):0}/+{D(gc + "1\"}"):0}/+{D(gc + "2\"}"):0}, " +
               $"pause {D(Pause):0.00} s, {D(Alloc) / 1e6:0} MB allocated, " +
               $"committed {_base.GetValueOrDefault(committed, double.NaN) / 1e6:0} → {last.GetValueOrDefault(committed, double.NaN) / 1e6:0} MB, minor page faults +{D("minflt"):0}; " +
               $"JIT +{D(Jit):0} methods in {D("system_runtime_dotnet_jit_compilation_time"):0.00} s, EF queries compiled +{D(EfCacheMisses):0}; " +
               $"thread-pool threads {_base.GetValueOrDefault(threads, double.NaN):0} → {last.GetValueOrDefault(threads, double.NaN):0} (max {Max(threads):0}), " +
               $"queue max {Max("system_runtime_dotnet_thread_pool_queue_length"):0}, work items +{D("system_runtime_dotnet_thread_pool_work_item_count"):0}; " +
               $"lock contentions +{D("system_runtime_dotnet_monitor_lock_contentions"):0}{steady}";
    }
}
