using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Reports;

public abstract class ReportTests(TaskHubApplication app)
{
    private static DateTime At(string iso) => DateTime.Parse(iso, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

    /// <summary>Seven tasks around the week of Monday 2026-11-02 (see the expected numbers in each test).</summary>
    private async Task<(TestUser Ada, TestUser Bob, Guid Board)> SeedAsync()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Reports");
        await ada.AddMemberAsync(board, bob);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        TaskItem T(string title, string created, string? completed, string? due, Guid? assignee) => new()
        {
            BoardId = board, Title = title, CreatedById = ada.Id, AssigneeId = assignee,
            CreatedAt = At(created), CompletedAt = completed is null ? null : At(completed),
            Status = completed is null ? TaskState.Todo : TaskState.Done, DueAt = due is null ? null : At(due),
        };
        db.Tasks.AddRange(
            T("T1 done in week, made before", "2026-10-28T10:00:00Z", "2026-11-03T10:00:00Z", null, bob.Id),
            T("T2 made and done in week", "2026-11-02T09:00:00Z", "2026-11-04T09:00:00Z", null, bob.Id),
            T("T3 made in week, overdue", "2026-11-05T12:00:00Z", null, "2026-11-06T12:00:00Z", ada.Id),
            T("T4 made in week, due later", "2026-11-06T00:00:00Z", null, "2026-11-20T00:00:00Z", null),
            T("T5 done before the week", "2026-10-01T00:00:00Z", "2026-10-15T00:00:00Z", null, bob.Id),
            T("T6 made after the week", "2026-11-10T00:00:00Z", null, null, bob.Id),
            T("T7 done after the week, overdue in it", "2026-11-01T08:00:00Z", "2026-11-12T08:00:00Z", "2026-11-08T00:00:00Z", ada.Id));
        await db.SaveChangesAsync();
        return (ada, bob, board);
    }

    [Fact]
    public async Task AWeeklyBoardReportMatchesTheHandCountedNumbers()
    {
        var (ada, _, board) = await SeedAsync();

        var r = await ada.Client.GetJson($"/api/boards/{board}/reports?period=weekly&date=2026-11-05");

        Assert.Equal("2026-11-02T00:00:00Z", r.GetProperty("from").GetString());
        Assert.Equal("2026-11-09T00:00:00Z", r.GetProperty("to").GetString());
        Assert.Equal(3, r.GetProperty("created").GetInt32());   // T2 T3 T4
        Assert.Equal(2, r.GetProperty("completed").GetInt32()); // T1 T2
        Assert.Equal(3, r.GetProperty("open").GetInt32());      // T3 T4 T7
        Assert.Equal(2, r.GetProperty("overdue").GetInt32());   // T3 T7
        Assert.Equal(0.4, r.GetProperty("completionRate").GetDouble());
        Assert.Equal(96, r.GetProperty("medianCycleTimeHours").GetDouble()); // median of 144 h and 48 h
        var rows = r.GetProperty("perAssignee").EnumerateArray()
            .Select(a => $"{a.GetProperty("displayName").GetString()}:{a.GetProperty("created")}/{a.GetProperty("completed")}/{a.GetProperty("open")}/{a.GetProperty("overdue")}")
            .ToList();
        Assert.Equal(["Bob:1/2/0/0", "Ada:1/0/2/2", "Unassigned:1/0/1/0"], rows);
    }

    [Fact]
    public async Task AMonthlyBoardReportMatchesTheHandCountedNumbers()
    {
        var (ada, _, board) = await SeedAsync();

        var r = await ada.Client.GetJson($"/api/boards/{board}/reports?period=monthly&date=2026-11-23");

        Assert.Equal("2026-11-01T00:00:00Z", r.GetProperty("from").GetString());
        Assert.Equal(5, r.GetProperty("created").GetInt32());   // T2 T3 T4 T6 T7
        Assert.Equal(3, r.GetProperty("completed").GetInt32()); // T1 T2 T7
        Assert.Equal(3, r.GetProperty("open").GetInt32());      // T3 T4 T6
        Assert.Equal(2, r.GetProperty("overdue").GetInt32());   // T3 T4 (due 6 and 20 Nov; this runs after 20 Nov 2026)
        Assert.Equal(0.5, r.GetProperty("completionRate").GetDouble());
        Assert.Equal(144, r.GetProperty("medianCycleTimeHours").GetDouble()); // 48, 144, 264
    }

    [Fact]
    public async Task MyReportCountsOnlyMyTasks()
    {
        var (_, bob, _) = await SeedAsync();

        var r = await bob.Client.GetJson("/api/me/report?period=weekly&date=2026-11-02");

        Assert.Equal(1, r.GetProperty("created").GetInt32());
        Assert.Equal(2, r.GetProperty("completed").GetInt32());
        Assert.Equal(0, r.GetProperty("open").GetInt32());
        Assert.Equal(1.0, r.GetProperty("completionRate").GetDouble());
    }

    [Fact]
    public async Task ThePeriodFollowsTheCallersTimeZone()
    {
        var (ada, _, board) = await SeedAsync();
        await (await ada.Client.Patch("/api/me", new { timeZone = "Pacific/Auckland" })).Json(HttpStatusCode.OK);

        var r = await ada.Client.GetJson($"/api/boards/{board}/reports?period=weekly&date=2026-11-05");

        Assert.Equal("2026-11-01T11:00:00Z", r.GetProperty("from").GetString()); // Monday 00:00 in Auckland (UTC+13)
        Assert.Equal("Pacific/Auckland", r.GetProperty("timeZone").GetString());
    }

    [Fact]
    public async Task BadPeriodsAndOtherBoardsAreRefused()
    {
        var (ada, _, board) = await SeedAsync();
        var eve = await app.SignUpAsync();

        await (await ada.Client.GetAsync($"/api/boards/{board}/reports?period=daily")).AssertFieldError("period");
        await (await ada.Client.GetAsync($"/api/boards/{board}/reports?period=weekly&date=2026-13-01")).AssertFieldError("date");
        await (await eve.Client.GetAsync($"/api/boards/{board}/reports?period=weekly")).AssertProblem(HttpStatusCode.NotFound);
        var empty = await eve.Client.GetJson("/api/me/report?period=monthly");
        Assert.Equal(0, empty.GetProperty("created").GetInt32());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("medianCycleTimeHours").ValueKind);
    }
}

public sealed class ReportTestsOnSqlite(SqliteApplication app) : ReportTests(app), IClassFixture<SqliteApplication>;

public sealed class ReportTestsOnMariaDb(MariaDbApplication app) : ReportTests(app), IClassFixture<MariaDbApplication>;
