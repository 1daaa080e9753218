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
/// down) is logged and counted, never retried: the other replicas fill the gap from the event log when a later
/// event arrives, and clients catch up when they see a BoardHead beyond what they applied.
/// </summary>
public sealed partial class BoardEventDispatcher(BoardEventFeed feed, ILogger<BoardEventDispatcher> log) : BackgroundService
{
    private readonly Channel<BoardEvent> _queue = Channel.CreateUnbounded<BoardEvent>(new UnboundedChannelOptions { SingleReader = true });

    public void Enqueue(BoardEvent e) => _queue.Writer.TryWrite(e);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var e in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            Task publish;
            try
            {
                publish = feed.PublishAsync(e);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Failed(ex, e);
                continue;
            }
            // Not awaited before the next event: a publish waiting out a Redis timeout held every later event back from
            // this replica's own viewers too (one event per timeout while Redis was down).
            if (!publish.IsCompletedSuccessfully) _ = ObserveAsync(publish, e);
        }
    }

    private async Task ObserveAsync(Task publish, BoardEvent e)
    {
        try { await publish; }
        catch (Exception ex) { Failed(ex, e); }
    }

    private long _lastLogged = -10_000; // (Environment.TickCount64 starts at 0: the first failure is logged)

    /// <summary>Counted each time; logged at most every 10 s (while Redis is down every event fails, at the write rate).</summary>
    private void Failed(Exception ex, BoardEvent e)
    {
        RealtimeMetrics.PushFailures.Inc();
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLogged);
        if (now - last >= 10_000 && Interlocked.CompareExchange(ref _lastLogged, now, last) == last)
            LogPushFailed(log, ex, e.BoardId, e.Seq);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish event {Seq} of board {BoardId} to the other replicas; they fill the gap from the log")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, Guid boardId, long seq);
}
