using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Reports;

public sealed record AssigneeRow(Guid? UserId, string DisplayName, int Created, int Completed, int Open, int Overdue);

/// <summary>
/// A progress report over one period (an ISO week, Monday to Sunday, or a calendar month, in the caller's
/// time zone). <c>created</c>/<c>completed</c>: tasks created/completed in the period; <c>open</c>: not done at
/// the end of the period; <c>overdue</c>: open with a deadline before the end of the period (or now, for the
/// current period); <c>completionRate</c> = completed ÷ (completed + open); <c>medianCycleTimeHours</c>: the
/// median of created → completed for the tasks completed in the period.
/// </summary>
public sealed record ProgressReport(
    string Period, DateTime From, DateTime To, string TimeZone,
    int Created, int Completed, int Overdue, int Open, double CompletionRate, double? MedianCycleTimeHours,
    IReadOnlyList<AssigneeRow> PerAssignee);

/// <summary>Building progress reports: the report endpoints and the report emails (Jobs) both use these.</summary>
public static class ProgressReports
{
    public sealed record Window(string Period, DateTime FromUtc, DateTime ToUtc);

    /// <summary>The period containing <paramref name="date"/> (default: today in the zone), as UTC instants.</summary>
    public static bool TryWindow(string? period, string? date, TimeZoneInfo zone, TimeProvider clock, out Window window, out ValidationProblem? problem)
    {
        window = null!;
        problem = null;
        var errors = new FieldErrors();
        var p = (period ?? "weekly").Trim().ToLowerInvariant();
        errors.Check(p is "weekly" or "monthly", "period", "Must be weekly or monthly.");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        var day = today;
        if (date is not null && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            errors.Add("date", "Must be a date as YYYY-MM-DD.");
        if (errors.Any)
        {
            problem = errors.ToProblem();
            return false;
        }
        var start = p == "weekly" ? day.AddDays(-(((int)day.DayOfWeek + 6) % 7)) : new DateOnly(day.Year, day.Month, 1);
        var end = p == "weekly" ? start.AddDays(7) : start.AddMonths(1);
        window = new Window(p, ToUtc(start, zone), ToUtc(end, zone));
        return true;
    }

    public static DateTime ToUtc(DateOnly day, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified), zone);

    public static async Task<ProgressReport> BuildAsync(IQueryable<TaskItem> scope, Window w, TimeZoneInfo zone, TimeProvider clock, TaskHubDbContext db, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var asOf = now < w.ToUtc ? now : w.ToUtc;
        // Only the tasks that matter to the period: created before its end and not completed before its start.
        var rows = await scope.AsNoTracking()
            .Where(t => t.CreatedAt < w.ToUtc && (t.CompletedAt == null || t.CompletedAt >= w.FromUtc))
            .Select(t => new { t.AssigneeId, t.CreatedAt, t.CompletedAt, t.DueAt })
            .ToListAsync(ct);

        bool CreatedIn(DateTime c) => c >= w.FromUtc && c < w.ToUtc;
        bool CompletedIn(DateTime? c) => c is { } d && d >= w.FromUtc && d < w.ToUtc;
        bool OpenAtEnd(DateTime? c) => c is null || c >= w.ToUtc;
        bool OverdueAtEnd(DateTime? c, DateTime? due) => OpenAtEnd(c) && due is { } d && d < asOf;

        var created = rows.Count(r => CreatedIn(r.CreatedAt));
        var completedRows = rows.Where(r => CompletedIn(r.CompletedAt)).ToList();
        var open = rows.Count(r => OpenAtEnd(r.CompletedAt));
        var overdue = rows.Count(r => OverdueAtEnd(r.CompletedAt, r.DueAt));
        var rate = completedRows.Count + open == 0 ? 0 : Math.Round((double)completedRows.Count / (completedRows.Count + open), 4);
        var cycle = completedRows.Select(r => (r.CompletedAt!.Value - r.CreatedAt).TotalHours).Order().ToList();
        double? median = cycle.Count == 0 ? null
            : Math.Round(cycle.Count % 2 == 1 ? cycle[cycle.Count / 2] : (cycle[cycle.Count / 2 - 1] + cycle[cycle.Count / 2]) / 2, 2);

        var assigneeIds = rows.Select(r => r.AssigneeId).OfType<Guid>().Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => assigneeIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var perAssignee = rows.GroupBy(r => r.AssigneeId)
            .Select(g => new AssigneeRow(g.Key, g.Key is { } id ? names.GetValueOrDefault(id, "Former member") : "Unassigned",
                g.Count(r => CreatedIn(r.CreatedAt)), g.Count(r => CompletedIn(r.CompletedAt)),
                g.Count(r => OpenAtEnd(r.CompletedAt)), g.Count(r => OverdueAtEnd(r.CompletedAt, r.DueAt))))
            .Where(r => r.Created + r.Completed + r.Open > 0)
            .OrderByDescending(r => r.Completed).ThenBy(r => r.DisplayName, StringComparer.Ordinal)
            .ToList();

        return new ProgressReport(w.Period, w.FromUtc, w.ToUtc, zone.Id, created, completedRows.Count, overdue, open, rate, median, perAssignee);
    }
}
