using System.ComponentModel.DataAnnotations;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Http.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Realtime;

/// <summary>Settings under <c>Realtime:Handover</c> (<see cref="HubHandover"/>).</summary>
public sealed class HandoverOptions
{
    public const string Section = "Realtime:Handover";

    /// <summary>The off switch. Without <c>ConnectionStrings:Redis</c> (one replica) there is nowhere to hand over to either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The longest a stopping replica keeps serving while its clients move; what is still open then is closed (they
    /// reconnect). Keep it, with the stop after it, inside the orchestrator's grace period (Kubernetes 30 s by default, 45 s in
    /// <c>deploy/k8s</c>; ECS <c>stopTimeout</c> 30 s; compose <c>stop_grace_period: 30s</c>).</summary>
    [Range(0.1, 120)] public double MaxSeconds { get; set; } = 20;

    /// <summary>Once the <see cref="MoveWithinMs"/> window has passed and at least one client has moved, the handover also
    /// ends when none of the connections asked has left for this long: clients that do not move (a frozen or throttled tab)
    /// hold the replica no longer than that after the others, while a busy replica's slow moves, each ending soon after the
    /// one before, go on up to <see cref="MaxSeconds"/> instead of being cut at a fixed limit and reconnecting with a gap.
    /// Not before the first has moved (on a busy replica the first moves may take longer than this), unless the handover
    /// began on the last reading with Redis silent and no check has had an answer since (its peers may have gone). 0: only
    /// <see cref="MaxSeconds"/>.</summary>
    [Range(0, 120)] public double QuietSeconds { get; set; } = 5;

    /// <summary>Sent to the clients: each moves after a random wait within this many milliseconds, so the other replicas take
    /// the moves spread out rather than at once.</summary>
    [Range(0, 60_000)] public int MoveWithinMs { get; set; } = 2_000;

    /// <summary>How long a stopping replica keeps its listeners open once the handover starts. Meanwhile every response
    /// closes its connection (<see cref="HubDrain.UseConnectionCloseWhileStopping"/>), so the load balancer's pooled
    /// keep-alive connections to this replica retire after their next request. Closing the listeners at once also closed
    /// those idle connections under the load balancer: a POST it had just sent on one failed with 502 (not retried: not
    /// idempotent), once in each storm rep (bench/README.md, "Twenty-third round"). New hub connections meanwhile get 503
    /// and go to another replica (<see cref="HubDrain"/>).</summary>
    [Range(0, 10_000)] public int ListenGraceMs { get; set; } = 1_000;

    /// <summary>The load balancer's upstream idle timeout with a margin (nginx <c>keepalive_timeout</c>, 500 ms in
    /// deploy/nginx and scripts/cluster.sh). After the grace, the listeners stay open until no request that began before
    /// the handover is in flight and the last of them ended this long ago: its response kept its connection open, and
    /// the balancer retires it from its pool only after its idle timeout (<see cref="KeepAliveRequests"/>). At most
    /// <see cref="MaxSeconds"/> in all. 0: the grace only.</summary>
    [Range(0, 60_000)] public int UpstreamIdleMs { get; set; } = 750;
}

/// <summary>What a replica sends a hub connection it asks to move (<see cref="IBoardClient.ServerStopping"/>): a stopping
/// replica sends it to each of its connections (<see cref="MoveReason.Stopping"/>), a replica holding more than its share
/// to those it moves away (<see cref="MoveReason.Rebalancing"/>, <see cref="HubRebalancer"/>).</summary>
public sealed record ServerStoppingDto(int MoveWithinMs, MoveReason Reason = MoveReason.Stopping);

/// <summary>Why a connection is asked to move (<c>"stopping"</c>, <c>"rebalancing"</c>); the client does the same either way.</summary>
public enum MoveReason
{
    Stopping,
    Rebalancing,
}

