using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Moves hub connections back to a replica that came back (with Redis only; see <see cref="RebalanceOptions"/>). When a
/// replica restarts, its clients reconnect to the others, and nothing would move any back: the next restart (a rolling
/// deploy) would then move all of them at once. Every <see cref="RebalanceOptions.IntervalSeconds"/> each replica writes
/// how many hub connections it holds to Redis (a key per replica with a TTL, listed in a set per deployment) and reads
/// the others'. A replica that died stops counting when its count expires, and is taken out of the list once its seen
/// mark (refreshed with the count, living two TTLs) has expired too: one whose count has lapsed but who was seen lately
/// may be a survivor held up under a storm of moves, which a handover must not take for gone (<see cref="PeersAsync"/>;
/// a replica of the version before marks itself nowhere, and takes a lapsed one out on one reading, as all did before).
/// One that holds more than its fair share (total ÷ live replicas) by more than the tolerance closes the excess, at most
/// <see cref="RebalanceOptions.ShedPerSecond"/>, chosen in proportion across boards and, within a board, across people.
/// A closed connection is sent a close message with <c>allowReconnect</c>: SignalR clients with automatic reconnect (the
/// browser's, <c>web/src/hub.ts</c>) reconnect through the load balancer, whose hub upstream is <c>least_conn</c>, so they
/// land on the lighter replica, and rejoin from their last seq.
/// <para>A replica publishes its count only once it is started and ready (<c>/readyz</c>'s checks), so nobody sheds
/// towards a replica that cannot serve yet; a stopping replica neither publishes nor sheds. While clients move, this replica's
/// count drops at once and the others' rise only with their next publication: while it is moving connections (and for a TTL
/// and two intervals after its last close) the total it divides never goes down, so a lagging count never makes it shed
/// too many; connections it is closing do not count as its own. A move starts only once the excess has lasted longer than
/// <see cref="RebalanceOptions.TtlSeconds"/>: a replica that died without taking its count out (its clients already
/// reconnected here) has dropped out by then, and only while the deployment's total holds from one reading to the next (a
/// ramp of connects makes every replica's own, fresher count look ahead of the others').</para>
/// <para>A connection whose client moves when asked (<c>?handover=1</c>: the browser's, the bench's) is asked to move instead
/// of being closed (<see cref="RebalanceOptions.AskToMove"/>): the stopping replica's message, <c>ServerStopping</c>, with
/// reason <c>rebalancing</c>. Its client opens a new connection, rejoins its board there and only then closes this one, so
/// its board sees no gap, where a closed one showed "Reconnecting…" and caught up. While connections it asked are still on
/// their way, this replica refuses new connections that are moves (<c>?move=1</c>, <see cref="RefusingMoves"/>): behind a
/// round-robin load balancer (the ALB, ingress-nginx) a shed client lands on any replica, this one included, so each net
/// move cost about as many sheds as there are replicas (2.00 per connection gained with two, bench/README.md, "Fortieth
/// round"); a refused move goes on to another replica (nginx by itself, a client after its next try's wait, still served
/// meanwhile).</para>
/// <para>For <see cref="RebalanceOptions.WarmUpSeconds"/> after it is ready, a replica also publishes that it is warming up
/// (a key of its own beside its count, so a replica of the version before, which reads the count only, still reads it):
/// the others leave it and its connections out of the fair share, so they shed nothing towards it while it compiles.</para>
/// </summary>
public sealed partial class HubRebalancer : BackgroundService
{
    /// <summary>What a shed connection is sent: close, and reconnect (SignalR clients with automatic reconnect do).</summary>
    private static readonly CloseMessage ReconnectNow = new(error: null, allowReconnect: true);

    private readonly IConnectionMultiplexer _redis;
    private readonly ClusterHubLifetimeManager<BoardHub>? _hub;
    private readonly LocalConnections _local;
    private readonly RebalanceOptions _options;
    private readonly IHostApplicationLifetime _app;
    private readonly HealthCheckService _health;
    private readonly TimeProvider _clock;
    private readonly ILogger<HubRebalancer> _log;
    private readonly string _id = Guid.NewGuid().ToString("N");
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, byte> _closing = new(StringComparer.Ordinal);
    private int _movingTotal;
    private long _lastShedAt;
    private long _overSince;
    private int? _previousTotal;
    private long _shed;
    private long _readyAt;
    private bool _warmKeyPublished;
    private int _asked;
    private long _notMoved;

