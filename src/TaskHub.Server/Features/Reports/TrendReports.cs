using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Reports;

/// <summary>One week or month of a trend: tasks created and completed in it, and the burn-up at its end
/// (<c>scope</c>: tasks created before the end; <c>done</c>: of those, completed before the end).</summary>
public sealed record TrendPeriod(DateTime From, DateTime To, int Created, int Completed, int Scope, int Done);

/// <summary>A cycle-time bucket: <c>minHours</c> ≤ cycle time &lt; <c>maxHours</c> (null: no upper bound).</summary>
public sealed record CycleTimeBucket(string Label, double MinHours, double? MaxHours, int Count);

/// <summary>
/// Cycle times of the tasks completed in the range. <c>basis</c> is <c>firstInProgress</c>: from the first time the
/// task entered in_progress (its status-change events) to its completion; a task that never went through
/// in_progress counts from its creation. <c>p85Hours</c> is the nearest-rank 85th percentile.
/// </summary>
public sealed record CycleTimeDistribution(string Basis, int Count, double? MedianHours, double? P85Hours, IReadOnlyList<CycleTimeBucket> Buckets);

/// <summary>Open tasks past their deadline at <c>asOf</c>, per assignee (<c>userId</c> null: unassigned).</summary>
public sealed record OverdueRow(Guid? UserId, string DisplayName, int Overdue);

/// <summary>
/// A board's trends over the last 8 ISO weeks (<c>range=8w</c>) or 6 calendar months (<c>range=6m</c>) in the
/// caller's time zone, the last period being the one containing <c>date</c> (default today). <c>asOf</c> is now, or
/// the end of the range when that is earlier: what "open" and "overdue" are measured at.
/// </summary>
public sealed record TrendReport(
    string Range, string Unit, DateTime From, DateTime To, DateTime AsOf, string TimeZone,
    IReadOnlyList<TrendPeriod> Periods, CycleTimeDistribution CycleTime, IReadOnlyList<OverdueRow> OverdueByAssignee);

public static class TrendReports
{
    /// <summary>Bucket bounds in hours: &lt;1d, 1–3d, 3–7d, 1–2w, &gt;2w.</summary>
    private static readonly (string Label, double Min, double? Max)[] BucketBounds =
        [("<1d", 0, 24), ("1–3d", 24, 72), ("3–7d", 72, 168), ("1–2w", 168, 336), (">2w", 336, null)];

