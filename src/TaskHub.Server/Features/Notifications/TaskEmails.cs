using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>
/// Emails a task change to the people involved: assignee, supervisor and creator (and whoever the change
/// took off the task), never the person who made it, and only if they want change emails. Each
/// recipient's mail is recorded in sent_emails under an idempotency key, so a retry never sends it twice.
/// </summary>
public sealed partial class TaskEmailHandler(
    TaskHubDbContext db, IEmailSender sender, EmailComposer composer, IOptions<EmailOptions> options, TimeProvider clock, ILogger<TaskEmailHandler> log) : IOutboxHandler
{
    public string Kind => OutboxKinds.TaskEmail;

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, m => DeliverOneAsync(JsonSerializer.Deserialize<BoardEventDto>(m.Payload, TaskHubJson.Options)!, ct));

    private async Task DeliverOneAsync(BoardEventDto e, CancellationToken ct)
    {
        var people = new HashSet<Guid>(new[] { e.Task.AssigneeId, e.Task.SupervisorId, e.Task.CreatedById }.OfType<Guid>());
        foreach (var c in e.Changes.Where(c => c.Field is "assigneeId" or "supervisorId"))
            if (Guid.TryParse(c.From, out var previous)) people.Add(previous);
        if (e.ActorId is { } actor) people.Remove(actor);
        if (people.Count == 0) return;

        // One query for everyone the email mentions or goes to: recipients, the actor, old and new people.
        var mentioned = new HashSet<Guid>(people);
        if (e.ActorId is { } actorId) mentioned.Add(actorId);
        foreach (var c in e.Changes.Where(c => c.Field is "assigneeId" or "supervisorId"))
            foreach (var v in new[] { c.From, c.To })
                if (Guid.TryParse(v, out var id)) mentioned.Add(id);
        var users = await db.Users.AsNoTracking().Where(u => mentioned.Contains(u.Id)).ToListAsync(ct);
        var recipients = users.Where(u => people.Contains(u.Id) && u.EmailOnChange).ToList();
        if (recipients.Count == 0) return;
        var names = users.ToDictionary(u => u.Id, u => u.DisplayName);
        var boardName = await db.Boards.Where(b => b.Id == e.BoardId).Select(b => b.Name).FirstOrDefaultAsync(ct) ?? "a deleted board";

        foreach (var user in recipients)
        {
            var key = $"task-email:{e.BoardId:N}:{e.Seq}:{user.Id:N}";
            if (await EmailHandler.SendOnceAsync(db, sender, Render(e, user, boardName, names, key), key, user.Email, clock, ct))
                LogSent(log, key);
        }
    }

    public MimeMessage Render(BoardEventDto e, User to, string boardName, IReadOnlyDictionary<Guid, string> names, string key)
    {
        var o = options.Value;
        var zone = to.Zone();
        var who = e.ActorId is { } a && names.TryGetValue(a, out var actorName) ? actorName : "TaskHub";
        var baseUrl = o.PublicBaseUrl.TrimEnd('/');
        var taskUrl = $"{baseUrl}/boards/{e.BoardId}?task={e.Task.Id}";
        var settingsUrl = $"{baseUrl}/settings";

        string Show(FieldChange c, string? v)
        {
            if (string.IsNullOrEmpty(v)) return "(none)";
            if (c.Field is "assigneeId" or "supervisorId" && Guid.TryParse(v, out var id)) return names.TryGetValue(id, out var n) ? n : "a former member";
            if (c.Field == "dueAt" && DateTime.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var due))
                return TimeText.InZone(due, zone);
            if (c.Field == "description") return v.Length > 200 ? v[..200] + "…" : v;
            return v;
        }

        var lines = e.Changes.Select(c => (Label: Label(c.Field), From: Show(c, c.From), To: Show(c, c.To))).ToList();
        var headline = e.Type switch
        {
            BoardEventTypes.TaskCreated => $"{who} created “{e.Task.Title}”",
            BoardEventTypes.TaskDeleted => $"{who} deleted “{e.Task.Title}”",
            _ => $"{who} changed “{e.Task.Title}”",
        };
        var summary = e.Type == BoardEventTypes.TaskUpdated && lines.Count > 0
            ? string.Join(", ", lines.Take(2).Select(l => $"{l.Label}: {l.From} → {l.To}"))
            : e.Type == BoardEventTypes.TaskCreated ? "new task" : "deleted";

        var text = new StringBuilder()
            .AppendLine(headline).AppendLine($"Board: {boardName}").AppendLine($"When: {TimeText.InZone(e.At, zone)}").AppendLine();
        foreach (var l in lines)
            text.AppendLine(e.Type == BoardEventTypes.TaskCreated ? $"{l.Label}: {l.To}" : $"{l.Label}: {l.From} → {l.To}");
        if (e.Type != BoardEventTypes.TaskDeleted) text.AppendLine().AppendLine($"Open the task: {taskUrl}");
        text.AppendLine().AppendLine($"You get this because you are involved in this task. Change your email settings: {settingsUrl}");

        var enc = (string s) => WebUtility.HtmlEncode(s);
        var rows = string.Concat(lines.Select(l => e.Type == BoardEventTypes.TaskCreated
            ? $"<tr><td style=\"padding:4px 12px 4px 0;color:#555\">{enc(l.Label)}</td><td>{enc(l.To)}</td></tr>"
            : $"<tr><td style=\"padding:4px 12px 4px 0;color:#555\">{enc(l.Label)}</td><td><s style=\"color:#999\">{enc(l.From)}</s> → <b>{enc(l.To)}</b></td></tr>"));
        var button = e.Type == BoardEventTypes.TaskDeleted ? "" :
            $"<p><a href=\"{enc(taskUrl)}\" style=\"display:inline-block;background:#4f46e5;color:#fff;padding:8px 14px;border-radius:6px;text-decoration:none\">Open the task</a></p>";
        var html = $"""
            <!doctype html><html><body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#111;max-width:560px">
            <p style="font-size:16px"><b>{enc(headline)}</b></p>
            <p style="color:#555">{enc(boardName)} · {enc(TimeText.InZone(e.At, zone))}</p>
            <table style="border-collapse:collapse">{rows}</table>
            {button}
            <p style="color:#888;font-size:12px">You get this because you are involved in this task. <a href="{enc(settingsUrl)}">Email settings</a></p>
            </body></html>
            """;

        return composer.Compose(to.Email, to.DisplayName, $"[{boardName}] {e.Task.Title} — {summary}", text.ToString(), html, key);
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
        _ => field,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent email {Key}")]
    private static partial void LogSent(ILogger logger, string key);
}
