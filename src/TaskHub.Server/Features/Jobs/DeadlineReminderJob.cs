using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Jobs;

/// <summary>
/// Reminds the assignee of an open task <c>reminderLeadHours</c> before its deadline, and tells them once it
/// is overdue: one email (and a <c>TaskDeadlineApproaching</c> / <c>TaskOverdue</c> event) per task, kind and
/// deadline. A moved deadline is a new key, so it gets a fresh reminder. Tasks are read in batches.
/// </summary>
public sealed class DeadlineReminderJob(
    TaskHubDbContext db, OutboxTargets targets, EmailComposer composer, IOptions<JobsOptions> options, TimeProvider clock)
{
    public const string Id = "deadline-reminders";
    /// <summary>Overdue notices are for deadlines that passed within this window (older ones were noticed long ago).</summary>
    public static readonly TimeSpan OverdueWindow = TimeSpan.FromDays(7);
    private static readonly TimeSpan LongestLead = TimeSpan.FromHours(720);

    public Task RunAsync(CancellationToken ct) => JobMetrics.TrackAsync(Id, () => RunCoreAsync(ct));

    private async Task RunCoreAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var horizon = now + LongestLead;
        var oldest = now - OverdueWindow;
        Guid? after = null;
        while (true)
        {
            var batch = await db.Tasks.AsNoTracking()
                .Where(t => (after == null || t.Id.CompareTo(after.Value) > 0) && t.Status != TaskState.Done && t.AssigneeId != null
                            && t.DueAt != null && t.DueAt <= horizon && t.DueAt > oldest)
                .OrderBy(t => t.Id).Take(options.Value.BatchSize)
                .Select(t => new { Task = t, BoardName = t.Board.Name })
                .ToListAsync(ct);
            if (batch.Count == 0) break;
            after = batch[^1].Task.Id;

            var assigneeIds = batch.Select(b => b.Task.AssigneeId!.Value).Distinct().ToList();
            var people = await db.Users.AsNoTracking().Where(u => assigneeIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, ct);
            foreach (var row in batch)
            {
                var t = row.Task;
                if (!people.TryGetValue(t.AssigneeId!.Value, out var user)) continue;
                var due = t.DueAt!.Value;
                string kind;
                if (now >= due) kind = "overdue";
                else if (user.ReminderLeadHours > 0 && now >= due.AddHours(-user.ReminderLeadHours)) kind = "reminder";
                else continue;

                var key = $"{kind}:{t.Id:N}:{due:yyyyMMddHHmmss}";
                var zone = user.Zone();
                var when = TimeText.InZone(due, zone);
                var url = $"{composer.BaseUrl}/boards/{t.BoardId}?task={t.Id}";
                var (subject, line) = kind == "overdue"
                    ? ($"[{row.BoardName}] {t.Title} — overdue since {when}", $"“{t.Title}” was due {when} and is not done yet.")
                    : ($"[{row.BoardName}] {t.Title} — due {when}", $"“{t.Title}” is due {when} ({Hours(due - now)} from now).");
                var text = $"{line}\nBoard: {row.BoardName}\nPriority: {TaskHubJson.EnumName(t.Priority)}\n\nOpen the task: {url}\n\nChange your reminder lead time: {composer.SettingsUrl}\n";
                var html = composer.Page($"<p style=\"font-size:16px\"><b>{WebUtility.HtmlEncode(line)}</b></p><p>{WebUtility.HtmlEncode(row.BoardName)} · priority {TaskHubJson.EnumName(t.Priority)}</p><p><a href=\"{WebUtility.HtmlEncode(url)}\">Open the task</a></p>");

                var messages = new List<OutboxMessage>
                {
                    JobLedger.Email(new EmailEnvelope(key, user.Email, user.DisplayName, subject, text, html,
                        Audience: new EmailAudience(user.Id, t.BoardId, EmailAudience.Assignee, t.Id)), now),
                    JobLedger.Notification(new NotificationRequest(key, user.Id, kind == "overdue" ? NotificationKinds.Overdue : NotificationKinds.Reminder,
                        t.BoardId, t.Id, null, line, now), now),
                };
                if (targets.BusEvents)
                    messages.Add(JobLedger.Event(key, kind == "overdue" ? "TaskOverdue" : "TaskDeadlineApproaching",
                        new { boardId = t.BoardId, taskId = t.Id, title = t.Title, dueAt = due, assigneeId = user.Id, leadHours = user.ReminderLeadHours }, now));
                await JobLedger.TryDeliverAsync(db, key, now, messages, ct);
            }
        }
    }

    private static string Hours(TimeSpan span) => span.TotalHours >= 1 ? $"{Math.Round(span.TotalHours)} h" : $"{Math.Max(1, Math.Round(span.TotalMinutes))} min";
}