    public HubRebalancer(IConnectionMultiplexer redis, HubLifetimeManager<BoardHub> lifetime, LocalConnections local, IOptions<RebalanceOptions> options,
        IConfiguration configuration, IHostApplicationLifetime app, HealthCheckService health, TimeProvider clock, ILogger<HubRebalancer> log)
    {
        _redis = redis;
        _hub = lifetime as ClusterHubLifetimeManager<BoardHub>;
        _local = local;
        _options = options.Value;
        _app = app;
        _health = health;
        _clock = clock;
        _log = log;
        var scope = _options.Scope is { Length: > 0 } s ? s
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                configuration.GetConnectionString("MySql") ?? configuration.GetConnectionString("Sqlite") ?? "")))[..16];
        _prefix = $"taskhub:hub-load:{scope}";
    }

    /// <summary>Connections this replica has closed or asked to move to rebalance (also <c>taskhub_hub_connections_shed_total</c>).</summary>
    public long Shed => Interlocked.Read(ref _shed);

    /// <summary>Connections asked to move that were still here <see cref="RebalanceOptions.MoveGraceSeconds"/> later (also
    /// <c>taskhub_hub_moves_not_taken_total</c>).</summary>
    public long NotMoved => Interlocked.Read(ref _notMoved);

    /// <summary>Whether connections this replica asked to move are still here, on their way, and another replica is live
    /// to take them: then it takes no connection that is a rebalancing move (<c>/hubs/board?move=1</c>; <see cref="HubDrain"/>
    /// answers 503), since behind a round-robin balancer some of those would be its own clients' moves sent straight back.
    /// First connections, reconnects and a stopping replica's moves (not marked) are never refused for it.</summary>
    public bool RefusingMoves => Volatile.Read(ref _asked) > 0 && Last is { Replicas: >= 2 };

    /// <summary>The last reading: this replica's connections, the deployment's (as published), live replicas, and how many
    /// this replica may hold before it sheds (null before the first); replicas warming up and their connections are left
    /// out of all but the first.</summary>
    public Reading? Last { get; private set; }

    public sealed record Reading(int Own, int Total, int Replicas, int Allowed);

    /// <summary>Decisions taken so far (one per tick that read the counts).</summary>
    public long Ticks => Interlocked.Read(ref _ticks);
    private long _ticks;

    /// <summary>Raised as each connection is asked to reconnect (with its id): tests and diagnostics.</summary>
    public event Action<string>? Shedding;

    /// <summary>How long after its last close a move still counts as under way: a count lives a TTL, and is refreshed every interval.</summary>
    private TimeSpan MoveWindow => TimeSpan.FromSeconds(_options.TtlSeconds + 2 * _options.IntervalSeconds);

    private RedisKey Replicas => $"{_prefix}:replicas";

    private RedisKey CountKey(string replica) => $"{_prefix}:{replica}";

    private RedisKey WarmingKey(string replica) => $"{_prefix}:{replica}:warming";

    /// <summary>Set on every publication, living two TTLs: a replica still seen is not taken out of the list.</summary>
    private RedisKey SeenKey(string replica) => $"{_prefix}:{replica}:seen";

    /// <summary>Whether this replica is still in its <see cref="RebalanceOptions.WarmUpSeconds"/>.</summary>
    private bool Warming => _options.WarmUpSeconds > 0 && _clock.GetElapsedTime(_readyAt) < TimeSpan.FromSeconds(_options.WarmUpSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_hub is null) return; // another lifetime manager: nothing here knows its connections
        var interval = TimeSpan.FromSeconds(_options.IntervalSeconds);
        try
        {
            // Counted only once serving and ready: the others must not shed towards a replica that cannot take connections.
            await WhenStartedAsync(stoppingToken);
            while ((await _health.CheckHealthAsync(c => c.Tags.Contains("ready"), stoppingToken)).Status != HealthStatus.Healthy)
                await Task.Delay(interval, _clock, stoppingToken);
            _readyAt = _clock.GetTimestamp();

            using var timer = new PeriodicTimer(interval, _clock);
            var failures = 0;
            do
            {
                if (_app.ApplicationStopping.IsCancellationRequested) break;
                try
                {
                    await TickAsync(stoppingToken);
                    failures = 0;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (failures++ == 0) LogTickFailed(_log, e); // once per outage, not every interval
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await ForgetAsync();
    }

    private Task WhenStartedAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _app.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(ct);
    }

    /// <summary>Publishes this replica's count, reads the deployment's, and sheds what is above the tolerance (paced: at
    /// most <see cref="RebalanceOptions.ShedPerSecond"/> × the interval per tick, so a tick ends in about an interval).</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        if (_leaving) return;
        // Those being closed are on their way out.
        var own = _hub!.Connections.Count(c => !_closing.ContainsKey(c.ConnectionId) && !c.ConnectionAborted.IsCancellationRequested);
        var db = _redis.GetDatabase();
        var ttl = TimeSpan.FromSeconds(_options.TtlSeconds);
        var warming = Warming;
        await Task.WhenAll(
            db.StringSetAsync(CountKey(_id), own, ttl),
            db.StringSetAsync(SeenKey(_id), 1, 2 * ttl),
            db.SetAddAsync(Replicas, _id),
            db.KeyExpireAsync(Replicas, ttl * 10),
            warming ? db.StringSetAsync(WarmingKey(_id), 1, ttl)
                : _warmKeyPublished ? db.KeyDeleteAsync(WarmingKey(_id)) : Task.CompletedTask);
        _warmKeyPublished = warming;
        if (_leaving)
        {
            await ForgetAsync(); // left while this tick published: take it out again
            return;
        }

        var readAt = _clock.GetTimestamp(); // (before the read: on a slow link the answer may come late)
        var (counts, lapsed, gone) = await OthersAsync(db);
        _seen = new SeenAt(counts.Count + lapsed, readAt);
        // Seen by nobody for two TTLs: a replica that died, or stopped without leaving. One whose count has lapsed but who
        // was seen lately stays listed: taken out on one reading, a survivor held up under a storm of moves looked gone to
        // a replica handing over to it, which then closed its connections with nowhere to go (README, forty-fifth round).
        if (gone.Count > 0)
        {
            // Housekeeping: a failure (a Redis that refuses scripts) must not stop the tick's decision; tried again next tick.
            try { await PruneAsync(gone); }
            catch (Exception e) when (e is RedisException or TimeoutException) { LogPruneFailed(_log, e); }
        }
        // Those warming up are no destination: neither they nor their connections count towards the fair share.
        var others = counts.Where(c => !c.Warming).Select(c => c.Connections).ToList();
        var total = others.Sum() + own;
        var live = others.Count + 1;

        // Clients closed lately may not be in another replica's published count yet: while moving, the total holds; and
        // while connections asked to move are still here (out of the own count, up to MoveWithinMs + MoveGraceSeconds).
        var moving = Volatile.Read(ref _asked) > 0 || _lastShedAt != 0 && _clock.GetElapsedTime(_lastShedAt) <= MoveWindow;
        var estimate = _movingTotal = moving ? Math.Max(total, _movingTotal) : total;
        var fair = (double)estimate / live;
        var tolerance = Math.Max(_options.MinExcess, (int)Math.Ceiling(fair * _options.TolerancePercent / 100));
        var allowed = (int)Math.Ceiling(fair) + tolerance;
        Last = new Reading(own, total, live, allowed);
        Interlocked.Increment(ref _ticks);
        var excess = own - allowed;
        // While the deployment is still gaining or losing clients (a morning's sign-ins, a storm's reconnects) every
        // replica's own count is fresher than the others' published ones, so each sees itself ahead of a balanced share:
        // the fan-out bench's 5,000 viewers, joining both replicas evenly over 11 s, had 45 of theirs shed. A move
        // therefore waits for a total that holds (within the tolerance) from one reading to the next.
        var settling = !moving && _previousTotal is { } previous && Math.Abs(total - previous) > tolerance;
        _previousTotal = total;
        if (excess <= 0 || live < 2 || settling)
        {
            _overSince = 0;
            return;
        }
        // A move starts only once the excess has lasted longer than a count lives: by then a peer that died (its count
        // still there, its clients already here) has dropped out, and a peer's count from before its last connects is refreshed.
        if (_overSince == 0) _overSince = _clock.GetTimestamp();
        if (!moving && _clock.GetElapsedTime(_overSince) <= TimeSpan.FromSeconds(_options.TtlSeconds)) return;

        var perTick = Math.Max(1, (int)Math.Floor(_options.ShedPerSecond * _options.IntervalSeconds));
        var picked = Pick(Math.Min(excess, perTick));
        LogShedding(_log, own, live, estimate, allowed, picked.Count);
        await ShedAsync(picked, ct);
    }

    /// <summary>
    /// <paramref name="count"/> connections, spread: each board gives up the same share of its connections here (a board's
    /// i-th connection of n ranks (i + ½) / n and the lowest ranks go, so a board with more here goes first on a tie), and
    /// within a board the people take turns (one connection each, the person with the most here first), so no board and no
    /// person loses all at once, and rounds of picks keep them even. Connections that joined no board form one group.
    /// </summary>
    private List<HubConnectionContext> Pick(int count)
    {
        var boardOf = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (connectionId, _, boardId) in _local.All()) boardOf.TryAdd(connectionId, boardId);
        var ranked = new List<(double Rank, int Tie, HubConnectionContext Connection)>();
        foreach (var board in _hub!.Connections
                     .Where(c => !_closing.ContainsKey(c.ConnectionId) && !c.ConnectionAborted.IsCancellationRequested)
                     .GroupBy(c => boardOf.GetValueOrDefault(c.ConnectionId)))
        {
            var byUser = board.GroupBy(c => c.UserIdentifier ?? "").Select(u => u.OrderBy(_ => Random.Shared.Next()).ToList())
                .OrderByDescending(u => u.Count).ThenBy(_ => Random.Shared.Next()).ToList();
            var turns = Enumerable.Range(0, byUser[0].Count).SelectMany(i => byUser.Where(u => i < u.Count).Select(u => u[i])).ToList();
            var tie = Random.Shared.Next();
            ranked.AddRange(turns.Select((c, i) => ((i + 0.5) / turns.Count, tie, c)));
        }
        return [.. ranked.OrderBy(r => r.Rank).ThenBy(r => r.Tie).Take(count).Select(r => r.Connection)];
    }

    /// <summary>Closes the connections in slices (about ten a second), never faster than the configured rate.</summary>
    private async Task ShedAsync(List<HubConnectionContext> picked, CancellationToken ct)
    {
        var slice = Math.Max(1, (int)Math.Round(_options.ShedPerSecond / 10));
        var pause = TimeSpan.FromSeconds(slice / _options.ShedPerSecond);
        for (var i = 0; i < picked.Count; i += slice)
        {
            // The pace holds across ticks: a slice waits for the previous one's pause, whichever tick closed it.
            var wait = _lastShedAt == 0 ? TimeSpan.Zero : pause - _clock.GetElapsedTime(_lastShedAt);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _clock, ct);
            if (_leaving) break; // handing over: no close without a move
            foreach (var connection in picked.Skip(i).Take(slice))
            {
                if (!_closing.TryAdd(connection.ConnectionId, 0)) continue;
                Interlocked.Increment(ref _shed);
                _lastShedAt = _clock.GetTimestamp();
                RealtimeMetrics.ConnectionsShed.Inc();
                Shedding?.Invoke(connection.ConnectionId);
                _ = _options.AskToMove && HubHandover.Knows(connection) ? AskToMoveAsync(connection) : CloseAsync(connection);
            }
        }
    }

    /// <summary>Asks the client to reconnect (a close message with <c>allowReconnect</c>); aborts it when it has not closed
    /// after the grace period. (<see cref="HubConnectionContext.Abort"/> alone would send <c>allowReconnect: false</c>, which
    /// tells SignalR clients to stay disconnected.)</summary>
    private async Task CloseAsync(HubConnectionContext connection)
    {
        if (await StillOpenAfterAsync(connection, ReconnectNow, TimeSpan.FromSeconds(_options.CloseGraceSeconds)))
            connection.Abort(); // still open after the grace period
    }

    /// <summary>Asks the connection to move (<c>ServerStopping</c>, reason <c>rebalancing</c>) and keeps serving it until
    /// its client closes it from its new connection. One still open after <see cref="RebalanceOptions.MoveGraceSeconds"/>
    /// stays (its client's move failed, e.g. every try refused): it counts here again and may be asked again.</summary>
    private async Task AskToMoveAsync(HubConnectionContext connection)
    {
        Interlocked.Increment(ref _asked);
        try
        {
            var ask = new InvocationMessage(nameof(IBoardClient.ServerStopping), [new ServerStoppingDto(_options.MoveWithinMs, MoveReason.Rebalancing)]);
            if (await StillOpenAfterAsync(connection, ask, TimeSpan.FromMilliseconds(_options.MoveWithinMs) + TimeSpan.FromSeconds(_options.MoveGraceSeconds)))
            {
                Interlocked.Increment(ref _notMoved); // it stays
                RealtimeMetrics.MovesNotTaken.Inc();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _asked);
        }
    }

    /// <summary>Writes <paramref name="message"/> (a close or an ask) and waits for the client to close the connection, all of
    /// it at most <paramref name="within"/> (a client that does not read would hold the write); whether it is still open
    /// then. A write that failed is logged and counts as not open. Either way the connection is no longer one being closed.</summary>
    private async Task<bool> StillOpenAfterAsync(HubConnectionContext connection, HubMessage message, TimeSpan within)
    {
        using var limit = new CancellationTokenSource(within, _clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, connection.ConnectionAborted);
        try
        {
            await connection.WriteAsync(message, either.Token);
            await Task.Delay(Timeout.InfiniteTimeSpan, _clock, either.Token);
            return false; // (never: the delay ends only by cancellation)
        }
        catch (OperationCanceledException)
        {
            return limit.IsCancellationRequested && !connection.ConnectionAborted.IsCancellationRequested;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCloseFailed(_log, e, connection.ConnectionId);
            return false;
        }
        finally
        {
            _closing.TryRemove(connection.ConnectionId, out _);
        }
    }

    private volatile bool _leaving;

    /// <summary>Stops publishing and sheds no more, and takes this replica's count out of Redis (<see cref="HubHandover"/>: a
    /// replica handing its connections over counts for nobody, so no other replica sheds towards it).</summary>
    public Task LeaveAsync()
    {
        _leaving = true;
        return ForgetAsync();
    }

    /// <summary>The other replicas in the deployment's list, read fresh (<see cref="HubHandover"/>: where its connections can
    /// go). A replica that hands over, or stops, leaves the list (<see cref="ForgetAsync"/>).</summary>
    public async Task<Peers> PeersAsync()
    {
        var (counts, lapsed, unseen) = await OthersAsync(_redis.GetDatabase());
        return new Peers(counts.Count, lapsed, unseen.Count);
    }

    /// <summary>Other replicas listed: <paramref name="Live"/> with a count in Redis now; <paramref name="Lapsed"/> with a
    /// count that has lapsed, seen within two TTLs (held up past the count's lifetime, as a replica taking a storm of moves
    /// can be, or died lately); <paramref name="Unseen"/> seen by nobody for two TTLs, or of the version before (which
    /// marks itself nowhere) with a lapsed count, not yet taken out of the list by a tick.</summary>
    public readonly record struct Peers(int Live, int Lapsed, int Unseen)
    {
        /// <summary>Live or seen lately: somewhere a handover may begin to move to.</summary>
        public int Seen => Live + Lapsed;

        public int Listed => Live + Lapsed + Unseen;
    }

    /// <summary>How many other replicas were live or seen lately (<see cref="Peers.Seen"/>) at this replica's last tick, when
    /// that tick read them less than a count's lifetime ago; else null (none yet, or Redis has not answered a tick since).
    /// What <see cref="HubHandover"/> starts on when Redis cannot answer it afresh.</summary>
    public int? RecentlySeen => _seen is { } s && _clock.GetElapsedTime(s.At) < CountLifetime ? s.Peers : null;

    private volatile SeenAt? _seen;

    private sealed record SeenAt(int Peers, long At);

    /// <summary>Checks each id and removes it in one step, in Redis: KEYS are the list, then each id's count and seen mark.</summary>
    private const string PruneScript = """
        local removed = 0
        for i = 1, #ARGV do
          if redis.call('EXISTS', KEYS[2 * i], KEYS[2 * i + 1]) == 0 then
            removed = removed + redis.call('SREM', KEYS[1], ARGV[i])
          end
        end
        return removed
        """;

    /// <summary>Takes those of <paramref name="ids"/> that have neither a count nor a seen mark out of the deployment's
    /// list, checking and removing each in one step in Redis (a script): one that publishes between a tick's reading and
    /// the removal stays listed. (Removed as read, such a peer was out of the list until its next tick, and a handover
    /// to it could end meanwhile.) How many were taken out.</summary>
    public async Task<long> PruneAsync(IReadOnlyCollection<RedisValue> ids)
    {
        if (ids.Count == 0) return 0;
        RedisKey[] keys = [Replicas, .. ids.SelectMany(id => new[] { CountKey(id!), SeenKey(id!) })];
        return (long)await _redis.GetDatabase().ScriptEvaluateAsync(PruneScript, keys, [.. ids]);
    }

    /// <summary>How long a published count lives unless refreshed (<see cref="RebalanceOptions.TtlSeconds"/>).</summary>
    public TimeSpan CountLifetime => TimeSpan.FromSeconds(_options.TtlSeconds);

    /// <summary>What another replica published: its connections, and whether it is warming up.</summary>
    private readonly record struct Peer(int Connections, bool Warming);

    /// <summary>The other replicas' published counts, how many listed have a lapsed count but were seen lately, and the ids
    /// listed that nobody has seen for two TTLs (died or stopped without leaving; a replica of the version before, which
    /// marks itself seen nowhere, once its count has lapsed).</summary>
    private async Task<(List<Peer> Counts, int Lapsed, List<RedisValue> Gone)> OthersAsync(IDatabase db)
    {
        var ids = (await db.SetMembersAsync(Replicas)).Where(id => id != _id).ToArray();
        // One read for all: every count, then every warming flag, then every seen mark.
        var values = ids.Length == 0 ? [] : await db.StringGetAsync(
            [.. ids.Select(id => CountKey(id!)), .. ids.Select(id => WarmingKey(id!)), .. ids.Select(id => SeenKey(id!))]);
        var (live, lapsed, gone) = (new List<Peer>(), 0, new List<RedisValue>());
        for (var i = 0; i < ids.Length; i++)
        {
            if (!values[i].IsNull && values[i].TryParse(out int n)) live.Add(new Peer(n, !values[ids.Length + i].IsNull)); // (a missing key parses as 0)
            else if (!values[2 * ids.Length + i].IsNull) lapsed++;
            else gone.Add(ids[i]);
        }
        return (live, lapsed, gone);
    }

    /// <summary>A stopping replica takes its count out at once (its clients are about to reconnect elsewhere).</summary>
    private async Task ForgetAsync()
    {
        try
        {
            var db = _redis.GetDatabase();
            await Task.WhenAll(db.KeyDeleteAsync([CountKey(_id), WarmingKey(_id), SeenKey(_id)]), db.SetRemoveAsync(Replicas, _id)).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is RedisException or TimeoutException) { } // it expires by itself
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebalancing hub connections: {Own} here, {Total} on {Replicas} replicas (with those on their way), {Allowed} allowed; closing {Count}")]
    private static partial void LogShedding(ILogger logger, int own, int replicas, int total, int allowed, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hub rebalancing tick failed (Redis down?); retrying every interval")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not take replicas nobody has seen out of the deployment's list; tried again next tick")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not close hub connection {ConnectionId}, or ask it to move, for rebalancing")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string connectionId);
}