/// <summary>
/// A rolling restart without a gap. Until now a stopping replica closed every hub connection at once (SignalR does so
/// when the application starts stopping), and each of its viewers saw nothing until it had reconnected elsewhere and
/// caught up: seconds, for thousands of clients at once. With the handover, the replica's SIGTERM first sends each of its
/// connections <see cref="IBoardClient.ServerStopping"/> and keeps serving them: each client opens a new connection
/// through the load balancer, which lands on another replica (this one closes its listening sockets, so a connect to it
/// is refused at once, and answers any new hub request still reaching it with 503, see <see cref="HubDrain"/>), rejoins
/// its board from its last seq, and only then closes the old one (make before break), so it keeps getting every event
/// throughout. The replica stops once the last of them has gone, once none has gone for
/// <see cref="HandoverOptions.QuietSeconds"/> since the last one did, or after <see cref="HandoverOptions.MaxSeconds"/>,
/// closing what is left as before. Only clients that say they know the message (<c>?handover=1</c> on the hub URL: the
/// browser's, the bench's) are asked; the others keep being served during the handover and are closed by the stop,
/// reconnecting the old way.
/// <para>Only where there is a replica to move to: with Redis, when the rebalancer's counts in Redis, read afresh, show
/// another replica, live or listed and seen lately (and while they do: replicas stopping together end their handovers
/// within a second; a peer whose count stays lapsed ends it within a count's lifetime), or, when Redis cannot answer,
/// when the last tick's reading, younger than a count's lifetime, showed one. The replica takes itself out of that count,
/// so no other replica sheds connections towards it while it empties.</para>
/// </summary>
public sealed partial class HubHandover(HubLifetimeManager<BoardHub> lifetime, IHubContext<BoardHub, IBoardClient> hub, HubRebalancer rebalancer,
    IServer server, IHostApplicationLifetime app, IOptions<HostOptions> host, IOptions<HandoverOptions> options, KeepAliveRequests keepAlive,
    TimeProvider clock, ILogger<HubHandover> log)
{
    private readonly ClusterHubLifetimeManager<BoardHub>? _cluster = lifetime as ClusterHubLifetimeManager<BoardHub>;
    private int _started;
    /// <summary>The connections asked to move: null before the handover's snapshot (and again once it ended with nowhere
    /// to move to or was cancelled: nobody is asked then). <see cref="AskIfLateAsync"/> adds
    /// those whose handshake ended after the snapshot; until <see cref="_waitEnded"/>, the handover waits for them too.
    /// With <see cref="_lastAsked"/> (when the last of them was asked), read and changed under <see cref="_askedLock"/>.</summary>
    private List<HubConnectionContext>? _asked;
    private long _lastAsked;
    /// <summary>Whether the handover no longer waits for the connections it asks: it asked none at its snapshot, or its
    /// wait has ended (<see cref="AskIfLateAsync"/> then asks a late one to move at once).</summary>
    private bool _waitEnded;
    private readonly Lock _askedLock = new();

    /// <summary>Whether this replica is handing its connections over, or with none to hand over is waiting for the load
    /// balancer's pooled connections to retire (it then refuses new hub connections, and its responses close theirs).</summary>
    public bool HandingOver => Volatile.Read(ref _started) == 1;

    /// <summary>Why a handover ended.</summary>
    public enum End
    {
        /// <summary>Every connection asked has left.</summary>
        AllMoved,
        /// <summary>Some moved (or, begun with Redis silent, not yet known to have anywhere to move), then none for
        /// <see cref="HandoverOptions.QuietSeconds"/> (after the move window).</summary>
        Quiet,
        /// <summary><see cref="HandoverOptions.MaxSeconds"/> passed.</summary>
        Limit,
        /// <summary>No other replica is left to move to (several stopping at once), or the only ones listed have stayed
        /// lapsed (<see cref="HubRebalancer.Peers"/>).</summary>
        NoPeer,
        /// <summary>The application stopped meanwhile.</summary>
        Cancelled,
    }

    /// <summary>How a handover went: the connections asked to move, how many of them were still open at the end, how long
    /// it took, and why it ended.</summary>
    public sealed record Outcome(int Asked, int Left, TimeSpan Took, End Ended);

    /// <summary>Whether the connection's client said it moves when asked (<c>/hubs/board?handover=1</c>), over WebSockets:
    /// clients that do not know <see cref="IBoardClient.ServerStopping"/> are left to the stop, which closes them as before,
    /// and so are long polling and server-sent events, whose next request would need a new connection (refused here).</summary>
    public static bool Knows(HubConnectionContext connection) =>
        connection.Features.Get<IHttpTransportFeature>()?.TransportType == HttpTransportType.WebSockets
        && connection.GetHttpContext()?.Request.Query.TryGetValue("handover", out var v) == true && v == "1";

    /// <summary>
    /// Asks every connection here that knows the message to move and waits until none of them is left (see
    /// <see cref="WaitAsync"/> for when it stops waiting sooner, or <paramref name="ct"/>); one whose handshake ends while
    /// it waits is asked and waited for too (<see cref="AskIfLateAsync"/>).
    /// Null when there is nothing to hand over (no other replica listed, no connection that knows the message, switched
    /// off) or it is already under way; the caller then stops as before. Other connections keep being served meanwhile
    /// (over WebSockets), and the stop closes them. With another replica but no connection to ask, it still waits,
    /// as a handover does, until the load balancer's pooled connections to this replica have retired and the listeners
    /// are closed (<see cref="StopListeningAfterAsync"/>).
    /// </summary>
    public async Task<Outcome?> RunAsync(CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled || _cluster is null) return null;
        // Read fresh: several replicas stopping at once (a scale-down, `docker compose stop`) each leave the list, and a
        // peer that died may still be in the last tick's reading until its count expires. A listed peer whose count has
        // lapsed but who was seen lately counts: a survivor busy under moves may refresh late (if it has died, the wait's
        // check ends the handover within a count's lifetime). When Redis cannot answer within 2 s (this replica's link to
        // it stalled), the last tick's reading, if younger than a count's lifetime: this replica's clients then miss the
        // other replicas' events, and a peer seen that lately can take them (the wait, Redis still silent, ends by the
        // moves, the quiet rule or the limit). With no such reading nothing is handed over.
        var peers = await PeersAsync(CancellationToken.None);
        var others = peers?.Seen ?? rebalancer.RecentlySeen ?? 0;
        if (others == 0)
        {
            if (peers is null) LogNoAnswer(log);
            else LogNoPeer(log);
            return null;
        }
        if (peers is null) LogLastReading(log, others);
        if (Interlocked.Exchange(ref _started, 1) == 1) return null;
        // From here new hub connections are refused (HubDrain). One whose connect came in before that but whose handshake
        // ends after this snapshot (SignalR registers a connection once its client's handshake has arrived) is asked as it
        // connects (AskIfLateAsync).
        List<HubConnectionContext> open, asked;
        long started;
        lock (_askedLock)
        {
            open = _cluster.Connections.Where(c => !c.ConnectionAborted.IsCancellationRequested).ToList();
            asked = open.Where(Knows).ToList();
            started = clock.GetTimestamp();
            (_asked, _lastAsked, _waitEnded) = ([.. asked], started, asked.Count == 0); // (a list of its own: late ones join it while these are sent to)
        }
        if (asked.Count == 0)
        {
            // Nothing to hand over, but the load balancer's pooled connections here still retire before the listeners
            // close (the host's stop would close them under it): responses say Connection: close from here on.
            await StopListeningAfterAsync(o, clock.GetTimestamp(), ct);
            LogNothingToHandOver(log, open.Count);
            return null;
        }

        var leaving = rebalancer.LeaveAsync(); // the others stop counting this replica: nobody sheds towards it
        LogStarted(log, asked.Count, others, o.MoveWithinMs, open.Count - asked.Count);
        var sending = hub.Clients.Clients([.. asked.Select(c => c.ConnectionId)]).ServerStopping(Stopping());
        var listening = StopListeningAfterAsync(o, started, ct); // (the clients move within MoveWithinMs)
        // (Each is local, but one that closed since the snapshot is sought on the other replicas, through Redis: with
        // Redis silent that fails or waits out the client's timeout, and the handover goes on for the others.)
        try { await sending.WaitAsync(TimeSpan.FromSeconds(2), clock); }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            sending.ObserveFault();
            LogAskFailed(log, e);
        }
        await leaving; // (a Redis round trip: the clients are not kept waiting for it)

        var (ended, all, left) = await WaitAsync(started, o, unsure: peers is null, ct);
        var outcome = new Outcome(all, left, clock.GetElapsedTime(started), ended);
        LogFinished(log, outcome.Asked - outcome.Left, outcome.Asked, outcome.Took.TotalSeconds, outcome.Left, outcome.Ended);
        // Not before the listeners are closed, which waits for the balancer's pooled connections to retire: the host's
        // stop would close those under it as well (a quick handover ends within the grace).
        await listening; // (ends at once when ct is cancelled)
        return outcome;
    }

    private ServerStoppingDto Stopping() => new(options.Value.MoveWithinMs);

    /// <summary>
    /// Called as each hub connection here has connected (<see cref="BoardHub.OnConnectedAsync"/>): once the handover has
    /// taken its snapshot of the connections to ask, one whose handshake ended after it (its connect came in before new
    /// ones were refused) is asked to move too. While the handover waits for the others, with the whole move window, and
    /// it is waited for as they are; when the handover asked nobody, or once its wait has ended, with none (the stop is
    /// near: it moves at once, and what has not moved by the stop is closed by it, as any connection left). Nothing
    /// otherwise: no handover; the connection was in the snapshot, is closed already, or its client does not move when
    /// asked; or the handover ended with no other replica left, or was cancelled.
    /// </summary>
    public Task AskIfLateAsync(string connectionId)
    {
        if (!HandingOver || _cluster?.Connection(connectionId) is not { } connection
            || connection.ConnectionAborted.IsCancellationRequested || !Knows(connection)) return Task.CompletedTask;
        bool waited;
        lock (_askedLock)
        {
            // (null before the snapshot, which then holds this connection: it was registered before its hub's
            // OnConnectedAsync ran)
            if (_asked is not { } asked || asked.Contains(connection)) return Task.CompletedTask;
            asked.Add(connection);
            waited = !_waitEnded;
            if (waited) _lastAsked = clock.GetTimestamp();
        }
        LogAskedLate(log, connectionId, waited);
        return hub.Clients.Client(connectionId).ServerStopping(waited ? Stopping() : new ServerStoppingDto(0));
    }

    /// <summary>
    /// Waits until every connection asked (late ones included, <see cref="AskIfLateAsync"/>) has left, or none has for
    /// <see cref="HandoverOptions.QuietSeconds"/> since the last one did (once the move window has passed since the last of
    /// them was asked; not before the first has left, since on a busy replica the first moves may take longer than the
    /// quiet time, unless <paramref name="unsure"/>), or <see cref="HandoverOptions.MaxSeconds"/> have passed, or no other
    /// replica is left to move to. Returns why, with how many were asked and are left, read when it ended: none is asked
    /// after that. <paramref name="unsure"/>: begun on the last tick's reading, Redis silent, so no check can tell that
    /// nobody is left to move to; the quiet rule then ends it even when nobody has moved (the peers read then may have
    /// gone since), rather than the limit.
    /// </summary>
    private async Task<(End Ended, int Asked, int Left)> WaitAsync(long started, HandoverOptions o, bool unsure, CancellationToken ct)
    {
        var limit = TimeSpan.FromSeconds(o.MaxSeconds);
        var quiet = TimeSpan.FromSeconds(o.QuietSeconds);
        var window = TimeSpan.FromMilliseconds(o.MoveWithinMs);
        var moved = 0; // (asked − left: a late one adds one to both, so it only rises, as each one leaves)
        var lastLeaving = started; // when the last one left
        var lastCheck = clock.GetTimestamp();
        long? lapsedSince = null; // since when the only others left are listed with a lapsed count
        try
        {
            while (true)
            {
                lock (_askedLock)
                {
                    var (asked, left) = Counts();
                    if (asked - left > moved) (moved, lastLeaving) = (asked - left, clock.GetTimestamp());
                    End? end = left == 0 ? End.AllMoved
                        : clock.GetElapsedTime(started) >= limit ? End.Limit
                        : quiet > TimeSpan.Zero && (moved > 0 || unsure) && clock.GetElapsedTime(_lastAsked) >= window + quiet && clock.GetElapsedTime(lastLeaving) >= quiet ? End.Quiet
                        : null;
                    if (end is { } ended) return Ended(ended);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(50), clock, ct);
                if (clock.GetElapsedTime(lastCheck) < TimeSpan.FromSeconds(1)) continue;
                lastCheck = clock.GetTimestamp();
                if (await NowhereLeftAsync()) return Ended(End.NoPeer);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Ended(End.Cancelled);
        }

        // (under the lock) How many were asked and how many of them are still here.
        (int Asked, int Left) Counts() => (_asked!.Count, _asked.Count(c => !c.ConnectionAborted.IsCancellationRequested));

        // Whether there is nowhere left to move to: the others have left the list (stopping too: a scale-down to zero). One
        // still listed whose count has lapsed may be a survivor held up under the very moves it is taking, so it ends the
        // handover only once its count has stayed lapsed for a count's lifetime more, read so on every check (a dead peer
        // still ends it; every id still listed counts here, so a peer of the version before, which marks itself seen
        // nowhere, keeps that grace too). Redis unable to say ends nothing (the limit does) and restarts that count: no
        // peer can refresh during an outage. (Before, one such reading ended it: in a storm, with the survivor up, a
        // stopping replica closed 2,467 of its connections "with nowhere to go"; bench/README.md, forty-fourth round.)
        async Task<bool> NowhereLeftAsync()
        {
            var peers = await PeersAsync(ct);
            if (peers is not null) unsure = false; // Redis answers again: the quiet rule waits for a first move, as usual
            if (peers is null || peers.Value.Live > 0)
            {
                lapsedSince = null;
                return false;
            }
            if (peers.Value.Listed == 0) return true;
            lapsedSince ??= clock.GetTimestamp();
            return clock.GetElapsedTime(lapsedSince.Value) >= rebalancer.CountLifetime;
        }

        // The end, with the counts at that moment; late connections are asked to move at once from here on, and not
        // waited for, unless there is nowhere to move to or the application is stopping already: then none is asked.
        // (The lock is re-entrant: the loop decides and ends under the one it holds, so nobody is asked between its
        // reading and the end.)
        (End, int, int) Ended(End end)
        {
            lock (_askedLock)
            {
                var (asked, left) = Counts();
                if (end is End.NoPeer or End.Cancelled) _asked = null;
                else _waitEnded = true;
                return (end, asked, left);
            }
        }
    }

    /// <summary>The other replicas listed (<see cref="HubRebalancer.PeersAsync"/>); null when Redis cannot say within 2 s.</summary>
    private async Task<HubRebalancer.Peers?> PeersAsync(CancellationToken ct)
    {
        try { return await rebalancer.PeersAsync().WaitAsync(TimeSpan.FromSeconds(2), clock, ct); }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException) { return null; }
    }

    /// <summary><see cref="StopListening"/> after <see cref="HandoverOptions.ListenGraceMs"/>, once the connections the
    /// requests from before the handover kept open have left the load balancer's pool (at most
    /// <see cref="HandoverOptions.MaxSeconds"/> after the start).</summary>
    private async Task StopListeningAfterAsync(HandoverOptions o, long started, CancellationToken ct)
    {
        try
        {
            if (o.ListenGraceMs > 0) await Task.Delay(TimeSpan.FromMilliseconds(o.ListenGraceMs), clock, ct);
            if (o.UpstreamIdleMs > 0)
            {
                var left = TimeSpan.FromSeconds(o.MaxSeconds) - clock.GetElapsedTime(started);
                using var limit = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, clock);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, ct);
                try { await keepAlive.WaitUntilRetiredAsync(TimeSpan.FromMilliseconds(o.UpstreamIdleMs), either.Token); }
                catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested) { LogKeepAliveLimit(log, keepAlive.InFlight); }
            }
            StopListening();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { } // (stopped at once: the host's stop closes them)
        catch (Exception e) { LogStopListeningFailed(log, e); } // (the host's own stop closes the listeners then)
    }

    /// <summary>
    /// Closes the server's listening sockets (Kestrel's graceful stop: no new connection, open ones go on, idle ones are closed), so a load
    /// balancer's connect to this replica is refused at once and goes to another replica, rather than waiting here, on a
    /// busy replica, for a 503. The WebSocket connections being handed over keep working. The host's own stop later waits
    /// for this one, which ends when every connection has closed (the application's stop closes the rest); what is still
    /// open the host's shutdown timeout after the application started stopping is aborted, as the host's stop would.
    /// Not for a server without addresses (the tests' in-memory server).
    /// </summary>
    private void StopListening()
    {
        if (server.Features.Get<IServerAddressesFeature>() is not { Addresses.Count: > 0 }) return;
        var backstop = new CancellationTokenSource();
        var stopping = app.ApplicationStopping.Register(() => backstop.CancelAfter(host.Value.ShutdownTimeout));
        _ = server.StopAsync(backstop.Token).ContinueWith(t =>
        {
            stopping.Dispose();
            backstop.Dispose();
            if (t.Exception is { } e) LogStopListeningFailed(log, e.GetBaseException());
        }, TaskScheduler.Default);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handover: stopping the server's listeners failed")]
    private static partial void LogStopListeningFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handover: closing the listeners at Realtime:Handover:MaxSeconds, before the load balancer's pooled connections have surely retired ({InFlight} requests from before the handover in flight)")]
    private static partial void LogKeepAliveLimit(ILogger logger, int inFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: none of the {Open} hub connections knows the handover; the load balancer's pooled connections have retired and the listeners are closed")]
    private static partial void LogNothingToHandOver(ILogger logger, int open);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping: Redis did not answer; handing over on the last reading, {Others} other replica(s) seen lately")]
    private static partial void LogLastReading(ILogger logger, int others);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping: Redis did not answer, and no reading younger than a count's lifetime shows another replica; closing the hub connections now")]
    private static partial void LogNoAnswer(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handover: asking the connections to move failed or took over 2 s (one that closed meanwhile is sought through Redis); waiting for them")]
    private static partial void LogAskFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: no other replica to hand hub connections over to; closing them now")]
    private static partial void LogNoPeer(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: asking {Count} hub connections to move to the {Others} other replica(s), each within {MoveWithinMs} ms ({Old} that do not know the message are closed at the stop)")]
    private static partial void LogStarted(ILogger logger, int count, int others, int moveWithinMs, int old);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handover: hub connection {ConnectionId} connected after the handover began (its connect came in before); asked to move too (waited for: {Waited})")]
    private static partial void LogAskedLate(ILogger logger, string connectionId, bool waited);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handover: {Moved} of {Asked} hub connections moved in {Seconds:0.0} s; closing the {Left} left ({Ended})")]
    private static partial void LogFinished(ILogger logger, int moved, int asked, double seconds, int left, End ended);

    /// <summary>
    /// The host's lifetime with the handover before the stop: SIGTERM (what orchestrators send) first runs
    /// <see cref="RunAsync"/>, then stops the application; a second SIGTERM, SIGINT (Ctrl+C) or SIGQUIT stops at once.
    /// In place of <see cref="Microsoft.Extensions.Hosting.Internal.ConsoleLifetime"/>, whose SIGTERM stops the application
    /// at once (and SignalR closes every connection when it starts stopping). It writes that lifetime's status lines under
    /// its category (started, saying which signal does what here; environment; content root; shutting down), unless
    /// <see cref="ConsoleLifetimeOptions.SuppressStatusMessages"/> says not to, as that lifetime does.
    /// </summary>
    public sealed partial class Lifetime(HubHandover handover, IHostApplicationLifetime app, IHostEnvironment environment, ILoggerFactory loggers,
        IOptions<ConsoleLifetimeOptions> console, ILogger<Lifetime> log) : IHostLifetime, IDisposable
    {
        private readonly List<PosixSignalRegistration> _signals = [];
        private readonly List<CancellationTokenRegistration> _status = [];
        private readonly ILogger _hostLog = loggers.CreateLogger("Microsoft.Hosting.Lifetime");
        private int _terms;

        public Task WaitForStartAsync(CancellationToken ct)
        {
            if (!console.Value.SuppressStatusMessages)
            {
                _status.Add(app.ApplicationStarted.Register(() =>
                {
                    LogApplicationStarted(_hostLog);
                    LogEnvironment(_hostLog, environment.EnvironmentName);
                    LogContentRoot(_hostLog, environment.ContentRootPath);
                }));
                _status.Add(app.ApplicationStopping.Register(() => LogShuttingDown(_hostLog)));
            }
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, StopNow));
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGQUIT, StopNow));
            _signals.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, HandOverThenStop));
            return Task.CompletedTask;
        }

        private void StopNow(PosixSignalContext context)
        {
            context.Cancel = true; // the host stops gracefully, rather than the process ending here
            app.StopApplication();
        }

        private void HandOverThenStop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref _terms) > 1)
            {
                app.StopApplication();
                return;
            }
            _ = Task.Run(async () =>
            {
                try { await handover.RunAsync(app.ApplicationStopping); }
                catch (Exception e) { LogFailed(log, e); }
                finally { app.StopApplication(); }
            });
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

        public void Dispose()
        {
            foreach (var s in _signals) s.Dispose();
            _signals.Clear();
            foreach (var r in _status) r.Dispose();
            _status.Clear();
        }

        [LoggerMessage(Level = LogLevel.Error, Message = "The hub handover failed; stopping now")]
        private static partial void LogFailed(ILogger logger, Exception exception);

        [LoggerMessage(Level = LogLevel.Information, Message = "Application started. Send SIGTERM to hand the hub connections over and stop, Ctrl+C to stop at once.")]
        private static partial void LogApplicationStarted(ILogger logger);

        [LoggerMessage(Level = LogLevel.Information, Message = "Hosting environment: {EnvName}")]
        private static partial void LogEnvironment(ILogger logger, string envName);

        [LoggerMessage(Level = LogLevel.Information, Message = "Content root path: {ContentRoot}")]
        private static partial void LogContentRoot(ILogger logger, string contentRoot);

        [LoggerMessage(Level = LogLevel.Information, Message = "Application is shutting down...")]
        private static partial void LogShuttingDown(ILogger logger);
    }
}
