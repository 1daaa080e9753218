using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>
/// Emails task changes to the people involved: assignee, supervisor and creator (and whoever a change took off
/// the task), never the person who made it, only if they want change emails, and only while they are members of the
/// board (checked again when a burst is sealed, <see cref="ChangeEmailFlusher"/>, and when its email is sent).
/// <para>With <see cref="EmailOptions.CoalesceWindowSeconds"/> &gt; 0 (the default) each change is recorded per
/// recipient as a <see cref="PendingChangeEmail"/>; <see cref="ChangeEmailFlusher"/> later sends each burst (one
/// person's changes on one board) as one email. With 0 every change is sent at once. Either way each email is
/// recorded in sent_emails under an idempotency key, so a retry never sends it twice.</para>
/// </summary>
public sealed partial class TaskEmailHandler(
    TaskHubDbContext db, IEmailSender sender, ChangeEmailRenderer renderer, EmailComposer composer, IOptions<EmailOptions> options, TimeProvider clock,
    ILogger<TaskEmailHandler> log) : IOutboxHandler
{
    public string Kind => OutboxKinds.TaskEmail;

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, m => DeliverOneAsync(m.Payload, ct));

    private async Task DeliverOneAsync(string payload, CancellationToken ct)
    {
        var e = JsonSerializer.Deserialize<BoardEventDto>(payload, TaskHubJson.Options)!;
        if (!ChangeEmailRenderer.Emailed(e)) return;
        // The people involved, plus whoever watches the board; minus the actor and whoever muted the board or
        // turned its emails off.
        var people = ChangeEmailRenderer.PeopleInvolved(e);
        var settings = await BoardNotificationRules.SettingsAsync(db, e.BoardId, ct);
        if (settings.Values.Any(s => s.Level == NotificationLevel.Watching))
            people.UnionWith(await BoardNotificationRules.WatchersAsync(db, e.BoardId, ct));
        if (e.ActorId is { } actor) people.Remove(actor);
        people.RemoveWhere(p => !settings.EmailOn(p));
        if (people.Count == 0) return;
        // Only the board's members as it is now: the event still names a creator who left, or an assignee whom the
        // removal itself took off the task, and a member removed since the change was made hears of it no more.
        var recipients = await db.Users.AsNoTracking()
            .Where(u => people.Contains(u.Id) && u.EmailOnChange && db.BoardMembers.Any(m => m.BoardId == e.BoardId && m.UserId == u.Id))
            .ToListAsync(ct);
        if (recipients.Count == 0) return;

        if (options.Value.CoalesceWindowSeconds > 0)
        {
            await RecordAsync(e, payload, recipients, ct);
            return;
        }
        foreach (var user in recipients)
        {
            var key = $"task-email:{e.BoardId:N}:{e.Seq}:{user.Id:N}";
            if (await renderer.RenderAsync(user, e.BoardId, e.ActorId, [e], key, ct) is not { } mail) continue;
            var message = composer.Compose(mail.ToEmail, mail.ToName, mail.Subject, mail.Text, mail.Html, key, mail.UnsubscribeUrl);
            if (await EmailHandler.SendOnceAsync(db, sender, message, key, user.Email, clock, ct)) LogSent(log, key);
        }
    }

    /// <summary>Queues the change for each recipient's burst; a redelivered outbox message adds nothing twice.</summary>
    private async Task RecordAsync(BoardEventDto e, string payload, List<User> recipients, CancellationToken ct)
    {
        var ids = recipients.Select(u => u.Id).ToList();
        var already = await db.Set<PendingChangeEmail>()
            .Where(p => p.BoardId == e.BoardId && p.Seq == e.Seq && ids.Contains(p.RecipientId))
            .Select(p => p.RecipientId).ToListAsync(ct);
        foreach (var user in recipients.Where(u => !already.Contains(u.Id)))
            db.Add(new PendingChangeEmail
            {
                RecipientId = user.Id, BoardId = e.BoardId, ActorId = e.ActorId, Seq = e.Seq, TaskId = e.Task!.Id,
                Payload = payload, At = e.At, RecordedAt = clock.GetUtcNow().UtcDateTime,
            });
        await db.SaveChangesAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent email {Key}")]
    private static partial void LogSent(ILogger logger, string key);
}

