using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Jobs;

/// <summary>When a person's digest is due, and the local-time period it covers.</summary>
public static class DigestSchedule
{
    /// <summary>
    /// Due in the hour that starts at <paramref name="sendHour"/>:00 local time — every day (daily), on Mondays
    /// (weekly) or on the 1st (monthly); covers the previous day, week (Monday–Sunday) or month. Null when not due.
    /// DST is handled by converting local midnights, not by adding fixed hours.
    /// </summary>
    public static (DateTime FromUtc, DateTime ToUtc, DateOnly Start)? DuePeriod(DigestCadence cadence, TimeZoneInfo zone, DateTime utcNow, int sendHour)
    {
        var local = TimeZoneInfo.ConvertTimeFromUtc(utcNow, zone);
        if (cadence == DigestCadence.Off || local.Hour != sendHour) return null;
        var today = DateOnly.FromDateTime(local);
        DateOnly start;
        switch (cadence)
        {
            case DigestCadence.Daily: start = today.AddDays(-1); break;
            case DigestCadence.Weekly when today.DayOfWeek == DayOfWeek.Monday: start = today.AddDays(-7); break;
            case DigestCadence.Monthly when today.Day == 1: start = today.AddMonths(-1); break;
            default: return null;
        }
        return (Reports.ProgressReports.ToUtc(start, zone), Reports.ProgressReports.ToUtc(today, zone), start);
    }
}

/// <summary>
/// Batched digests: each person who chose daily, weekly or monthly gets one email per period, at 08:00 in their
/// own time zone, listing what changed on their tasks and boards, what is due soon and what is overdue — and
/// nothing at all when nothing happened. Also published as a <c>DigestReady</c> event with the rendered summary.
/// </summary>
public sealed class DigestJob(TaskHubDbContext db, OutboxTargets targets, EmailComposer composer, UnsubscribeLinks links, IOptions<JobsOptions> options, TimeProvider clock)
{
    public const string Id = "digests";

    public Task RunAsync(CancellationToken ct) => JobMetrics.TrackAsync(Id, () => RunCoreAsync(ct));