    public static bool TryPeriods(string? range, string? date, TimeZoneInfo zone, TimeProvider clock,
        out (string Range, string Unit, List<(DateTime From, DateTime To)> Periods) result, out ValidationProblem? problem)
    {
        result = default;
        problem = null;
        var errors = new FieldErrors();
        var r = (range ?? "8w").Trim().ToLowerInvariant();
        errors.Check(r is "8w" or "6m", "range", "Must be 8w (8 weeks) or 6m (6 months).");
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        if (date is not null && !DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            errors.Add("date", "Must be a date as YYYY-MM-DD.");
        if (errors.Any)
        {
            problem = errors.ToProblem();
            return false;
        }
        var periods = new List<(DateTime, DateTime)>();
        if (r == "8w")
        {
            var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
            for (var i = 7; i >= 0; i--)
            {
                var start = monday.AddDays(-7 * i);
                periods.Add((ProgressReports.ToUtc(start, zone), ProgressReports.ToUtc(start.AddDays(7), zone)));
            }
        }
        else
        {
            var first = new DateOnly(day.Year, day.Month, 1);
            for (var i = 5; i >= 0; i--)
            {
                var start = first.AddMonths(-i);
                periods.Add((ProgressReports.ToUtc(start, zone), ProgressReports.ToUtc(start.AddMonths(1), zone)));
            }
        }
        result = (r, r == "8w" ? "week" : "month", periods);
        return true;
    }

    public static async Task<TrendReport> BuildAsync(Guid boardId, string range, string unit, IReadOnlyList<(DateTime From, DateTime To)> periods,
        TimeZoneInfo zone, TimeProvider clock, TaskHubDbContext db, CancellationToken ct)
    {
        var from = periods[0].From;
        var to = periods[^1].To;
        var now = clock.GetUtcNow().UtcDateTime;
        var asOf = now < to ? now : to;
        var tasks = await db.Tasks.AsNoTracking()
            .Where(t => t.BoardId == boardId && t.CreatedAt < to)
            .Select(t => new { t.Id, t.AssigneeId, t.CreatedAt, t.CompletedAt, t.DueAt })
            .ToListAsync(ct);

        var trend = periods.Select(p => new TrendPeriod(p.From, p.To,
            tasks.Count(t => t.CreatedAt >= p.From && t.CreatedAt < p.To),
            tasks.Count(t => t.CompletedAt >= p.From && t.CompletedAt < p.To),
            tasks.Count(t => t.CreatedAt < p.To),
            tasks.Count(t => t.CompletedAt < p.To))).ToList();

        // Cycle time: the tasks completed in the range; the first move into in_progress from the board's events.
        var completed = tasks.Where(t => t.CompletedAt >= from && t.CompletedAt < to).ToList();
        var statusEvents = await db.BoardEvents.AsNoTracking()
            .Where(e => e.BoardId == boardId && e.At < to && e.ChangesJson.Contains("in_progress")
                && db.Tasks.Any(t => t.Id == e.TaskId && t.BoardId == boardId && t.CompletedAt >= from && t.CompletedAt < to))
            .Select(e => new { e.TaskId, e.At, e.ChangesJson })
            .ToListAsync(ct);
        var started = statusEvents
            .Where(e => EntersInProgress(e.ChangesJson))
            .GroupBy(e => e.TaskId)
            .ToDictionary(g => g.Key, g => g.Min(e => e.At));
        var cycles = completed
            .Select(t =>
            {
                var start = started.TryGetValue(t.Id, out var s) && s <= t.CompletedAt!.Value ? s : t.CreatedAt;
                return (t.CompletedAt!.Value - start).TotalHours;
            })
            .Order().ToList();
        var buckets = BucketBounds.Select(b => new CycleTimeBucket(b.Label, b.Min, b.Max,
            cycles.Count(c => c >= b.Min && (b.Max is not { } max || c < max)))).ToList();
        var cycleTime = new CycleTimeDistribution("firstInProgress", cycles.Count, Median(cycles), Percentile(cycles, 0.85), buckets);

        // Overdue at asOf: created by then, not completed by then, deadline passed.
        var overdue = tasks.Where(t => t.CreatedAt < asOf && (t.CompletedAt is null || t.CompletedAt >= asOf) && t.DueAt < asOf).ToList();
        var ids = overdue.Select(t => t.AssigneeId).OfType<Guid>().Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        var rows = overdue.GroupBy(t => t.AssigneeId)
            .Select(g => new OverdueRow(g.Key, g.Key is { } id ? names.GetValueOrDefault(id, "Former member") : "Unassigned", g.Count()))
            .OrderByDescending(r => r.Overdue).ThenBy(r => r.UserId is null).ThenBy(r => r.DisplayName, StringComparer.Ordinal)
            .ToList();

        return new TrendReport(range, unit, from, to, asOf, zone.Id, trend, cycleTime, rows);
    }

    private static bool EntersInProgress(string changesJson)
    {
        try
        {
            var changes = JsonSerializer.Deserialize<List<FieldChange>>(changesJson, TaskHubJson.Options);
            return changes is not null && changes.Any(c => c.Field == "status" && c.To == "in_progress");
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static double? Median(List<double> sorted) => sorted.Count == 0 ? null
        : Math.Round(sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2, 2);

    /// <summary>Nearest rank: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    private static double? Percentile(List<double> sorted, double p) => sorted.Count == 0 ? null
        : Math.Round(sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)], 2);
}