/// <summary>
/// Renders the email for a burst of board events (one actor, one board) to one recipient: the net change per
/// field of each task (<c>Status: To do → Done</c>, not every hop), who made it and when. One task reads as
/// that task's email; many (an import, a multi-move) as one summary.
/// </summary>
public sealed class ChangeEmailRenderer(TaskHubDbContext db, EmailComposer composer, UnsubscribeLinks links)
{
    /// <summary>Everyone a change concerns: the task's people now, and whoever the change took off it.</summary>
    public static HashSet<Guid> PeopleInvolved(BoardEventDto e)
    {
        var people = new HashSet<Guid>(new[] { e.Task!.AssigneeId, e.Task.SupervisorId, e.Task.CreatedById }.OfType<Guid>());
        foreach (var c in e.Changes.Where(c => c.Field is "assigneeId" or "supervisorId"))
            if (Guid.TryParse(c.From, out var previous)) people.Add(previous);
        if (e.Type == BoardEventTypes.CommentAdded && e.Comment is { } comment) people.UnionWith(comment.Mentions);
        return people;
    }

    /// <summary>What is worth an email: changes to a task and new comments — not a checklist tick, a reorder within
    /// a column, a comment's edit or deletion, or a board-level change.</summary>
    public static bool Emailed(BoardEventDto e) => e.Task is not null && e.Type switch
    {
        BoardEventTypes.TaskCreated or BoardEventTypes.TaskUpdated or BoardEventTypes.TaskDeleted or BoardEventTypes.CommentAdded => true,
        BoardEventTypes.TaskMoved => e.Changes.Any(c => c.Field != "position"),
        _ => false,
    };

    /// <summary>Fields a person reads about (where a card sits in its column is not one).</summary>
    private static bool Shown(FieldChange c) => c.Field is not "position";

    /// <summary>What happened to one task over a burst.</summary>
    public sealed record TaskSummary(TaskDto Task, string Kind, IReadOnlyList<FieldChange> Changes);

    /// <summary>The net effect of a burst, task by task (in the order each task was first touched); tasks whose
    /// changes cancel out (edited back, or created and deleted within the burst) are left out.</summary>
    public static List<TaskSummary> Net(IReadOnlyList<BoardEventDto> events)
    {
        var result = new List<TaskSummary>();
        foreach (var group in events.Where(Emailed).OrderBy(e => e.Seq).GroupBy(e => e.Task!.Id))
        {
            var list = group.ToList();
            var comments = list.Where(e => e.Type == BoardEventTypes.CommentAdded).SelectMany(e => e.Changes).Where(c => c.To is not null)
                .Select(c => new FieldChange("comment", null, c.To)).ToList();
            list = list.Where(e => e.Type != BoardEventTypes.CommentAdded).ToList();
            if (list.Count == 0)
            {
                result.Add(new TaskSummary(group.Last().Task!, BoardEventTypes.CommentAdded, comments));
                continue;
            }
            var created = list.Any(e => e.Type == BoardEventTypes.TaskCreated);
            var deleted = list.Any(e => e.Type == BoardEventTypes.TaskDeleted);
            var last = group.Last().Task!;
            if (created && deleted) continue;
            if (deleted)
            {
                result.Add(new TaskSummary(last, BoardEventTypes.TaskDeleted, []));
                continue;
            }
            var firstFrom = new Dictionary<string, string?>();
            var lastTo = new Dictionary<string, string?>();
            var order = new List<string>();
            foreach (var c in list.SelectMany(e => e.Changes).Where(Shown))
            {
                if (!firstFrom.ContainsKey(c.Field))
                {
                    firstFrom[c.Field] = created ? null : c.From;
                    order.Add(c.Field);
                }
                lastTo[c.Field] = c.To;
            }
            var changes = order.Where(f => created ? lastTo[f] is not null : firstFrom[f] != lastTo[f])
                .Select(f => new FieldChange(f, firstFrom[f], lastTo[f])).ToList();
            changes.AddRange(comments);
            if (!created && changes.Count == 0) continue;
            result.Add(new TaskSummary(last, created ? BoardEventTypes.TaskCreated : BoardEventTypes.TaskUpdated, changes));
        }
        return result;
    }