    private async Task RunCoreAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        Guid? after = null;
        while (true)
        {
            var users = await db.Users.AsNoTracking()
                .Where(u => (after == null || u.Id.CompareTo(after.Value) > 0) && u.Digest != DigestCadence.Off)
                .OrderBy(u => u.Id).Take(options.Value.BatchSize).ToListAsync(ct);
            if (users.Count == 0) break;
            after = users[^1].Id;
            foreach (var user in users) await DigestForAsync(user, now, ct);
        }
    }

    private async Task DigestForAsync(User user, DateTime now, CancellationToken ct)
    {
        var zone = user.Zone();
        if (DigestSchedule.DuePeriod(user.Digest, zone, now, options.Value.LocalSendHour) is not { } period) return;
        var cadence = TaskHubJson.EnumName(user.Digest);
        var key = $"digest:{user.Id:N}:{cadence}:{period.Start:yyyyMMdd}";
        if (await db.Set<JobDelivery>().AnyAsync(d => d.Key == key, ct)) return;

        var boards = await db.BoardMembers.AsNoTracking().Where(m => m.UserId == user.Id)
            .Select(m => new { m.BoardId, m.Board.Name }).ToListAsync(ct);
        var boardIds = boards.Select(b => b.BoardId).ToList();
        var perBoard = await db.BoardEvents.AsNoTracking()
            .Where(e => boardIds.Contains(e.BoardId) && e.At >= period.FromUtc && e.At < period.ToUtc && e.Type != BoardEventTypes.ColumnRespread)
            .GroupBy(e => e.BoardId).Select(g => new { BoardId = g.Key, Count = g.Count() }).ToListAsync(ct);
        var myTaskIds = db.Tasks.Where(t => t.AssigneeId == user.Id || t.SupervisorId == user.Id || t.CreatedById == user.Id).Select(t => t.Id);
        var onMyTasks = await db.BoardEvents.AsNoTracking()
            .Where(e => boardIds.Contains(e.BoardId) && e.At >= period.FromUtc && e.At < period.ToUtc && myTaskIds.Contains(e.TaskId) && e.ActorId != user.Id)
            .OrderByDescending(e => e.At).Take(20).ToListAsync(ct);
        var open = db.Tasks.AsNoTracking().Where(t => t.AssigneeId == user.Id && t.Status != TaskState.Done && t.DueAt != null && boardIds.Contains(t.BoardId));
        var dueSoon = await open.Where(t => t.DueAt >= now && t.DueAt < now.AddHours(48)).OrderBy(t => t.DueAt).Take(20).ToListAsync(ct);
        var overdue = await open.Where(t => t.DueAt < now).OrderBy(t => t.DueAt).Take(20).ToListAsync(ct);

        // (only of the boards they are on now: an item of a board they left names tasks they may no longer see)
        var unread = await db.Set<Notification>().AsNoTracking().Where(n => n.UserId == user.Id && n.ReadAt == null && boardIds.Contains(n.BoardId))
            .OrderByDescending(n => n.CreatedAt).Take(20).Select(n => new { n.Text, n.BoardId }).ToListAsync(ct);

        var changes = perBoard.Sum(b => b.Count);
        if (changes == 0 && dueSoon.Count == 0 && overdue.Count == 0 && unread.Count == 0) return; // nothing happened: no email

        var names = boards.ToDictionary(b => b.BoardId, b => b.Name);
        var label = user.Digest switch { DigestCadence.Daily => "daily", DigestCadence.Weekly => "weekly", _ => "monthly" };
        var from = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(period.FromUtc, zone));
        var to = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(period.ToUtc, zone)).AddDays(-1);
        var span = from == to ? from.ToString("ddd d MMM yyyy") : $"{from:d MMM} – {to:d MMM yyyy}";
        var subject = $"Your {label} TaskHub digest — {changes} change{(changes == 1 ? "" : "s")}, {dueSoon.Count} due soon, {overdue.Count} overdue";

        var text = new StringBuilder().AppendLine($"Your {label} digest for {span}").AppendLine();
        var html = new StringBuilder($"<p style=\"font-size:16px\"><b>Your {label} digest for {WebUtility.HtmlEncode(span)}</b></p>");
        void Section(string title, IEnumerable<string> lines)
        {
            var list = lines.ToList();
            if (list.Count == 0) return;
            text.AppendLine(title);
            foreach (var l in list) text.AppendLine($"  • {l}");
            text.AppendLine();
            html.Append($"<h3 style=\"margin:16px 0 4px\">{WebUtility.HtmlEncode(title)}</h3><ul>");
            foreach (var l in list) html.Append($"<li>{WebUtility.HtmlEncode(l)}</li>");
            html.Append("</ul>");
        }
        Section("Unread in your inbox", unread.Select(n => $"{n.Text} ({names.GetValueOrDefault(n.BoardId)})"));
        Section("Overdue", overdue.Select(t => $"{t.Title} ({names.GetValueOrDefault(t.BoardId)}) — was due {TimeText.InZone(t.DueAt!.Value, zone)}"));
        Section("Due in the next 48 hours", dueSoon.Select(t => $"{t.Title} ({names.GetValueOrDefault(t.BoardId)}) — due {TimeText.InZone(t.DueAt!.Value, zone)}"));
        Section("On your tasks", onMyTasks.Select(e =>
        {
            var dto = BoardEventDto.From(e);
            var what = e.Type switch
            {
                "TaskCreated" => "created",
                "TaskDeleted" => "deleted",
                _ => string.Join(", ", dto.Changes.Select(c => c.Field is "description" ? "description changed" : $"{c.Field}: {c.From ?? "(none)"} → {c.To ?? "(none)"}")),
            };
            return $"{dto.Task?.Title}: {what}";
        }));
        Section("Activity on your boards", perBoard.OrderByDescending(b => b.Count).Select(b => $"{names.GetValueOrDefault(b.BoardId)}: {b.Count} change{(b.Count == 1 ? "" : "s")}"));
        text.AppendLine($"Open TaskHub: {composer.BaseUrl}").AppendLine($"Digest settings: {composer.SettingsUrl}");
        html.Append($"<p><a href=\"{WebUtility.HtmlEncode(composer.BaseUrl)}\">Open TaskHub</a></p>");

        var messages = new List<OutboxMessage>
        {
            JobLedger.Email(new EmailEnvelope(key, user.Email, user.DisplayName, subject, text.ToString(), composer.Page(html.ToString()),
                links.UrlFor(user.Id, EmailList.Digest), new EmailAudience(user.Id, Needs: EmailAudience.Digest)), now),
        };
        if (targets.BusEvents)
            messages.Add(JobLedger.Event(key, "DigestReady", new
            {
                recipient = new { userId = user.Id, email = user.Email, displayName = user.DisplayName, timeZone = zone.Id },
                period = new { cadence = label, from = period.FromUtc, to = period.ToUtc },
                summary = new { changes, dueSoon = dueSoon.Count, overdue = overdue.Count, subject, text = text.ToString() },
            }, now));
        await JobLedger.TryDeliverAsync(db, key, now, messages, ct);
    }
}
