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
/// back another; inside a partition a board's events are sent in order to the board's group of this replica's viewers
/// (<see cref="LocalGroup"/>). The events of a board that are already queued when its line sends go as one frame (up
/// to <see cref="RealtimeOptions.MaxEventsPerFrame"/>): one write and one WebSocket message per connection, not one
/// per event, so a line that fell behind catches up at a fraction of the cost per event. Nothing waits to fill a frame.
/// Revocations travel the same way, so the replica that holds a removed member's connection drops it.
/// </para>
/// <para>
/// Joins go through the same line (<see cref="JoinAsync"/>): at its place between the board's deliveries a joining
/// connection is sent exactly the events it lacks up to the line's next seq (from the events the line delivered
/// recently, kept per board, or else the event log), then the head, then it joins the board's group, so from then on
/// every later event comes live, once, in order. No gap for the client to fetch, nothing sent twice; joins that arrive
/// together (a reconnect storm) are handled as one batch and share what they are sent.
/// </para>
/// </summary>
public sealed partial class BoardEventFeed : BackgroundService
{
    /// <summary>One channel for events and revocations, read in order: a revocation published before an event is handled before it.</summary>
    private static readonly RedisChannel FeedChannel = RedisChannel.Literal("taskhub:board-feed");

    private readonly LocalConnections _local;
    private readonly IHubContext<BoardHub, IBoardClient> _hub;
    private readonly ClusterHubLifetimeManager<BoardHub> _frames;
    private readonly int _maxPerFrame;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _clock;
    private readonly ILogger<BoardEventFeed> _log;
    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeSpan _gapWait;
    private readonly int _recentCap;
    private readonly TimeSpan _recentAge;
    private readonly Channel<Item>[] _partitions;
    /// <summary>Per partition, the joins waiting: taken between any two deliveries, ahead of the events still queued
    /// (a join can go live at any point of the line; behind a backlog of deliveries it would wait for all of them).</summary>
    private readonly Channel<Joining>[] _joins;

    /// <summary>Items a partition takes in before it sends what it has taken, when more keep arriving.</summary>
    private const int RoundItems = 256;

