using Microsoft.EntityFrameworkCore;
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
/// event of the board arrives, or at a head read. So that a quiet board's last change does not wait for that on the other
/// replicas once this replica's link to Redis is back, the seq of each board's latest event whose publish failed is kept
/// (for at most <see cref="MaxUnpublishedBoards"/> boards) until a later event of the board is published. Every second
/// while the link is connected, up to <see cref="ResendBatch"/> of them are published again, read from the log, if each
/// is still its board's latest event (a later one was published, or is kept, by whichever replica made it); a replica
/// that has it drops it by its seq.
/// </summary>
public sealed partial class BoardEventDispatcher(BoardEventFeed feed, IServiceScopeFactory scopes, TimeProvider clock,
    ILogger<BoardEventDispatcher> log) : BackgroundService
{
    /// <summary>Boards whose latest unpublished event is kept; beyond it those boards wait for the others' head reads.</summary>
    public const int MaxUnpublishedBoards = 10_000;

    /// <summary>Kept events published again per second at most.</summary>
    public const int ResendBatch = 500;

    private readonly Channel<BoardEvent> _queue = Channel.CreateUnbounded<BoardEvent>(new UnboundedChannelOptions { SingleReader = true });
    /// <summary>Per board, the seq of its latest event whose publish failed, until a later one is published.</summary>
    private readonly ConcurrentDictionary<Guid, long> _unpublished = new();
    /// <summary>How many are kept (read on every publish; the dictionary's own count takes its locks).</summary>
    private int _kept;

    public void Enqueue(BoardEvent e) => _queue.Writer.TryWrite(e);

    /// <summary>Boards whose latest event is kept for publishing again.</summary>
    public int UnpublishedBoards => Volatile.Read(ref _kept);

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
                Failed(ex, e.BoardId, e.Seq);
                continue;
            }
            // Not awaited before the next event: a publish waiting out a Redis timeout held every later event back from
            // this replica's own viewers too (one event per timeout while Redis was down).
            if (!publish.IsCompletedSuccessfully) _ = ObserveAsync(publish, e.BoardId, e.Seq);
            else Published(e.BoardId, e.Seq);
        }
        await resending;
    }

    private async Task ObserveAsync(Task publish, Guid boardId, long seq)
    {
        try
        {
            await publish;
            Published(boardId, seq);
        }
        catch (Exception ex) { Failed(ex, boardId, seq); }
    }

    /// <summary>A board's event reached Redis: a kept earlier one of the board is no longer needed (a replica that lacks
    /// it reads it from the log on this one's arrival).</summary>
    private void Published(Guid boardId, long seq)
    {
        if (Volatile.Read(ref _kept) == 0 || !_unpublished.TryGetValue(boardId, out var kept) || kept >= seq) return;
        Forget(boardId, kept); // (only that one: a later failure may have replaced it)
    }

    private void Keep(Guid boardId, long seq)
    {
        while (true)
        {
            if (_unpublished.TryGetValue(boardId, out var old))
            {
                if (old >= seq || _unpublished.TryUpdate(boardId, seq, old)) return;
            }
            else if (Volatile.Read(ref _kept) >= MaxUnpublishedBoards) return;
            else if (_unpublished.TryAdd(boardId, seq))
            {
                Interlocked.Increment(ref _kept);
                return;
            }
        }
    }

    private bool Forget(Guid boardId, long seq)
    {
        if (!_unpublished.TryRemove(KeyValuePair.Create(boardId, seq))) return false;
        Interlocked.Decrement(ref _kept);
        return true;
    }

    /// <summary>Every second while some are kept and the link is connected: kept events that are still their board's
    /// latest, read from the log and published again.</summary>
    private async Task ResendAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (Volatile.Read(ref _kept) == 0 || !feed.CanPublish) continue;
                try
                {
                    await ResendRoundAsync(ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // (the database: what is kept stays kept, tried again next second; logged at most every 10 s)
                    if (ShouldLog()) LogResendFailed(log, e);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task ResendRoundAsync(CancellationToken ct)
    {
        var kept = _unpublished.Take(ResendBatch).ToList();
        var ids = kept.Select(k => k.Key).ToList();
        Dictionary<Guid, BoardEvent> latest;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            latest = await (from b in db.Boards.AsNoTracking()
                            where ids.Contains(b.Id)
                            join e in db.BoardEvents.AsNoTracking() on new { BoardId = b.Id, Seq = b.LastSeq } equals new { e.BoardId, e.Seq }
                            select e).ToDictionaryAsync(e => e.BoardId, ct);
        }
        var sends = new List<Task>();
        foreach (var (boardId, seq) in kept)
        {
            if (!Forget(boardId, seq)) continue; // (replaced or covered meanwhile)
            if (!latest.TryGetValue(boardId, out var e) || e.Seq != seq) continue; // (a later one exists, or the board is gone)
            RealtimeMetrics.PushesResent.Inc();
            Task publish;
            try
            {
                publish = feed.PublishToOthersAsync(e.WireJson);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Failed(ex, boardId, seq);
                continue;
            }
            sends.Add(ObserveAsync(publish, boardId, seq));
        }
        await Task.WhenAll(sends); // (each observed: a failure keeps its seq again, unless a later one came)
    }

    private long _lastLogged = -10_000; // (Environment.TickCount64 starts at 0: the first failure is logged)

    /// <summary>Counted each time; logged at most every 10 s (while Redis is down every event fails, at the write rate).
    /// The board's event is kept for publishing again unless a later one of the board is kept already.</summary>
    private void Failed(Exception ex, Guid boardId, long seq)
    {
        RealtimeMetrics.PushFailures.Inc();
        Keep(boardId, seq);
        if (ShouldLog()) LogPushFailed(log, ex, boardId, seq);
    }

    /// <summary>At most once every 10 s (while Redis or the database is down, failures come every event or second).</summary>
    private bool ShouldLog()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLogged);
        return now - last >= 10_000 && Interlocked.CompareExchange(ref _lastLogged, now, last) == last;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish event {Seq} of board {BoardId} to the other replicas; they fill the gap from the log, and the board's latest such event is published again once Redis takes it")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, Guid boardId, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing kept board events again failed; the other replicas read them at their head reads")]
    private static partial void LogResendFailed(ILogger logger, Exception exception);
}
