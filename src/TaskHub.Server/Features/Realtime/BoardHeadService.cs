using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Every <see cref="RealtimeOptions.HeadIntervalSeconds"/>: tells each board's line here the board's head seq (so a
/// dropped last event of a quiet board is read from the log and sent, or else the viewers are sent the head), refreshes this
/// replica's presence entries, and prunes expired ones (a dead replica's viewers), announcing the change; then ends what
/// lost its access while connected (<see cref="HubAccessSweep"/>). While this replica does not hear the other replicas'
/// events (a link to Redis down), and once more when it hears them again (also after a drop shorter than a step), the
/// heads alone are read more often
/// (<see cref="RealtimeOptions.HeadIntervalSecondsWithoutRedis"/>): the others' events then reach its viewers only that way.
/// Those reads only open gaps; they send no head to viewers who are not behind.
/// </summary>
public sealed partial class BoardHeadService(
    LocalConnections local, IPresenceStore presence, BoardPresence boards, BoardEventFeed feed,
    IServiceScopeFactory scopes, HubAccessSweep access, IOptions<RealtimeOptions> options, TimeProvider clock,
    ILogger<BoardHeadService> log) : BackgroundService
{
    /// <summary>Why the heads were read (<c>taskhub_board_head_reads_total</c>'s reason), in <see cref="HeadRead"/>'s order.</summary>
    public static readonly string[] ReadReasons = ["tick", "not_hearing", "heard_again", "dropped"];

    public enum HeadRead { Tick, NotHearing, HeardAgain, Dropped }

    private readonly long[] _reads = new long[ReadReasons.Length];

    /// <summary>How often this replica has read its joined boards' heads for that reason.</summary>
    public long Reads(HeadRead why) => Interlocked.Read(ref _reads[(int)why]);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The interval split in n equal steps no longer than the one without Redis (n = 1 without Redis configured); the
        // whole tick comes once its interval has passed, the heads alone at the steps between while this replica does not
        // hear the others, and at the first step it hears them again (what was published while it did not).
        var o = options.Value;
        var interval = TimeSpan.FromSeconds(o.HeadIntervalSeconds);
        var n = feed.PublishesToOthers ? (int)Math.Ceiling(o.HeadIntervalSeconds / Math.Min(o.HeadIntervalSeconds, o.HeadIntervalSecondsWithoutRedis) - 1e-9) : 1;
        var step = interval / n;
        using var timer = new PeriodicTimer(step, clock);
        var whole = clock.GetUtcNow() + interval;
        var heard = true;
        var lost = feed.HearingLost;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var hears = n == 1 || feed.CanHear;
                var lostNow = feed.HearingLost; // (a drop and its reconnect between two steps: not heard meanwhile either)
                if (clock.GetUtcNow() >= whole - step / 2)
                {
                    whole = clock.GetUtcNow() + interval;
                    await TickAsync(stoppingToken);
                }
                else if (!hears || !heard || lostNow != lost)
                    await HeadsAsync(JoinedBoards(), !hears ? HeadRead.NotHearing : !heard ? HeadRead.HeardAgain : HeadRead.Dropped, stoppingToken, onlyIfBehind: true);
                heard = hears;
                if (hears) lost = lostNow;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogTickFailed(log, e);
            }
        }
    }

    private List<Guid> JoinedBoards() => local.All().Select(j => j.BoardId).Distinct().ToList();

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
        await HeadsAsync(boardIds, HeadRead.Tick, ct);

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
    private async Task HeadsAsync(List<Guid> boardIds, HeadRead why, CancellationToken ct, bool onlyIfBehind = false)
    {
        if (boardIds.Count == 0) return;
        Dictionary<Guid, long> heads;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            heads = await db.Boards.AsNoTracking().Where(b => boardIds.Contains(b.Id)).ToDictionaryAsync(b => b.Id, b => b.LastSeq, ct);
        }
        Interlocked.Increment(ref _reads[(int)why]); // (reads made: a failed one is logged by the caller)
        RealtimeMetrics.HeadReads.WithLabels(ReadReasons[(int)why]).Inc();
        foreach (var (boardId, seq) in heads) feed.TellHead(boardId, seq, onlyIfBehind);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Closed} hub connection(s) of ended sessions and revoked {Revoked} from boards their people left")]
    private static partial void LogAccessEnded(ILogger logger, int closed, int revoked);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Board head/presence tick failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception);
}
