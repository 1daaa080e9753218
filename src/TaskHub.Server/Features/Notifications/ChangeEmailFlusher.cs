using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>
/// Sends each burst of change emails once it is due: a burst is one recipient's pending changes by one person on
/// one board; it is due <see cref="EmailOptions.CoalesceWindowSeconds"/> after its last change was recorded (each
/// change restarts the window), or <see cref="EmailOptions.CoalesceMaxSeconds"/> after its first. Timed by when the
/// outbox recorded them, not when they were made, so a backlog being caught up is still gathered (bench/outbox.sh
/// showed 10,000 queued changes turning into hundreds of emails when timed by the change). Everything lives in
/// the database — no timer a restart could forget: every replica runs this, and sealing a burst (marking its
/// changes with the email's key) happens in the same transaction as the outbox row that sends the email, under a
/// unique key, so a burst is emailed exactly once.
/// </summary>
public sealed partial class ChangeEmailFlusher(
    IServiceScopeFactory scopes, IOptions<EmailOptions> email, IOptions<OutboxOptions> outbox, TimeProvider clock,
    ILogger<ChangeEmailFlusher> log) : BackgroundService
{
    /// <summary>Sealed changes are kept this long (so a redelivered outbox message is still recognised), then purged.</summary>
    public static readonly TimeSpan KeepSealed = TimeSpan.FromDays(2);

    private DateTime _lastPurge;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (email.Value.CoalesceWindowSeconds <= 0) return;
        var poll = TimeSpan.FromSeconds(Math.Max(outbox.Value.PollIntervalSeconds, Math.Min(1, email.Value.CoalesceWindowSeconds / 4)));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FlushDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFlushFailed(log, e);
            }
            await Task.Delay(poll, clock, stoppingToken);
        }
    }

    /// <summary>Seals every due burst into an outbox email; returns how many emails it queued.</summary>
    public async Task<int> FlushDueAsync(CancellationToken ct)
    {
        var o = email.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var renderer = scope.ServiceProvider.GetRequiredService<ChangeEmailRenderer>();

        var quietSince = now.AddSeconds(-o.CoalesceWindowSeconds);
        var startedBefore = now.AddSeconds(-o.CoalesceMaxSeconds);
        var due = await db.Set<PendingChangeEmail>().Where(p => p.BatchKey == null)
            .GroupBy(p => new { p.RecipientId, p.BoardId, p.ActorId })
            .Select(g => new { g.Key.RecipientId, g.Key.BoardId, g.Key.ActorId, First = g.Min(p => p.RecordedAt), Last = g.Max(p => p.RecordedAt), FirstSeq = g.Min(p => p.Seq) })
            .Where(g => g.Last <= quietSince || g.First <= startedBefore)
            .OrderBy(g => g.First).Take(200)
            .ToListAsync(ct);

        var queued = 0;
        foreach (var burst in due)
        {
            var key = $"change-email:{burst.RecipientId:N}:{burst.BoardId:N}:{burst.FirstSeq}";
            try
            {
                db.ChangeTracker.Clear();
                await using var tx = await db.BeginWriteAsync(ct);
                var sealedCount = await db.Set<PendingChangeEmail>()
                    .Where(p => p.BatchKey == null && p.RecipientId == burst.RecipientId && p.BoardId == burst.BoardId && p.ActorId == burst.ActorId)
                    .ExecuteUpdateAsync(s => s.SetProperty(p => p.BatchKey, key), ct);
                if (sealedCount == 0) continue; // another replica sealed it first

                var events = (await db.Set<PendingChangeEmail>().AsNoTracking().Where(p => p.BatchKey == key).OrderBy(p => p.Seq).Select(p => p.Payload).ToListAsync(ct))
                    .Select(p => JsonSerializer.Deserialize<BoardEventDto>(p, TaskHubJson.Options)!).ToList();
                var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == burst.RecipientId, ct);
                // Still a member (not removed, the board not deleted, since the changes were recorded), still wanting them.
                var wanted = user is { EmailOnChange: true }
                             && await db.BoardMembers.AnyAsync(m => m.BoardId == burst.BoardId && m.UserId == user.Id, ct)
                             && (await BoardNotificationRules.SettingsAsync(db, burst.BoardId, ct)).EmailOn(user.Id);
                var message = wanted ? await renderer.RenderAsync(user!, burst.BoardId, burst.ActorId, events, key, ct) : null;
                if (message is not null) message = message with { Audience = new EmailAudience(user!.Id, burst.BoardId, EmailAudience.Changes) };
                if (message is not null)
                    db.Add(OutboxWriter.New(OutboxKinds.Email, key, JsonSerializer.Serialize(message, TaskHubJson.Options), now));
                else if (!wanted)
                    // Nobody may receive it (the account or the board gone, the person no longer a member, or not wanting these
                    // emails): the sealed rows stay, without the changes' text, until the purge: they mark the changes as
                    // handled, so one delivered again later (the person added back, or wanting emails again) is not recorded
                    // and emailed late.
                    await db.Set<PendingChangeEmail>().Where(p => p.BatchKey == key).ExecuteUpdateAsync(s => s.SetProperty(p => p.Payload, ""), ct);
                try
                {
                    await db.SaveChangesAsync(ct);
                    await tx.CommitAsync(ct);
                    if (message is not null) queued++;
                }
                catch (DbUpdateException)
                {
                    // The outbox key is unique: another replica queued this burst's email in the meantime.
                    await tx.RollbackAsync(ct);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One burst's failure (a deadlock with a removal clearing the same rows, say) leaves it waiting for the
                // next round; the other due bursts go on.
                LogSealFailed(log, e, key);
            }
        }

        if (now - _lastPurge > TimeSpan.FromHours(1))
        {
            _lastPurge = now;
            var before = now - KeepSealed;
            await db.Set<PendingChangeEmail>().Where(p => p.BatchKey != null && p.At < before).ExecuteDeleteAsync(ct);
        }
        return queued;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sealing the change-email burst {Key} failed; it is tried again next round")]
    private static partial void LogSealFailed(ILogger logger, Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Error, Message = "Change-email flush round failed")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}

