using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Delivers each board's events to this replica's connections strictly in seq order, without gaps.
/// <para>
/// Every replica publishes the events it commits on one Redis channel (when Redis is configured) and hands
/// them to itself directly; every replica reads the channel. Per board it keeps the next seq it owes its
/// connections: an event beyond it waits (for at most <see cref="RealtimeOptions.GapWaitMilliseconds"/>)
/// for the missing ones to arrive from the channel, and is then preceded by them read from the event log.
/// A seq already delivered (our own event coming back from Redis, or one covered by a join) is dropped.
/// </para>
/// <para>
/// Boards are spread over independent partitions (by board id), so one busy or slow board never holds
/// back another; inside a partition a board's events are sent one after the other, in order, to the board's
/// group of this replica's viewers (<see cref="LocalGroup"/>).
/// Revocations travel the same way, so the replica that holds a removed member's connection drops it.
/// </para>
/// </summary>
public sealed partial class BoardEventFeed : BackgroundService
{
    /// <summary>One channel for events and revocations, read in order: a revocation published before an event is handled before it.</summary>
    private static readonly RedisChannel FeedChannel = RedisChannel.Literal("taskhub:board-feed");

    private readonly LocalConnections _local;
    private readonly IHubContext<BoardHub, IBoardClient> _hub;
    private readonly IHubContext<BoardHub> _untyped;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly ILogger<BoardEventFeed> _log;
    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeSpan _gapWait;
    private readonly Channel<Item>[] _partitions;