    public BoardEventFeed(LocalConnections local, IHubContext<BoardHub, IBoardClient> hub, HubLifetimeManager<BoardHub> lifetime, IServiceScopeFactory scopes,
        IOptions<RealtimeOptions> options, TimeProvider clock, ILogger<BoardEventFeed> log, IServiceProvider services)
    {
        _local = local;
        _hub = hub;
        _frames = lifetime as ClusterHubLifetimeManager<BoardHub>
            ?? throw new InvalidOperationException($"The board feed writes frames through {nameof(ClusterHubLifetimeManager<BoardHub>)}.");
        _maxPerFrame = options.Value.MaxEventsPerFrame;
        _scopes = scopes;
        _clock = clock;
        _log = log;
        _redis = services.GetService<IConnectionMultiplexer>();
        if (_redis is not null)
            _redis.ConnectionFailed += (_, e) => { if (e.ConnectionType == ConnectionType.Subscription) Interlocked.Increment(ref _hearingLost); };
        _gapWait = TimeSpan.FromMilliseconds(options.Value.GapWaitMilliseconds);
        _recentCap = options.Value.RecentEventsPerBoard;
        _recentAge = TimeSpan.FromSeconds(options.Value.RecentEventsSeconds);
        _partitions = Enumerable.Range(0, Math.Max(2, options.Value.FeedPartitions))
            .Select(_ => Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true }))
            .ToArray();
        _joins = _partitions.Select(_ => Channel.CreateUnbounded<Joining>(new UnboundedChannelOptions { SingleReader = true })).ToArray();
    }

    private abstract record Item(Guid BoardId);
    private sealed record Arrived(BoardEventDto Event) : Item(Event.BoardId);
    private sealed record Joining(Guid BoardId, string ConnectionId, long? After, IReadOnlyList<BoardEventDto>? Read, TaskCompletionSource<long?> Done)
    {
        public bool FromLog => Read is not null;
    }
    private sealed record Wake(Guid BoardId) : Item(BoardId);
    /// <summary>A head read; <paramref name="OnlyIfBehind"/>: sends viewers no head when the line is not behind it.</summary>
    private sealed record HeadRead(Guid BoardId, long Head, bool OnlyIfBehind) : Item(BoardId);
    private sealed record Revoked(Guid BoardId, IReadOnlyList<string>? ConnectionIds) : Item(BoardId);

    /// <summary>What a replica tells the others when access to a board ends: these connections (or all, when null) leave it.</summary>
    private sealed record RevocationMessage(Guid BoardId, IReadOnlyList<string>? ConnectionIds);

    /// <summary>A message on the channel: <c>{"event": …}</c> (the event's wire JSON, as serialised once) or <c>{"revoke": …}</c>.</summary>
    private sealed record FeedMessage(BoardEventDto? Event, RevocationMessage? Revoke);

    /// <summary>A committed event, in commit order for this replica: to this replica's viewers at once, and to every
    /// other replica. The task returned is the Redis publish: the next event need not wait for it (commands on one
    /// connection keep their order), so while Redis is slow or down this replica's own viewers are not held back.</summary>
    public Task PublishAsync(BoardEvent e)
    {
        Enqueue(new Arrived(BoardEventDto.From(e)));
        return PublishToOthersAsync(e.WireJson);
    }

    /// <summary>An event (its wire JSON) to every other replica only: a publish that failed, sent again
    /// (<see cref="BoardEventDispatcher"/>). A replica that has it already drops it by its seq.</summary>
    public Task PublishToOthersAsync(string wireJson) =>
        _redis is null ? Task.CompletedTask : _redis.GetSubscriber().PublishAsync(FeedChannel, "{\"event\":" + wireJson + "}");

    /// <summary>Whether events go to other replicas at all (Redis is configured); whether the link publishes go through is
    /// connected now; whether this replica hears the other replicas' events now (the feed's channel subscribed, on a
    /// server whose links are up: the endpoint is set by Redis's answer to the SUBSCRIBE and cleared when the link drops).</summary>
    public bool PublishesToOthers => _redis is not null;

    public bool CanPublish => _redis?.IsConnected == true;

    public bool CanHear => _redis?.GetSubscriber() is { } s && s.SubscribedEndpoint(FeedChannel) is not null && s.IsConnected(FeedChannel);

    /// <summary>How many times this replica's subscription link to Redis failed (so a drop shorter than a head service
    /// step, when nothing was heard meanwhile, is still seen).</summary>
    public long HearingLost => Interlocked.Read(ref _hearingLost);

    private long _hearingLost;

    /// <summary>
    /// Joins a connection of this replica (already in <see cref="LocalConnections"/> for the board) to the board's
    /// live events, at the line's place: it is sent the events after <paramref name="after"/> up to the line's head
    /// (those this replica delivered recently, <paramref name="read"/>, and the log for any others), then
    /// <c>BoardHead</c>, then joins the board's group. Returns the head it is at; null (without joining) when
    /// <paramref name="read"/> is null and the line cannot serve it from memory: the caller then reads the log after
    /// <paramref name="after"/> (the last page of it, or for a fresh view (<paramref name="after"/> null) the head
    /// with no events) and joins again with what it read, which must have been read after joining
    /// <see cref="LocalConnections"/>.
    /// </summary>
    public async Task<long?> JoinAsync(string connectionId, Guid boardId, long? after, IReadOnlyList<BoardEventDto>? read, CancellationToken ct)
    {
        var done = new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var join = new Joining(boardId, connectionId, after, read, done);
        var p = PartitionOf(boardId);
        _joins[p].Writer.TryWrite(join);
        _partitions[p].Writer.TryWrite(new Wake(boardId)); // wakes the partition if it is idle
        return await done.Task.WaitAsync(ct);
    }

    /// <summary>
    /// The board's head seq as the database has it (<see cref="BoardHeadService"/>'s tick), told to the board's line here.
    /// A line that delivered up to it, or past it, sends <c>BoardHead</c> to the board's viewers here, after the events it
    /// has taken: one frame per shape for all of them. A line behind it (events committed whose push never came: lost on
    /// the backplane, or Redis down) treats the rest as a gap: unless they arrive within the gap wait, they are read from
    /// the log once and sent live, and no head is sent. So a lost push reaches every viewer of the replica from one read
    /// of the log, not from one REST fetch per viewer after a head that shows them behind.
    /// </summary>
    public void TellHead(Guid boardId, long head, bool onlyIfBehind = false) => Enqueue(new HeadRead(boardId, head, onlyIfBehind));

    /// <summary>These connections (on any replica), or every connection when null, stop getting the board's events.</summary>
    public async Task RevokeAsync(Guid boardId, IReadOnlyList<string>? connectionIds)
    {
        Enqueue(new Revoked(boardId, connectionIds));
        if (_redis is null) return;
        try
        {
            await _redis.GetSubscriber().PublishAsync(FeedChannel,
                JsonSerializer.Serialize(new FeedMessage(null, new RevocationMessage(boardId, connectionIds)), TaskHubJson.Options));
        }
        catch (Exception e) when (ProblemDetailsExceptionHandler.IsUnavailable(e))
        {
            // Redis down: the other replicas' connections lose the board at their next access sweep (HubAccessSweep).
            LogRevocationNotPublished(_log, e, boardId);
        }
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

    /// <summary>The partition (of <c>Realtime:FeedPartitions</c>) whose reader delivers the board's events here: boards of
    /// one partition share its rounds.</summary>
    public int PartitionOf(Guid boardId) => (int)((uint)boardId.GetHashCode() % (uint)_partitions.Length);

    private void Enqueue(Item item) => _partitions[PartitionOf(item.BoardId)].Writer.TryWrite(item);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The partitions first: this replica's own events and joins go on while Redis is down (other replicas' events
        // are read from the log when a later one shows the gap), and the subscription follows once it is back.
        var partitions = Task.WhenAll(_partitions.Select((p, i) => RunPartitionAsync(p.Reader, _joins[i].Reader, stoppingToken)));
        if (_redis is not null)
        {
            var queue = await RedisSubscriptions.SubscribeAsync(_redis, FeedChannel, (e, attempt) => LogSubscribeFailed(_log, e, attempt), stoppingToken);
            queue.OnMessage(m => Receive(m.Message)); // one message after the other, in the order Redis sent them
        }
        await partitions;
    }

    private void Receive(RedisValue json)
    {
        RealtimeMetrics.FeedReceived.Inc();
        try
        {
            // (read from the message's UTF-8 bytes: as a string first, each replica made a UTF-16 copy of every event)
            var m = JsonSerializer.Deserialize<FeedMessage>(((ReadOnlyMemory<byte>)json).Span, TaskHubJson.Options);
            if (m?.Event is { } e) Enqueue(new Arrived(e));
            else if (m?.Revoke is { } r) Enqueue(new Revoked(r.BoardId, r.ConnectionIds));
        }
        catch (JsonException e)
        {
            LogBadMessage(_log, e);
        }
    }

    /// <summary>One board's line on this replica: the next seq its viewers are owed, what arrived early, and what it delivered recently.</summary>
    private sealed class BoardLine(Guid boardId, long next)
    {
        public readonly Guid BoardId = boardId;
        public long Next = next;
        /// <summary>Events the line has taken (<see cref="Next"/> is past them) and not yet sent: they go as one frame.</summary>
        public readonly List<BoardEventDto> Unsent = [];
        public readonly SortedDictionary<long, BoardEventDto> Early = [];
        public DateTimeOffset? GapSince;
        /// <summary>The highest seq a head read showed committed; up to it the line has a gap while <see cref="Next"/> is not past it.</summary>
        public long Known;
        /// <summary>Whether the line owes seqs up to <see cref="Known"/> that have not arrived.</summary>
        public bool BehindKnown => Known >= Next;
        /// <summary>The last events delivered, contiguous and ending at <see cref="Next"/> − 1 (joins catch up from them).</summary>
        public readonly Queue<(BoardEventDto Event, DateTimeOffset At)> Recent = new();
        /// <summary>The first seq <see cref="Recent"/> holds (or <see cref="Next"/> when empty).</summary>
        public long RecentFrom => Recent.Count > 0 ? Recent.Peek().Event.Seq : Next;
    }

    private async Task RunPartitionAsync(ChannelReader<Item> reader, ChannelReader<Joining> joinReader, CancellationToken ct)
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
                await JoinWaitingAsync(lines, joinReader, ct);
                // What is queued is taken in, then sent: a board's events among it go as one frame. Taking an item in
                // costs microseconds; after every RoundItems of them what was taken is sent, so under a steady stream
                // no event waits behind more than that many.
                var taken = 0;
                while (reader.TryRead(out var item))
                {
                    if (item is not Wake) await HandleAsync(lines, item, ct);
                    await JoinWaitingAsync(lines, joinReader, ct); // joins go ahead of the deliveries still queued
                    if (++taken % RoundItems == 0) await SendUnsentAsync(lines, ct);
                }
                await SendUnsentAsync(lines, ct); // before any read of the log: a slow or failing read holds back no other board
                await FillExpiredGapsAsync(lines, ct);
                await SendUnsentAsync(lines, ct);
                ForgetOld(lines);
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
            case Revoked r:
                if (lines.TryGetValue(r.BoardId, out var revokedLine)) await SendUnsentAsync(revokedLine, ct); // what came before the revocation
                var leaving = (r.ConnectionIds is null ? _local.LeaveAll(r.BoardId) : r.ConnectionIds.Where(id => _local.Leave(id, r.BoardId)))
                    .Select(id => (id, delta: _local.IsDelta(id))).ToList();
                foreach (var (id, delta) in leaving) await _hub.Groups.RemoveFromGroupAsync(id, LocalGroup(r.BoardId, delta), ct);
                if (r.ConnectionIds is null)
                {
                    // The board is gone: its viewers here leave its group of presence and access messages too (kept until
                    // the connection closed before), and are told, after what the line had for them.
                    foreach (var (id, _) in leaving)
                    {
                        try
                        {
                            await _hub.Groups.RemoveFromGroupAsync(id, BoardHub.Group(r.BoardId), ct);
                            await _hub.Clients.Client(id).BoardAccessRevoked(new BoardAccessRevokedDto(r.BoardId));
                        }
                        catch (Exception unavailable) when (ProblemDetailsExceptionHandler.IsUnavailable(unavailable))
                        {
                            // (a connection closed meanwhile is reached through Redis, which is down: the others go on)
                        }
                    }
                }
                if (!_local.AnyOn(r.BoardId)) lines.Remove(r.BoardId);
                break;
            case HeadRead h:
                if (!_local.AnyOn(h.BoardId))
                {
                    lines.Remove(h.BoardId);
                    break;
                }
                // (No line: nobody here has joined the board's group yet; a join sends its own head.)
                if (!lines.TryGetValue(h.BoardId, out var headLine)) break;
                if (h.Head >= headLine.Next)
                {
                    headLine.Known = Math.Max(headLine.Known, h.Head);
                    headLine.GapSince ??= _clock.GetUtcNow();
                    break;
                }
                if (h.OnlyIfBehind) break;
                await SendUnsentAsync(headLine, ct, new BoardHeadDto(h.BoardId, h.Head)); // in the frame of what the line has taken
                break;
            case Arrived a:
                var e = a.Event;
                if (!_local.AnyOn(e.BoardId))
                {
                    lines.Remove(e.BoardId); // nobody here watches it: nothing owed
                    break;
                }
                if (!lines.TryGetValue(e.BoardId, out var line)) lines[e.BoardId] = line = new BoardLine(e.BoardId, e.Seq);
                if (e.Seq < line.Next) break; // already delivered, or covered by the join's catch-up
                if (e.Seq > line.Next)
                {
                    line.Early[e.Seq] = e;
                    line.GapSince ??= _clock.GetUtcNow();
                    break;
                }
                await TakeAsync(line, e, ct);
                await DrainAsync(line, ct);
                break;
        }
    }

    /// <summary>Sends what arrived early and is now next in line; a gap still open starts its wait again.</summary>
    private async Task DrainAsync(BoardLine line, CancellationToken ct)
    {
        while (line.Early.Remove(line.Next, out var next)) await TakeAsync(line, next, ct);
        line.GapSince = line.Early.Count == 0 && !line.BehindKnown ? null : _clock.GetUtcNow();
    }

    /// <summary>A gap that waited long enough is filled from the event log, then the line moves on. A read that fails
    /// is tried again after another wait, and the other boards' gaps are filled meanwhile.</summary>
    private async Task FillExpiredGapsAsync(Dictionary<Guid, BoardLine> lines, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        foreach (var (boardId, line) in lines)
        {
            if (line.GapSince is not { } since || since + _gapWait > now) continue;
            var upTo = line.Early.Count > 0 ? line.Early.Keys.First() : line.Known + 1; // an early event's gap, or up to a head read
            if (upTo <= line.Next)
            {
                line.GapSince = null;
                continue;
            }
            List<BoardEvent> missing;
            try
            {
                await using var scope = _scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
                var from = line.Next;
                missing = await db.BoardEvents.AsNoTracking()
                    .Where(x => x.BoardId == boardId && x.Seq >= from && x.Seq < upTo).OrderBy(x => x.Seq).ToListAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogGapFillFailed(_log, e, boardId);
                line.GapSince = now; // not at once again (the line would spin on it): after another wait
                continue;
            }
            RealtimeMetrics.GapsFilled.Inc();
            foreach (var e in missing) await TakeAsync(line, BoardEventDto.From(e), ct);
            if (line.Next < upTo) line.Recent.Clear(); // a seq the log lacks too (never committed) is not waited for again
            line.Next = upTo;
            await DrainAsync(line, ct);
        }
    }

    /// <summary>Events to one connection, in the shape it gets live (<see cref="TaskDeltaDto"/> when it asked for deltas and
    /// the event has one), in frames of up to <see cref="RealtimeOptions.MaxEventsPerFrame"/>, and then <paramref name="head"/>
    /// (in the last frame) when given: a page of a join's catch-up, or a join's whole catch-up and head.</summary>
    public Task SendToConnectionAsync(string connectionId, IReadOnlyList<BoardEventDto> events, bool delta, CancellationToken ct) =>
        SendToConnectionAsync(connectionId, events, delta, head: null, new EventFrames(), ct);

    private async Task SendToConnectionAsync(string connectionId, IReadOnlyList<BoardEventDto> events, bool delta, BoardHeadDto? head,
        EventFrames frames, CancellationToken ct)
    {
        if (events.Count == 0 && head is null) return;
        var chunks = events.Chunk(_maxPerFrame).DefaultIfEmpty([]).ToList(); // a head alone still goes in a frame of its own
        for (var i = 0; i < chunks.Count; i++)
        {
            var (chunk, withHead) = (chunks[i], i == chunks.Count - 1 ? head : null);
            await _frames.WriteFrameToConnectionAsync(connectionId, p => frames.Write(p, chunk, delta, withHead), ct).WaitAsync(ct);
        }
    }

    /// <summary>Takes the line's next event: the line moves past it and keeps it for joins; it is sent with the others
    /// the line has taken (<see cref="SendUnsentAsync(BoardLine, CancellationToken)"/>), at once when a frame is full.</summary>
    private async Task TakeAsync(BoardLine line, BoardEventDto e, CancellationToken ct)
    {
        if (e.Seq != line.Next) line.Recent.Clear(); // the recent events stay contiguous
        line.Next = e.Seq + 1;
        line.Recent.Enqueue((e, _clock.GetUtcNow()));
        if (line.Recent.Count > _recentCap) line.Recent.Dequeue();
        line.Unsent.Add(e);
        if (line.Unsent.Count >= _maxPerFrame) await SendUnsentAsync(line, ct);
    }

    private async Task SendUnsentAsync(Dictionary<Guid, BoardLine> lines, CancellationToken ct)
    {
        foreach (var line in lines.Values)
            if (line.Unsent.Count > 0) await SendUnsentAsync(line, ct);
    }

    /// <summary>Sends what the line has taken (and then <paramref name="head"/>, when given) to the board's viewers here,
    /// as one frame per shape.</summary>
    private async Task SendUnsentAsync(BoardLine line, CancellationToken ct, BoardHeadDto? head = null)
    {
        if (line.Unsent.Count == 0 && head is null) return;
        BoardEventDto[] events = [.. line.Unsent];
        line.Unsent.Clear();
        var (full, delta) = _local.ShapesOn(line.BoardId);
        if (!full && !delta) return;
        var frames = new EventFrames(full && delta ? new() : null); // an event without a delta shape is written once for both groups
        var sent = (full && await SendFrameAsync(false)) | (delta && await SendFrameAsync(true)); // each shape's group on its own
        if (!sent || events.Length == 0) return;
        RealtimeMetrics.EventsPushed.Inc(events.Length);
        RealtimeMetrics.EventFrames.Inc();

        async Task<bool> SendFrameAsync(bool slim)
        {
            try
            {
                await _frames.WriteFrameToGroupAsync(LocalGroup(line.BoardId, slim), p => frames.Write(p, events, slim, head), ct).WaitAsync(ct);
                return true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                RealtimeMetrics.PushFailures.Inc();
                if (events.Length > 0) LogDeliveryFailed(_log, ex, line.BoardId, events[0].Seq, events[^1].Seq);
                else LogHeadFailed(_log, ex, line.BoardId);
                return false;
            }
        }
    }

    /// <summary>The joins waiting now, as one batch.</summary>
    private async Task JoinWaitingAsync(Dictionary<Guid, BoardLine> lines, ChannelReader<Joining> joinReader, CancellationToken ct)
    {
        List<Joining>? joins = null;
        while (joinReader.TryRead(out var j)) (joins ??= []).Add(j);
        if (joins is null) return;
        await SendUnsentAsync(lines, ct); // a join goes live at the line's place: what the line has taken is sent first
        await JoinAllAsync(lines, joins, ct);
    }

    /// <summary>Drops recent events older than <see cref="RealtimeOptions.RecentEventsSeconds"/> (a join that far behind reads the log).</summary>
    private void ForgetOld(Dictionary<Guid, BoardLine> lines)
    {
        var oldest = _clock.GetUtcNow() - _recentAge;
        foreach (var line in lines.Values)
            while (line.Recent.Count > 0 && line.Recent.Peek().At < oldest) line.Recent.Dequeue();
    }

    /// <summary>
    /// The joins that arrived together, per board: each is sent what it lacks up to the line's head, in seq order,
    /// then the head, then joins the group. What neither the
    /// line's recent events nor the joins' own reads hold is read from the log once for the batch.
    /// </summary>
    private async Task JoinAllAsync(Dictionary<Guid, BoardLine> lines, List<Joining> joins, CancellationToken ct)
    {
        foreach (var board in joins.GroupBy(j => j.BoardId))
        {
            var boardId = board.Key;
            var ready = new List<Joining>();
            foreach (var j in board)
            {
                if (!_local.IsOn(j.ConnectionId, boardId)) { j.Done.TrySetException(new HubException("Board not found.")); continue; } // left or revoked meanwhile
                if (!lines.TryGetValue(boardId, out var line))
                {
                    if (j.Read is not { } read) { j.Done.TrySetResult(null); continue; } // the caller reads the log (or the head) first
                    // No line: nothing was delivered here since the caller joined LocalConnections, before its read of
                    // the log; so every event after what it read is still to come, and the line starts there.
                    lines[boardId] = line = new BoardLine(boardId, (read.Count > 0 ? read[^1].Seq : j.After ?? 0) + 1);
                }
                if (!j.FromLog && j.After + 1 < line.RecentFrom) { j.Done.TrySetResult(null); continue; } // older than what we keep
                ready.Add(j);
            }
            if (ready.Count == 0) continue;
            var l = lines[boardId];
            var head = l.Next - 1;
            long After(Joining j) => j.After ?? head;
            var known = new SortedDictionary<long, BoardEventDto>();
            foreach (var j in ready.Where(j => j.FromLog))
                foreach (var e in j.Read!) if (e.Seq <= head) known.TryAdd(e.Seq, e);
            foreach (var (e, _) in l.Recent) known.TryAdd(e.Seq, e);
            var from = ready.Min(After) + 1; // the first seq any of them lacks
            try
            {
                var gaps = Enumerable.Range(0, (int)Math.Max(0, head - from + 1)).Select(i => from + i).Where(seq => !known.ContainsKey(seq)).ToList();
                if (gaps.Count > 0)
                {
                    await using var scope = _scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
                    long lo = gaps[0], hi = gaps[^1];
                    var rows = await db.BoardEvents.AsNoTracking()
                        .Where(x => x.BoardId == boardId && x.Seq >= lo && x.Seq <= hi).OrderBy(x => x.Seq).ToListAsync(ct);
                    foreach (var row in rows) known.TryAdd(row.Seq, BoardEventDto.From(row));
                    RealtimeMetrics.JoinLogReads.Inc();
                }
                // Each connection's catch-up and head (in frames; each event serialised once for the batch), then its
                // group, in that order; the connections side by side.
                var headDto = new BoardHeadDto(boardId, head);
                var frames = new EventFrames(new());
                await Task.WhenAll(ready.Select(async j =>
                {
                    try
                    {
                        var delta = _local.IsDelta(j.ConnectionId); // the shape the connection gets live
                        var lacks = known.Where(k => k.Key >= from && k.Key > After(j)).Select(k => k.Value).ToList();
                        await SendToConnectionAsync(j.ConnectionId, lacks, delta, headDto, frames, ct);
                        if (_local.IsOn(j.ConnectionId, boardId)) await _hub.Groups.AddToGroupAsync(j.ConnectionId, LocalGroup(boardId, delta), ct);
                        j.Done.TrySetResult(head);
                    }
                    catch (Exception e)
                    {
                        j.Done.TrySetException(e);
                    }
                }));
                RealtimeMetrics.JoinsBatched.Inc(ready.Count);
                RealtimeMetrics.JoinBatches.Inc();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                foreach (var j in ready) j.Done.TrySetException(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not deliver events {FirstSeq}–{LastSeq} of board {BoardId}; its viewers will catch up from the log")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception exception, Guid boardId, long firstSeq, long lastSeq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not send the head of board {BoardId} to its viewers here")]
    private static partial void LogHeadFailed(ILogger logger, Exception exception, Guid boardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the missing events of board {BoardId} from the log; trying again after the gap wait")]
    private static partial void LogGapFillFailed(ILogger logger, Exception exception, Guid boardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other replicas that board {BoardId} was revoked; their access sweeps will")]
    private static partial void LogRevocationNotPublished(ILogger logger, Exception exception, Guid boardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to the board event channel (attempt {Attempt}); retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on the board event channel could not be read")]
    private static partial void LogBadMessage(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A board event partition failed; it goes on with the next event")]
    private static partial void LogPartitionFailed(ILogger logger, Exception exception);
}
