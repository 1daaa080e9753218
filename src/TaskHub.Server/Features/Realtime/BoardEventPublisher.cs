using System.Collections.Concurrent;
using System.Threading.Channels;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Board events, handed to the <see cref="BoardEventDispatcher"/> once the transaction they were saved in commits (or right
/// after the save when there is none; <see cref="AfterCommit{T}"/>), in seq order. So every committed change is pushed,
/// after commit, from whichever code path made it (endpoints, account deletion, jobs), and nothing else is.
/// </summary>
public sealed class BoardEventPublisher(BoardEventDispatcher dispatcher) : AfterCommit<BoardEvent>
{
    protected override void Committed(IReadOnlyList<BoardEvent> committed)
    {
        foreach (var e in committed.OrderBy(e => e.Seq)) dispatcher.Enqueue(e);
    }
}

/// <summary>
/// Hands committed board events to the <see cref="BoardEventFeed"/> (this replica's viewers and, through Redis,
/// every other replica's) in the order they were committed, off the request path. A failed publish (Redis
/// down) is logged and counted, and not retried at once: the other replicas fill the gap from the event log when a later
/// event of the board arrives, or at their head tick. So that a quiet board's last change does not wait for that tick
/// (<c>Realtime:HeadIntervalSeconds</c>, 15 s) on the other replicas after Redis is back, the latest event of each board
/// whose publish failed is kept (for at most <see cref="MaxUnpublishedBoards"/> boards) until a later event of the board is
/// published, and published again once the link to Redis is connected (checked every second): a replica that lacks it
/// delivers it, reading from the log whatever it lacks before it; one that has it drops it by its seq.
/// </summary>
public sealed partial class BoardEventDispatcher(BoardEventFeed feed, TimeProvider clock, ILogger<BoardEventDispatcher> log) : BackgroundService
{
    /// <summary>Boards whose latest unpublished event is kept; beyond it those boards wait for their head tick.</summary>
    public const int MaxUnpublishedBoards = 10_000;

    private readonly Channel<BoardEvent> _queue = Channel.CreateUnbounded<BoardEvent>(new UnboundedChannelOptions { SingleReader = true });
    /// <summary>Per board, the latest event whose publish failed (its seq and wire JSON), until a later one is published.</summary>
    private readonly ConcurrentDictionary<Guid, (long Seq, string Json)> _unpublished = new();

    public void Enqueue(BoardEvent e) => _queue.Writer.TryWrite(e);

    /// <summary>Boards whose latest event is kept for publishing again.</summary>
    public int UnpublishedBoards => _unpublished.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resending = feed.PublishesToOthers ? ResendAsync(stoppingToken) : Task.CompletedTask;
        await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            Task publish;
            try
            {
                publish = feed.PublishAsync(e);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Failed(ex, e.BoardId, e.Seq, e.WireJson);
                continue;
            }
            // Not awaited before the next event: a publish waiting out a Redis timeout held every later event back from
            // this replica's own viewers too (one event per timeout while Redis was down).
            if (!publish.IsCompletedSuccessfully) _ = ObserveAsync(publish, e.BoardId, e.Seq, e.WireJson);
            else Published(e.BoardId, e.Seq);
        }
        await resending;
    }

    private async Task ObserveAsync(Task publish, Guid boardId, long seq, string json)
    {
        try
        {
            await publish;
            Published(boardId, seq);
        }
        catch (Exception ex) { Failed(ex, boardId, seq, json); }
    }

    /// <summary>A board's event reached Redis: a kept earlier one of the board is no longer needed (a replica that lacks
    /// it reads it from the log on this one's arrival).</summary>
    private void Published(Guid boardId, long seq)
    {
        if (_unpublished.IsEmpty || !_unpublished.TryGetValue(boardId, out var kept) || kept.Seq >= seq) return;
        _unpublished.TryRemove(KeyValuePair.Create(boardId, kept)); // (only that one: a later failure may have replaced it)
    }

    /// <summary>Every second while some are kept and the link is connected: each board's kept event, published again.</summary>
    private async Task ResendAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (_unpublished.IsEmpty || !feed.CanPublish) continue;
                var sends = new List<Task>();
                foreach (var (boardId, kept) in _unpublished)
                {
                    if (!_unpublished.TryRemove(KeyValuePair.Create(boardId, kept))) continue; // (replaced or covered meanwhile)
                    RealtimeMetrics.PushesResent.Inc();
                    sends.Add(ObserveAsync(feed.PublishToOthersAsync(kept.Json), boardId, kept.Seq, kept.Json));
                }
                await Task.WhenAll(sends); // (each observed: a failure keeps its event again, unless a later one came)
            }
        }
        catch (OperationCanceledException) { }
    }

    private long _lastLogged = -10_000; // (Environment.TickCount64 starts at 0: the first failure is logged)

    /// <summary>Counted each time; logged at most every 10 s (while Redis is down every event fails, at the write rate).
    /// The board's event is kept for sending again unless a later one of the board is kept already.</summary>
    private void Failed(Exception ex, Guid boardId, long seq, string json)
    {
        RealtimeMetrics.PushFailures.Inc();
        if (_unpublished.ContainsKey(boardId) || _unpublished.Count < MaxUnpublishedBoards)
            _unpublished.AddOrUpdate(boardId, (seq, json), (_, old) => old.Seq >= seq ? old : (seq, json));
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLogged);
        if (now - last >= 10_000 && Interlocked.CompareExchange(ref _lastLogged, now, last) == last)
            LogPushFailed(log, ex, boardId, seq);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish event {Seq} of board {BoardId} to the other replicas; they fill the gap from the log, and the board's latest such event is published again once Redis takes it")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, Guid boardId, long seq);
}