    public BoardEventFeed(LocalConnections local, IHubContext<BoardHub, IBoardClient> hub, IHubContext<BoardHub> untyped, IServiceScopeFactory scopes,
        IOptions<RealtimeOptions> options, TimeProvider clock, ILogger<BoardEventFeed> log, IServiceProvider services)
    {
        _local = local;
        _hub = hub;
        _untyped = untyped;
        _scopes = scopes;
        _clock = clock;
        _log = log;
        _redis = services.GetService<IConnectionMultiplexer>();
        _gapWait = TimeSpan.FromMilliseconds(options.Value.GapWaitMilliseconds);
        _partitions = Enumerable.Range(0, Math.Max(2, options.Value.FeedPartitions))
            .Select(_ => Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true }))
            .ToArray();
    }

    private abstract record Item(Guid BoardId);
    private sealed record Arrived(BoardEventDto Event) : Item(Event.BoardId);
    private sealed record Tracked(Guid BoardId, long Head) : Item(BoardId);
    private sealed record Revoked(Guid BoardId, IReadOnlyList<string>? ConnectionIds) : Item(BoardId);

    /// <summary>What a replica tells the others when access to a board ends: these connections (or all, when null) leave it.</summary>
    private sealed record RevocationMessage(Guid BoardId, IReadOnlyList<string>? ConnectionIds);

    /// <summary>A message on the channel: <c>{"event": …}</c> (the event's wire JSON, as serialised once) or <c>{"revoke": …}</c>.</summary>
    private sealed record FeedMessage(BoardEventDto? Event, RevocationMessage? Revoke);

    /// <summary>A committed event, in commit order for this replica: to this replica's viewers and to every other replica.</summary>
    public async Task PublishAsync(BoardEvent e)
    {
        Enqueue(new Arrived(BoardEventDto.From(e)));
        if (_redis is not null) await _redis.GetSubscriber().PublishAsync(FeedChannel, "{\"event\":" + e.WireJson + "}");
    }

    /// <summary>A connection of this replica joined the board whose head (read after joining) is <paramref name="head"/>.</summary>
    public void Track(Guid boardId, long head) => Enqueue(new Tracked(boardId, head));

    /// <summary>These connections (on any replica), or every connection when null, stop getting the board's events.</summary>
    public async Task RevokeAsync(Guid boardId, IReadOnlyList<string>? connectionIds)
    {
        Enqueue(new Revoked(boardId, connectionIds));
        if (_redis is not null)
            await _redis.GetSubscriber().PublishAsync(FeedChannel,
                JsonSerializer.Serialize(new FeedMessage(null, new RevocationMessage(boardId, connectionIds)), TaskHubJson.Options));
    }

    /// <summary>
    /// The SignalR group of this replica's viewers of a board. Delivering to it (rather than to a list of connections)
    /// keeps SignalR's fan-out: the message is serialised once per protocol. Its name marks it as this replica's own, so
    /// with Redis the send never leaves the replica (<see cref="ClusterHubLifetimeManager{THub}.LocalPrefix"/>).
    /// </summary>
    public static string LocalGroup(Guid boardId) => $"{ClusterHubLifetimeManager<BoardHub>.LocalPrefix}board:{boardId:N}";

    /// <summary>This replica's viewers of a board that take delta events (<see cref="TaskDeltaDto"/>): a group of their own,
    /// so each shape of an event is serialised once (per protocol) for all of them.</summary>
    public static string LocalDeltaGroup(Guid boardId) => $"{ClusterHubLifetimeManager<BoardHub>.LocalPrefix}board:{boardId:N}:delta";

    /// <summary>The group a connection gets a board's events in, by the shape it asked for.</summary>
    public static string LocalGroup(Guid boardId, bool delta) => delta ? LocalDeltaGroup(boardId) : LocalGroup(boardId);

    private void Enqueue(Item item) =>
        _partitions[(int)((uint)item.BoardId.GetHashCode() % (uint)_partitions.Length)].Writer.TryWrite(item);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_redis is not null)
        {
            var queue = await _redis.GetSubscriber().SubscribeAsync(FeedChannel);
            queue.OnMessage(m => Receive(m.Message)); // one message after the other, in the order Redis sent them
        }
        await Task.WhenAll(_partitions.Select(p => RunPartitionAsync(p.Reader, stoppingToken)));
    }

    private void Receive(RedisValue json)
    {
        RealtimeMetrics.FeedReceived.Inc();
        try
        {
            var m = JsonSerializer.Deserialize<FeedMessage>(json.ToString(), TaskHubJson.Options);
            if (m?.Event is { } e) Enqueue(new Arrived(e));
            else if (m?.Revoke is { } r) Enqueue(new Revoked(r.BoardId, r.ConnectionIds));
        }
        catch (JsonException e)
        {
            LogBadMessage(_log, e);
        }
    }

    /// <summary>One board's line on this replica: the next seq its viewers are owed and what arrived early.</summary>
    private sealed class BoardLine(long next)
    {
        public long Next = next;
        public readonly SortedDictionary<long, BoardEventDto> Early = [];
        public DateTimeOffset? GapSince;
    }

    private async Task RunPartitionAsync(ChannelReader<Item> reader, CancellationToken ct)
    {
        var lines = new Dictionary<Guid, BoardLine>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                TimeSpan? wait = NextGapDeadline(lines) is { } deadline ? deadline - _clock.GetUtcNow() : null;
                if (wait is null || wait > TimeSpan.Zero)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    if (wait is { } w) timeout.CancelAfter(w);
                    try
                    {
                        await reader.WaitToReadAsync(timeout.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // a gap's wait is over
                    }
                }
                while (reader.TryRead(out var item)) await HandleAsync(lines, item, ct);
                await FillExpiredGapsAsync(lines, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogPartitionFailed(_log, e);
            }
        }
    }

    private DateTimeOffset? NextGapDeadline(Dictionary<Guid, BoardLine> lines)
    {
        DateTimeOffset? earliest = null;
        foreach (var line in lines.Values)
            if (line.GapSince is { } since && (earliest is null || since < earliest)) earliest = since;
        return earliest + _gapWait;
    }

    private async Task HandleAsync(Dictionary<Guid, BoardLine> lines, Item item, CancellationToken ct)
    {
        switch (item)
        {
            case Tracked t:
                lines.TryAdd(t.BoardId, new BoardLine(t.Head + 1));
                break;
            case Revoked r:
                var leaving = (r.ConnectionIds is null ? _local.LeaveAll(r.BoardId) : r.ConnectionIds.Where(id => _local.Leave(id, r.BoardId)))
                    .Select(id => (id, delta: _local.IsDelta(id))).ToList();
                foreach (var (id, delta) in leaving) await _hub.Groups.RemoveFromGroupAsync(id, LocalGroup(r.BoardId, delta), ct);
                if (!_local.AnyOn(r.BoardId)) lines.Remove(r.BoardId);
                break;
            case Arrived a:
                var e = a.Event;
                if (!_local.AnyOn(e.BoardId))
                {
                    lines.Remove(e.BoardId); // nobody here watches it: nothing owed
                    break;
                }
                if (!lines.TryGetValue(e.BoardId, out var line)) lines[e.BoardId] = line = new BoardLine(e.Seq);
                if (e.Seq < line.Next) break; // already delivered, or covered by the join's catch-up
                if (e.Seq > line.Next)
                {
                    line.Early[e.Seq] = e;
                    line.GapSince ??= _clock.GetUtcNow();
                    break;
                }
                await DeliverAsync(e, ct);
                line.Next = e.Seq + 1;
                await DrainAsync(line, ct);
                break;
        }
    }

    /// <summary>Sends what arrived early and is now next in line; a gap still open starts its wait again.</summary>
    private async Task DrainAsync(BoardLine line, CancellationToken ct)
    {
        while (line.Early.Remove(line.Next, out var next))
        {
            await DeliverAsync(next, ct);
            line.Next++;
        }
        line.GapSince = line.Early.Count == 0 ? null : _clock.GetUtcNow();
    }

    /// <summary>A gap that waited long enough is filled from the event log, then the line moves on.</summary>
    private async Task FillExpiredGapsAsync(Dictionary<Guid, BoardLine> lines, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        foreach (var (boardId, line) in lines)
        {
            if (line.GapSince is not { } since || since + _gapWait > now) continue;
            var upTo = line.Early.Keys.First();
            List<BoardEvent> missing;
            await using (var scope = _scopes.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
                var from = line.Next;
                missing = await db.BoardEvents.AsNoTracking()
                    .Where(x => x.BoardId == boardId && x.Seq >= from && x.Seq < upTo).OrderBy(x => x.Seq).ToListAsync(ct);
            }
            RealtimeMetrics.GapsFilled.Inc();
            foreach (var e in missing) await DeliverAsync(BoardEventDto.From(e), ct);
            line.Next = upTo; // a seq the log lacks too (never committed) is not waited for again
            await DrainAsync(line, ct);
        }
    }

    private async Task DeliverAsync(BoardEventDto e, CancellationToken ct)
    {
        var (full, delta) = _local.ShapesOn(e.BoardId);
        if (!full && !delta) return;
        try
        {
            if (delta && TaskDeltaDto.From(e) is { } slim)
            {
                if (full) await _hub.Clients.Group(LocalGroup(e.BoardId)).EventAsync(e).WaitAsync(ct);
                await _untyped.Clients.Group(LocalDeltaGroup(e.BoardId)).SendAsync(TaskDeltaDto.Method(e), slim, ct).WaitAsync(ct);
            }
            else
            {
                // one shape for both groups: one message, serialised once per protocol
                IBoardClient clients = full && delta ? _hub.Clients.Groups(LocalGroup(e.BoardId), LocalDeltaGroup(e.BoardId))
                    : _hub.Clients.Group(LocalGroup(e.BoardId, delta));
                await clients.EventAsync(e).WaitAsync(ct);
            }
            RealtimeMetrics.EventsPushed.Inc();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            RealtimeMetrics.PushFailures.Inc();
            LogDeliveryFailed(_log, ex, e.BoardId, e.Seq);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not deliver event {Seq} of board {BoardId}; its viewers will catch up from the log")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, Guid boardId, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on the board event channel could not be read")]
    private static partial void LogBadMessage(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A board event partition failed; it goes on with the next event")]
    private static partial void LogPartitionFailed(ILogger logger, Exception exception);
}
