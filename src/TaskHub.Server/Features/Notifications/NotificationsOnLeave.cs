using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Notifications;

/// <summary>
/// What the notifications keep about a board goes when the right to it does, right after the removal or deletion
/// committed, before it answers, in one transaction of its own per board:
/// <list type="bullet">
/// <item>inbox items (they name the board's tasks): whoever leaves a board (removed, or leaving) loses theirs there (the
/// delivery audit of the thirty-fourth round found them still listed); an account's go with it by cascade;</item>
/// <item>change emails stored for a burst (each row holds a change's text): the leaver's waiting rows go, and their sealed
/// rows (bursts already emailed) lose their text but stay until the two-day purge, as <see cref="TaskEmailHandler"/>
/// recognises a redelivered change only by its stored row: deleted, a change delivered again after the person was added
/// back was recorded and emailed a second time, or (its burst's key the sent one's) stuck every later burst
/// (<c>DeliveryAfterLosingAccessTests.ARedelivered…</c>). A deleted account's rows go whole, and so do a deleted board's
/// (all of them, earlier leavers' marks too, by the board's index). A burst recorded in a race with a removal or a
/// deletion (its recipients read just before it committed) is emptied when due (<see cref="ChangeEmailFlusher"/>), its
/// marks purged with the rest.</item>
/// </list>
/// After the commit, taking no person's lock: inside the removal, an account's deletion (which leaves every board first)
/// would take the inbox rows before the person's lock, the order that deadlocked against one's own "mark read"
/// (<c>RacingRequestsTests.MarkingReadWhileDeletingTheAccount</c>). Items written after the removal cannot come: the inbox
/// writer reads the members under the board's lock. Tried twice (another replica's seal of the same change-email rows can
/// deadlock with it); if both fail the removal still stands (never a 500 after its commit) and what is left goes when due
/// or purged, or when the person deletes it (logged).
/// </summary>
internal sealed partial class NotificationsOnLeave(TaskHubDbContext db, ILogger<NotificationsOnLeave> log) : Boards.IBoardMembershipHandler
{
    public Task MemberLeftAsync(Guid boardId, Guid userId) => RunAsync(boardId, userId, async () =>
    {
        await db.Set<Notification>().Where(n => n.UserId == userId && n.BoardId == boardId).ExecuteDeleteAsync();
        var rows = db.Set<PendingChangeEmail>().Where(p => p.RecipientId == userId && p.BoardId == boardId);
        if (!await db.Users.AnyAsync(u => u.Id == userId))
        {
            await rows.ExecuteDeleteAsync(); // the account is gone: nothing of theirs is delivered again
            return;
        }
        await rows.Where(p => p.BatchKey == null).ExecuteDeleteAsync();
        await rows.Where(p => p.BatchKey != null && p.Payload != "").ExecuteUpdateAsync(s => s.SetProperty(p => p.Payload, ""));
    });

    // (Its inbox items went by cascade.)
    public Task BoardDeletedAsync(Guid boardId) =>
        RunAsync(boardId, null, () => db.Set<PendingChangeEmail>().Where(p => p.BoardId == boardId).ExecuteDeleteAsync());

    private async Task RunAsync(Guid boardId, Guid? userId, Func<Task> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var tx = await db.BeginWriteAsync(CancellationToken.None);
                await work();
                await tx.CommitAsync();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (attempt < 2) continue;
                LogNotCleared(log, e, boardId, userId);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The inbox items and change emails stored on board {BoardId} for {UserId} (none: the deleted board's) were not cleared; they stay until due, purged or deleted")]
    private static partial void LogNotCleared(ILogger logger, Exception e, Guid boardId, Guid? userId);
}
