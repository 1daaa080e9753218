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
    IServiceScopeFactory scopes, IOptions<EmailOptions> email, TimeProvider clock,
    ILogger<ChangeEmailFlusher> log) : BackgroundService
{
    /// <summary>Sealed changes are kept this long (so a redelivered outbox message is still recognised), then purged.</summary>
    public static readonly TimeSpan KeepSealed = TimeSpan.FromDays(2);

    private DateTime _lastPurge;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (email.Value.CoalesceWindowSeconds <= 0) return;
        var poll = Poll(email.Value);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = poll;
            try
            {
                await FlushDueAsync(stoppingToken);
                wait = await UntilNextDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFlushFailed(log, e);
            }
            await Task.Delay(wait, clock, stoppingToken);
        }
    }

    /// <summary>How often bursts are looked at while one may be due: a quarter of the window, between 50 ms and a second.</summary>
    private static TimeSpan Poll(EmailOptions o) => TimeSpan.FromSeconds(Math.Clamp(o.CoalesceWindowSeconds / 4, 0.05, 1));

    /// <summary>
    /// How long the flusher may wait before a burst can be due: a burst is due no sooner than
    /// min(window, max) after its first change, so until then for the earliest waiting change (any replica's), and as
    /// long for one recorded after this look; never less than <see cref="Poll"/>.
    /// </summary>
    public async Task<TimeSpan> UntilNextDueAsync(CancellationToken ct)
    {
        var o = email.Value;
        var soonest = TimeSpan.FromSeconds(Math.Min(o.CoalesceWindowSeconds, o.CoalesceMaxSeconds));
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var first = await db.Set<PendingChangeEmail>().Where(p => p.BatchKey == null)
            .OrderBy(p => p.RecordedAt).Select(p => (DateTime?)p.RecordedAt).FirstOrDefaultAsync(ct);
        var wait = first is null ? soonest : first.Value + soonest - clock.GetUtcNow().UtcDateTime;
        var poll = Poll(o);
        return wait < poll ? poll : wait > soonest ? soonest : wait;
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
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
                if (message is not null) queued++;
            }
            catch (DbUpdateException)
            {
                // The outbox key is unique: another replica queued this burst's email in the meantime (the transaction
                // rolls back as it is disposed).
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