/// <summary>
/// The change emails stored for someone who lost the right to them (each row holds a change's text) go right after the
/// removal or deletion committed, before it answers, instead of lingering until their burst is due or purged:
/// <list type="bullet">
/// <item>a person removed from a board (or leaving it): their waiting rows go, and their sealed rows (bursts already
/// emailed) lose their text but stay until the two-day purge, as <see cref="TaskEmailHandler"/> recognises a redelivered
/// change only by its stored row: deleted, a change delivered again after the person was added back was recorded and
/// emailed a second time, or (its burst's key the sent one's) stuck every later burst (a review's tests,
/// <c>DeliveryAfterLosingAccessTests.ARedelivered…</c>);</item>
/// <item>a deleted account's rows go whole, and so do a deleted board's (read by its members as they were, on the
/// recipient's index): neither comes back.</item>
/// </list>
/// A burst recorded in a race with a removal (its recipients read just before it committed) is emptied when due
/// (<see cref="ChangeEmailFlusher"/>). A transaction of its own, as <see cref="InboxOnLeave"/>'s, tried twice (a seal
/// of the same rows by another replica can deadlock with it); if both fail the removal still stands and the rows stay
/// until due or purged (logged).
/// </summary>
internal sealed partial class ChangeEmailsOnLeave(TaskHubDbContext db, ILogger<ChangeEmailsOnLeave> log) : Boards.IBoardMembershipHandler
{
    /// <summary>The members of a board being deleted, read inside its deletion (the handler lives for the request).</summary>
    private readonly Dictionary<Guid, List<Guid>> _membersOfDeleted = [];

    public async Task BoardDeletingAsync(Guid boardId, CancellationToken ct) =>
        _membersOfDeleted[boardId] = await db.BoardMembers.Where(m => m.BoardId == boardId).Select(m => m.UserId).ToListAsync(ct);

    public Task MemberLeftAsync(Guid boardId, Guid userId) => RunAsync(boardId, userId, async () =>
    {
        var rows = db.Set<PendingChangeEmail>().Where(p => p.RecipientId == userId && p.BoardId == boardId);
        if (!await db.Users.AnyAsync(u => u.Id == userId))
        {
            await rows.ExecuteDeleteAsync(); // the account is gone: nothing of theirs is delivered again
            return;
        }
        await rows.Where(p => p.BatchKey == null).ExecuteDeleteAsync();
        await rows.Where(p => p.BatchKey != null && p.Payload != "").ExecuteUpdateAsync(s => s.SetProperty(p => p.Payload, ""));
    });

    public Task BoardDeletedAsync(Guid boardId)
    {
        // Former members' sealed rows hold no text (see above) and go with the purge.
        if (!_membersOfDeleted.Remove(boardId, out var members) || members.Count == 0) return Task.CompletedTask;
        return RunAsync(boardId, null, () =>
            db.Set<PendingChangeEmail>().Where(p => members.Contains(p.RecipientId) && p.BoardId == boardId).ExecuteDeleteAsync());
    }

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
                // The removal or deletion stands (it committed); left, the rows go when due (emptied) or with the purge.
                if (attempt < 2) continue;
                LogNotCleared(log, e, boardId, userId);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change emails stored on board {BoardId} for {UserId} (none: the deleted board's) were not cleared; they stay until due or purged")]
    private static partial void LogNotCleared(ILogger logger, Exception e, Guid boardId, Guid? userId);
}