    /// <summary>The email, or null when the burst nets out to nothing.</summary>
    public async Task<EmailEnvelope?> RenderAsync(User to, Guid boardId, Guid? actorId, IReadOnlyList<BoardEventDto> events, string key, CancellationToken ct)
    {
        var tasks = Net(events);
        if (tasks.Count == 0) return null;

        var mentioned = new HashSet<Guid>();
        if (actorId is { } a) mentioned.Add(a);
        foreach (var c in tasks.SelectMany(t => t.Changes).Where(c => c.Field is "assigneeId" or "supervisorId"))
            foreach (var v in new[] { c.From, c.To })
                if (Guid.TryParse(v, out var id)) mentioned.Add(id);
        var names = await db.Users.AsNoTracking().Where(u => mentioned.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var boardName = await db.Boards.Where(b => b.Id == boardId).Select(b => b.Name).FirstOrDefaultAsync(ct) ?? "a deleted board";

        var zone = to.Zone();
        var who = actorId is { } actor && names.TryGetValue(actor, out var actorName) ? actorName : "TaskHub";
        var from = events.Min(e => e.At);
        var until = events.Max(e => e.At);
        var when = until - from < TimeSpan.FromMinutes(1) ? TimeText.InZone(until, zone) : $"{TimeText.InZone(from, zone)} – {TimeText.InZone(until, zone)}";
        var lines = tasks.Select(t => (Summary: t, Lines: t.Changes.Select(c => (Label: Label(c.Field), From: Show(c, c.From, names, zone), To: Show(c, c.To, names, zone))).ToList())).ToList();

        string Headline(TaskSummary t) => t.Kind switch
        {
            BoardEventTypes.TaskCreated => $"{who} created “{t.Task.Title}”",
            BoardEventTypes.TaskDeleted => $"{who} deleted “{t.Task.Title}”",
            BoardEventTypes.CommentAdded => $"{who} commented on “{t.Task.Title}”",
            _ => $"{who} changed “{t.Task.Title}”",
        };
        string Line(string kind, (string Label, string From, string To) l) =>
            kind == BoardEventTypes.TaskCreated || l.Label == "Comment" ? $"{l.Label}: {l.To}" : $"{l.Label}: {l.From} → {l.To}";
        string TaskUrl(TaskDto t) => $"{composer.BaseUrl}/boards/{boardId}?task={t.Id}";

        string subject, headline;
        if (tasks.Count == 1)
        {
            var (t, l) = lines[0];
            headline = Headline(t);
            var summary = t.Kind == BoardEventTypes.TaskUpdated ? string.Join(", ", l.Take(2).Select(x => Line(t.Kind, x)))
                : t.Kind == BoardEventTypes.TaskCreated ? "new task" : t.Kind == BoardEventTypes.CommentAdded ? "new comment" : "deleted";
            subject = $"[{boardName}] {t.Task.Title} — {summary}";
        }
        else
        {
            var verb = tasks.All(t => t.Kind == BoardEventTypes.TaskCreated) ? "created"
                : tasks.All(t => t.Kind == BoardEventTypes.TaskDeleted) ? "deleted" : "changed";
            headline = $"{who} {verb} {tasks.Count} tasks";
            subject = $"[{boardName}] {headline}";
        }

        var text = new StringBuilder().AppendLine(headline).AppendLine($"Board: {boardName}").AppendLine($"When: {when}").AppendLine();
        var enc = (string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        // A big burst (an import) lists its first tasks and links to the board for the rest.
        const int listed = 50;
        var more = lines.Count - listed;
        foreach (var (t, l) in lines.Take(listed))
        {
            if (tasks.Count > 1) text.AppendLine(Headline(t));
            foreach (var x in l) text.AppendLine((tasks.Count > 1 ? "  " : "") + Line(t.Kind, x));
            if (t.Kind != BoardEventTypes.TaskDeleted) text.AppendLine($"{(tasks.Count > 1 ? "  " : "")}Open the task: {TaskUrl(t.Task)}");
            text.AppendLine();

            if (tasks.Count > 1) html.Append($"<p style=\"margin:16px 0 4px\"><b>{enc(Headline(t))}</b></p>");
            html.Append("<table style=\"border-collapse:collapse\">");
            foreach (var x in l)
                html.Append(t.Kind == BoardEventTypes.TaskCreated
                    ? $"<tr><td style=\"padding:4px 12px 4px 0;color:#555\">{enc(x.Label)}</td><td>{enc(x.To)}</td></tr>"
                    : $"<tr><td style=\"padding:4px 12px 4px 0;color:#555\">{enc(x.Label)}</td><td><s style=\"color:#999\">{enc(x.From)}</s> → <b>{enc(x.To)}</b></td></tr>");
            html.Append("</table>");
            if (t.Kind != BoardEventTypes.TaskDeleted)
                html.Append($"<p><a href=\"{enc(TaskUrl(t.Task))}\" style=\"display:inline-block;background:#4f46e5;color:#fff;padding:8px 14px;border-radius:6px;text-decoration:none\">Open the task</a></p>");
        }
        var unsubscribe = links.UrlFor(to.Id, EmailList.Changes);
        if (more > 0)
        {
            var boardUrl = $"{composer.BaseUrl}/boards/{boardId}";
            text.AppendLine($"…and {more} more. See them on the board: {boardUrl}").AppendLine();
            html.Append($"<p>…and {more} more. <a href=\"{enc(boardUrl)}\">See them on the board</a></p>");
        }
        text.AppendLine($"You get this because you are involved in these tasks. Change your email settings: {composer.SettingsUrl}")
            .AppendLine($"Stop emails about task changes: {unsubscribe}");
        var page = $"""
            <!doctype html><html><body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#111;max-width:560px">
            <p style="font-size:16px"><b>{enc(headline)}</b></p>
            <p style="color:#555">{enc(boardName)} · {enc(when)}</p>
            {html}
            <p style="color:#888;font-size:12px">You get this because you are involved in these tasks. <a href="{enc(composer.SettingsUrl)}">Email settings</a> · <a href="{enc(unsubscribe)}">Unsubscribe</a></p>
            </body></html>
            """;
        return new EmailEnvelope(key, to.Email, to.DisplayName, subject, text.ToString(), page, unsubscribe);
    }

    private static string Show(FieldChange c, string? v, IReadOnlyDictionary<Guid, string> names, TimeZoneInfo zone)
    {
        if (string.IsNullOrEmpty(v)) return "(none)";
        if (c.Field is "assigneeId" or "supervisorId" && Guid.TryParse(v, out var id)) return names.TryGetValue(id, out var n) ? n : "a former member";
        if (c.Field == "dueAt" && DateTime.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var due))
            return TimeText.InZone(due, zone);
        if (c.Field == "description") return v.Length > 200 ? v[..200] + "…" : v;
        if (c.Field == "status") return v switch { "todo" => "To do", "in_progress" => "In progress", "done" => "Done", _ => v };
        if (c.Field == "priority") return v.Length > 0 ? char.ToUpperInvariant(v[0]) + v[1..] : v;
        return v;
    }

    private static string Label(string field) => field switch
    {
        "title" => "Title",
        "description" => "Description",
        "status" => "Status",
        "priority" => "Priority",
        "dueAt" => "Deadline",
        "assigneeId" => "Assignee",
        "supervisorId" => "Supervisor",
        "labelIds" => "Labels",
        "archivedAt" => "Archived",
        "comment" => "Comment",
        _ => field,
    };
}
