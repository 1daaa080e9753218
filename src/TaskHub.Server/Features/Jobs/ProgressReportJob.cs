using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Reports;

namespace TaskHub.Server.Features.Jobs;

/// <summary>
/// Weekly (Mondays) and monthly (the 1st) progress-report emails to each board's owners and admins, at 08:00
/// in their own time zone, covering the period that just ended — one per board, person and period.
/// </summary>
public sealed class ProgressReportJob(TaskHubDbContext db, EmailComposer composer, IOptions<JobsOptions> options, TimeProvider clock)
{
    public const string Id = "progress-reports";

    public Task RunAsync(CancellationToken ct) => JobMetrics.TrackAsync(Id, () => RunCoreAsync(ct));

    private async Task RunCoreAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var sendHour = options.Value.LocalSendHour;
        var page = 0;
        while (true)
        {
            var managers = await db.BoardMembers.AsNoTracking()
                .Where(m => m.Role == BoardRole.Owner || m.Role == BoardRole.Admin)
                .OrderBy(m => m.BoardId).ThenBy(m => m.UserId)
                .Skip(page * options.Value.BatchSize).Take(options.Value.BatchSize)
                .Select(m => new { m.BoardId, BoardName = m.Board.Name, m.User })
                .ToListAsync(ct);
            if (managers.Count == 0) break;
            page++;
            foreach (var m in managers)
            {
                var zone = m.User.Zone();
                var local = TimeZoneInfo.ConvertTimeFromUtc(now, zone);
                if (local.Hour != sendHour) continue;
                var today = DateOnly.FromDateTime(local);
                var periods = new List<string>();
                if (today.DayOfWeek == DayOfWeek.Monday) periods.Add("weekly");
                if (today.Day == 1) periods.Add("monthly");
                foreach (var period in periods)
                {
                    var lastDay = today.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                    if (!ProgressReports.TryWindow(period, lastDay, zone, clock, out var window, out _)) continue;
                    var key = $"report:{m.BoardId:N}:{m.User.Id:N}:{period}:{window.FromUtc:yyyyMMdd}";
                    if (await db.Set<JobDelivery>().AnyAsync(d => d.Key == key, ct)) continue;
                    var report = await ProgressReports.BuildAsync(db.Tasks.Where(t => t.BoardId == m.BoardId), window, zone, clock, db, ct);
                    var envelope = Render(report, m.BoardName, m.BoardId, m.User.Id, m.User.Email, m.User.DisplayName, key, zone);
                    await JobLedger.TryDeliverAsync(db, key, now, [JobLedger.Email(envelope, now)], ct);
                }
            }
        }
    }

    private EmailEnvelope Render(ProgressReport r, string boardName, Guid boardId, Guid userId, string email, string name, string key, TimeZoneInfo zone)
    {
        var from = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(r.From, zone));
        var to = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(r.To, zone)).AddDays(-1);
        var title = $"{(r.Period == "weekly" ? "Weekly" : "Monthly")} report for {boardName}, {from:d MMM} – {to:d MMM yyyy}";
        var cycle = r.MedianCycleTimeHours is { } h ? $"{h:0.#} h" : "—";
        var text = new StringBuilder().AppendLine(title).AppendLine()
            .AppendLine($"Created: {r.Created}").AppendLine($"Completed: {r.Completed}").AppendLine($"Open: {r.Open}")
            .AppendLine($"Overdue: {r.Overdue}").AppendLine($"Completion rate: {r.CompletionRate:P0}").AppendLine($"Median cycle time: {cycle}").AppendLine()
            .AppendLine("Per person (created / completed / open / overdue):");
        foreach (var a in r.PerAssignee) text.AppendLine($"  {a.DisplayName}: {a.Created} / {a.Completed} / {a.Open} / {a.Overdue}");
        var url = $"{composer.BaseUrl}/boards/{boardId}/reports";
        text.AppendLine().AppendLine($"Open the report: {url}");
        var e = (string s) => WebUtility.HtmlEncode(s);
        var rows = string.Concat(r.PerAssignee.Select(a => $"<tr><td>{e(a.DisplayName)}</td><td>{a.Created}</td><td>{a.Completed}</td><td>{a.Open}</td><td>{a.Overdue}</td></tr>"));
        var html = composer.Page($"""
            <p style="font-size:16px"><b>{e(title)}</b></p>
            <p>Created <b>{r.Created}</b> · Completed <b>{r.Completed}</b> · Open <b>{r.Open}</b> · Overdue <b>{r.Overdue}</b> · Completion <b>{r.CompletionRate:P0}</b> · Median cycle time <b>{e(cycle)}</b></p>
            <table cellpadding="4"><tr><th align="left">Person</th><th>Created</th><th>Completed</th><th>Open</th><th>Overdue</th></tr>{rows}</table>
            <p><a href="{e(url)}">Open the report</a></p>
            """);
        return new EmailEnvelope(key, email, name, $"[{boardName}] {title}", text.ToString(), html, Audience: new EmailAudience(userId, boardId, EmailAudience.Managers));
    }
}
