using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>One item in a person's inbox: something that happened that concerns them.</summary>
public sealed class Notification
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Unique: what made it (e.g. <c>assigned:{board}:{seq}:{user}</c>), so a redelivery adds nothing twice.</summary>
    public required string Key { get; set; }
    public Guid UserId { get; set; }
    public required string Kind { get; set; }
    public Guid BoardId { get; set; }
    public Guid? TaskId { get; set; }
    public Guid? ActorId { get; set; }
    public required string Text { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ReadAt { get; set; }
}

public static class NotificationKinds
{
    public const string Assigned = "assigned";
    public const string Reminder = "reminder";
    public const string Overdue = "overdue";
    public const string Escalated = "escalated";
    public const string Mention = "mention";
    public const string Comment = "comment";
}

public enum NotificationLevel { Participating, Watching, Muted }

/// <summary>How much one person hears about one board (no row: participating, emails on).</summary>
public sealed class BoardNotificationSetting
{
    public Guid BoardId { get; set; }
    public Guid UserId { get; set; }
    public NotificationLevel Level { get; set; } = NotificationLevel.Participating;
    public bool Email { get; set; } = true;
}

internal sealed class NotificationConfiguration : IEntityTypeConfiguration<Notification>
{
    public void Configure(EntityTypeBuilder<Notification> b)
    {
        b.ToTable("notifications");
        b.Property(n => n.Key).HasMaxLength(200);
        b.HasIndex(n => n.Key).IsUnique();
        b.Property(n => n.Kind).HasMaxLength(32);
        b.Property(n => n.Text).HasMaxLength(500);
        b.HasIndex(n => new { n.UserId, n.CreatedAt });
        b.HasOne<User>().WithMany().HasForeignKey(n => n.UserId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Board>().WithMany().HasForeignKey(n => n.BoardId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BoardNotificationSettingConfiguration : IEntityTypeConfiguration<BoardNotificationSetting>
{
    public void Configure(EntityTypeBuilder<BoardNotificationSetting> b)
    {
        b.ToTable("board_notification_settings");
        b.HasKey(s => new { s.BoardId, s.UserId });
        b.Property(s => s.Level).HasConversion<string>().HasMaxLength(16);
        b.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Board>().WithMany().HasForeignKey(s => s.BoardId).OnDelete(DeleteBehavior.Cascade);
    }
}

public sealed record NotificationDto(Guid Id, string Kind, Guid BoardId, Guid? TaskId, Guid? ActorId, string Text, DateTime CreatedAt, DateTime? ReadAt)
{
    public static NotificationDto From(Notification n) => new(n.Id, n.Kind, n.BoardId, n.TaskId, n.ActorId, n.Text, n.CreatedAt, n.ReadAt);
}

public sealed record BoardNotificationSettingsDto([property: Required] NotificationLevel? Level, bool Email = true);

public sealed record MarkReadRequest(List<Guid>? Ids, bool All = false);

/// <summary>Something to put in someone's inbox (built by a job or from a board event), delivered through the outbox.</summary>
public sealed record NotificationRequest(string Key, Guid UserId, string Kind, Guid BoardId, Guid? TaskId, Guid? ActorId, string Text, DateTime At);

/// <summary>Tells a person's open tabs, on every replica, that their inbox has a new item (Realtime implements it).</summary>
public interface INotificationPush
{
    Task NotificationAddedAsync(Guid userId, NotificationDto notification);
}

/// <summary>Who hears what on a board: per-person levels, the default being participating with emails on.</summary>
public static class BoardNotificationRules
{
    public static async Task<Dictionary<Guid, BoardNotificationSetting>> SettingsAsync(TaskHubDbContext db, Guid boardId, CancellationToken ct) =>
        await db.Set<BoardNotificationSetting>().AsNoTracking().Where(s => s.BoardId == boardId).ToDictionaryAsync(s => s.UserId, ct);

    /// <summary>The board's members who watch it (every change).</summary>
    public static async Task<List<Guid>> WatchersAsync(TaskHubDbContext db, Guid boardId, CancellationToken ct) =>
        await db.Set<BoardNotificationSetting>().AsNoTracking()
            .Where(s => s.BoardId == boardId && s.Level == NotificationLevel.Watching
                        && db.BoardMembers.Any(m => m.BoardId == boardId && m.UserId == s.UserId))
            .Select(s => s.UserId).ToListAsync(ct);

    /// <summary>Whether anyone watches the board (a superset of <see cref="WatchersAsync"/>: membership is not checked),
    /// asked on every write to the board (<see cref="BoardProbe"/>; registered in AddTaskHubNotifications).</summary>
    public static readonly BoardProbe Watched = new("watched",
        $"EXISTS (SELECT 1 FROM board_notification_settings WHERE BoardId = {{board}} AND Level = '{nameof(NotificationLevel.Watching)}')");

    public static bool Muted(this Dictionary<Guid, BoardNotificationSetting> settings, Guid userId) =>
        settings.TryGetValue(userId, out var s) && s.Level == NotificationLevel.Muted;

    public static bool EmailOn(this Dictionary<Guid, BoardNotificationSetting> settings, Guid userId) =>
        !settings.TryGetValue(userId, out var s) || (s.Level != NotificationLevel.Muted && s.Email);
}

/// <summary><c>notification</c> outbox rows: a ready request (reminders, overdue notices from the jobs).</summary>
public sealed class NotificationRequestHandler(TaskHubDbContext db, INotificationPush push, TimeProvider clock) : InboxWriter(db, push, clock), IOutboxHandler
{
    public string Kind => OutboxKinds.Notification;

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, m => AddAsync([JsonSerializer.Deserialize<NotificationRequest>(m.Payload, TaskHubJson.Options)!], ct));
}

/// <summary>
/// <c>inbox</c> outbox rows, one per board event: an assignment to someone else, an escalation by the system.
/// </summary>
public sealed class InboxEventHandler(TaskHubDbContext db, INotificationPush push, TimeProvider clock) : InboxWriter(db, push, clock), IOutboxHandler
{
    private readonly TaskHubDbContext _db = db;

    public string Kind => OutboxKinds.Inbox;

    /// <summary>The events that can put something in an inbox (so the others cost no outbox row).</summary>
    public static bool Wants(BoardEvent e) => e.Type == BoardEventTypes.CommentAdded
        || (e.Type is BoardEventTypes.TaskCreated or BoardEventTypes.TaskUpdated or BoardEventTypes.TaskMoved
            && (e.ActorId is null || e.Wire?.Changes.Any(c => c.Field == "assigneeId") != false));

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, async m =>
            await AddAsync(await FromEventAsync(JsonSerializer.Deserialize<BoardEventDto>(m.Payload, TaskHubJson.Options)!, ct), ct));

    /// <summary>What a board event puts in inboxes: the new assignee hears of an assignment by someone else; the
    /// assignee and supervisor hear of an escalation made by the system.</summary>
    private async Task<List<NotificationRequest>> FromEventAsync(BoardEventDto e, CancellationToken ct)
    {
        var result = new List<NotificationRequest>();
        if (e.Type == BoardEventTypes.TaskDeleted || e.Task is null) return result;
        if (e.Type == BoardEventTypes.CommentAdded && e.Comment is { } comment)
        {
            // Mentioned people hear of the mention; the task's people (who were not mentioned) of the comment.
            var author = e.ActorId is { } by ? await _db.Users.Where(u => u.Id == by).Select(u => u.DisplayName).FirstOrDefaultAsync(ct) : null;
            var excerpt = comment.Body.Length > 120 ? comment.Body[..120] + "…" : comment.Body;
            foreach (var person in comment.Mentions.Where(p => p != e.ActorId))
                result.Add(new NotificationRequest($"mention:{comment.Id:N}:{person:N}", person, NotificationKinds.Mention, e.BoardId, e.Task.Id,
                    e.ActorId, $"{author ?? "Someone"} mentioned you on “{e.Task.Title}”: {excerpt}", e.At));
            foreach (var person in new[] { e.Task.AssigneeId, e.Task.SupervisorId, e.Task.CreatedById }.OfType<Guid>().Distinct()
                         .Where(p => p != e.ActorId && !comment.Mentions.Contains(p)))
                result.Add(new NotificationRequest($"comment:{comment.Id:N}:{person:N}", person, NotificationKinds.Comment, e.BoardId, e.Task.Id,
                    e.ActorId, $"{author ?? "Someone"} commented on “{e.Task.Title}”: {excerpt}", e.At));
            return result;
        }
        var assignee = e.Changes.FirstOrDefault(c => c.Field == "assigneeId");
        if (assignee is not null && Guid.TryParse(assignee.To, out var to) && to != e.ActorId)
        {
            var who = e.ActorId is { } a ? await _db.Users.Where(u => u.Id == a).Select(u => u.DisplayName).FirstOrDefaultAsync(ct) : null;
            result.Add(new NotificationRequest($"assigned:{e.BoardId:N}:{e.Seq}:{to:N}", to, NotificationKinds.Assigned, e.BoardId, e.Task.Id,
                e.ActorId, $"{who ?? "TaskHub"} assigned “{e.Task.Title}” to you", e.At));
        }
        var priority = e.Changes.FirstOrDefault(c => c.Field == "priority");
        if (e.ActorId is null && e.Type == BoardEventTypes.TaskUpdated && priority is not null)
            foreach (var person in new[] { e.Task.AssigneeId, e.Task.SupervisorId }.OfType<Guid>().Distinct())
                result.Add(new NotificationRequest($"escalated:{e.BoardId:N}:{e.Seq}:{person:N}", person, NotificationKinds.Escalated, e.BoardId,
                    e.Task.Id, null, $"“{e.Task.Title}” was raised to {priority.To} priority: its deadline is near", e.At));
        return result;
    }

}

/// <summary>Stores inbox items once each (their key is unique), skipping people who left the board or muted it, then
/// pushes each one live to its person's tabs.</summary>
public abstract class InboxWriter(TaskHubDbContext db, INotificationPush push, TimeProvider clock)
{
    protected async Task AddAsync(List<NotificationRequest> requests, CancellationToken ct)
    {
        if (requests.Count == 0) return;
        var keys = requests.Select(r => r.Key).ToList();
        var existing = await db.Set<Notification>().Where(n => keys.Contains(n.Key)).Select(n => n.Key).ToListAsync(ct);
        var added = new List<Notification>();
        // Each board's members read and its items stored under the board's lock, which a removal (or the board's deletion)
        // takes too: read before a removal committed, the items were stored before it answered; read after, they are not.
        // (Read outside it, a removal answered in between and the item landed after it: the audit's inbox probe.)
        foreach (var group in requests.Where(r => !existing.Contains(r.Key)).GroupBy(r => r.BoardId).OrderBy(g => g.Key))
        {
            await using var tx = await db.BeginWriteAsync(ct);
            if (!await db.LockBoardAsync(group.Key, ct)) continue; // the board is gone
            var settings = await BoardNotificationRules.SettingsAsync(db, group.Key, ct);
            var members = await db.BoardMembers.Where(m => m.BoardId == group.Key).Select(m => m.UserId).ToListAsync(ct);
            var now = new List<Notification>();
            foreach (var r in group.Where(r => members.Contains(r.UserId) && !settings.Muted(r.UserId)))
            {
                var n = new Notification
                {
                    Key = r.Key, UserId = r.UserId, Kind = r.Kind, BoardId = r.BoardId, TaskId = r.TaskId, ActorId = r.ActorId,
                    Text = r.Text.Length > 500 ? r.Text[..500] : r.Text, CreatedAt = clock.GetUtcNow().UtcDateTime,
                };
                db.Add(n);
                now.Add(n);
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            added.AddRange(now);
        }
        // After the items are stored: a push lost to an outage is found on the next GET.
        foreach (var n in added) await push.NotificationAddedAsync(n.UserId, NotificationDto.From(n));
    }
}

public static class InboxApi
{
    public const string UnreadHeader = "X-Unread-Count";
    public const int PageSize = 50;

    public static IEndpointRouteBuilder MapInbox(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me/notifications").WithTags("Notifications").RequireAuthorization();
        me.MapGet("/", List);
        me.MapPost("/read", MarkRead);
        var boards = app.MapGroup("/api/boards/{boardId:guid}/notification-settings").WithTags("Notifications").RequireAuthorization();
        boards.MapGet("/", GetBoardSettings);
        boards.MapPut("/", PutBoardSettings);
        return app;
    }

    /// <summary>My notifications, newest first (50 a page; <c>before</c> = the last one's createdAt for the next page).</summary>
    public static async Task<Results<Ok<List<NotificationDto>>, ValidationProblem>> List(
        HttpContext http, CurrentUser me, TaskHubDbContext db, bool? unread, string? before, CancellationToken ct)
    {
        DateTime? until = null;
        if (before is not null)
        {
            if (DateTimeOffset.TryParse(before, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var b)) until = b.UtcDateTime;
            else return FieldErrors.Single("before", "Must be an ISO-8601 date and time.");
        }
        var mine = db.Set<Notification>().AsNoTracking().Where(n => n.UserId == me.Id);
        http.Response.Headers[UnreadHeader] = (await mine.CountAsync(n => n.ReadAt == null, ct)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var query = mine;
        if (unread == true) query = query.Where(n => n.ReadAt == null);
        if (until is not null) query = query.Where(n => n.CreatedAt < until);
        var page = await query.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Take(PageSize).ToListAsync(ct);
        return TypedResults.Ok(page.Select(NotificationDto.From).ToList());
    }

    public static async Task<Results<NoContent, ValidationProblem>> MarkRead(
        MarkReadRequest request, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!request.All && (request.Ids is null || request.Ids.Count == 0))
            return FieldErrors.Single("ids", "Name the notifications to mark read, or send all: true.");
        if (request.Ids is { Count: > 500 }) return FieldErrors.Single("ids", "At most 500 at a time.");
        var now = clock.GetUtcNow().UtcDateTime;
        var query = db.Set<Notification>().Where(n => n.UserId == me.Id && n.ReadAt == null);
        if (!request.All) query = query.Where(n => request.Ids!.Contains(n.Id));
        // One at a time per person: "all" reaches the rows in the order of their time, a list in the order of their ids,
        // and two such updates at once deadlocked on MariaDB whenever the orders differed.
        await using var tx = await db.BeginWriteAsync(ct);
        await db.LockUserAsync(me.Id, ct);
        await query.ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<BoardNotificationSettingsDto>, ProblemHttpResult>> GetBoardSettings(
        Guid boardId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");
        var s = await db.Set<BoardNotificationSetting>().AsNoTracking().SingleOrDefaultAsync(x => x.BoardId == boardId && x.UserId == me.Id, ct)
                ?? new BoardNotificationSetting { BoardId = boardId, UserId = me.Id };
        return TypedResults.Ok(new BoardNotificationSettingsDto(s.Level, s.Email));
    }

    public static async Task<Results<Ok<BoardNotificationSettingsDto>, ValidationProblem, ProblemHttpResult>> PutBoardSettings(
        Guid boardId, BoardNotificationSettingsDto request, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");
        // Read and written under the board's lock: a write adds a change-email row for the watchers only if there are
        // any, and two first settings at once (both reading none, both inserting) answered the second a duplicate key's 500.
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockBoardAsync(boardId, ct)) return Problems.NotFound("Board"); // deleted meanwhile
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board"); // removed meanwhile: no row of theirs after that
        var s = await db.Set<BoardNotificationSetting>().SingleOrDefaultAsync(x => x.BoardId == boardId && x.UserId == me.Id, ct);
        if (s is null)
        {
            s = new BoardNotificationSetting { BoardId = boardId, UserId = me.Id };
            db.Add(s);
        }
        s.Level = request.Level!.Value;
        s.Email = request.Email;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new BoardNotificationSettingsDto(s.Level, s.Email));
    }
}
