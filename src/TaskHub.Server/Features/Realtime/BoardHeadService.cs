using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Every <see cref="RealtimeOptions.HeadIntervalSeconds"/>: tells each board's line here the board's head seq (so a
/// dropped last event of a quiet board is read from the log and sent, or else the viewers are sent the head), refreshes this
/// replica's presence entries, and prunes expired ones (a dead replica's viewers), announcing the change; then ends what
/// lost its access while connected (<see cref="HubAccessSweep"/>). While this replica's link to Redis is down, the heads
/// alone are read more often (<see cref="RealtimeOptions.HeadIntervalSecondsWithoutRedis"/>): the other replicas' events
/// then reach its viewers only that way.
/// </summary>
public sealed partial class BoardHeadService(
    LocalConnections local, IPresenceStore presence, BoardPresence boards, BoardEventFeed feed,
    IServiceScopeFactory scopes, HubAccessSweep access, IOptions<RealtimeOptions> options, TimeProvider clock,
    ILogger<BoardHeadService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The interval split in n equal steps no longer than the one without Redis: each n-th is the whole tick, and
        // between them the heads alone are read while the link to Redis is down. (n = 1 without Redis configured.)
        var o = options.Value;
        var n = feed.PublishesToOthers ? (int)Math.Ceiling(o.HeadIntervalSeconds / Math.Min(o.HeadIntervalSeconds, o.HeadIntervalSecondsWithoutRedis) - 1e-9) : 1;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(o.HeadIntervalSeconds / n), clock);
        for (long step = 1; await timer.WaitForNextTickAsync(stoppingToken); step++)
        {
            try
            {
                if (step % n == 0) await TickAsync(stoppingToken);
                else if (!feed.CanPublish) await HeadsAsync(local.All().Select(j => j.BoardId).Distinct().ToList(), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTickFailed(log, e);
            }
        }
    }

    public async Task TickAsync(CancellationToken ct)
    {
        try
        {
            await HeadsAndPresenceAsync(ct);
        }
        finally
        {
            var (closed, revoked) = await access.SweepAsync(ct); // (after the heads: a failed read there must not skip it)
            if (closed + revoked > 0) LogAccessEnded(log, closed, revoked);
        }
    }

    private async Task HeadsAndPresenceAsync(CancellationToken ct)
    {
        var joined = local.All().ToList();
        if (joined.Count == 0) return;
        var boardIds = joined.Select(j => j.BoardId).Distinct().ToList();
        await HeadsAsync(boardIds, ct);

        // Presence: one bulk refresh per board for this replica's connections (not a read per connection).
        var expires = boards.ExpiresFromNow();
        foreach (var board in joined.GroupBy(j => j.BoardId))
            await presence.RefreshAsync(board.Key, board.Select(j => (j.ConnectionId, j.UserId)).ToList(), expires);
        var now = clock.GetUtcNow();
        foreach (var boardId in boardIds)
            if (await presence.PruneAsync(boardId, now)) await boards.BroadcastAsync(boardId);
    }

    /// <summary>The boards' heads, to each board's line here, first in a tick: they need only the database, so a board
    /// whose pushes were lost (or Redis is down) has its missing events read from the log once and sent live
    /// (<see cref="BoardEventFeed.TellHead"/>).</summary>
    private async Task HeadsAsync(List<Guid> boardIds, CancellationToken ct)
    {
        if (boardIds.Count == 0) return;
        Dictionary<Guid, long> heads;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            heads = await db.Boards.AsNoTracking().Where(b => boardIds.Contains(b.Id)).ToDictionaryAsync(b => b.Id, b => b.LastSeq, ct);
        }
        foreach (var (boardId, seq) in heads) feed.TellHead(boardId, seq);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Closed} hub connection(s) of ended sessions and revoked {Revoked} from boards their people left")]
    private static partial void LogAccessEnded(ILogger logger, int closed, int revoked);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Board head/presence tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
