using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Reports;

/// <summary>
/// GET /api/boards/{id}/reports/trends over tasks and status events whose times are written directly, anchored with
/// <c>date</c> in the past (so "now" is the end of the range and every number is exact).
/// The 8 weeks of 2026-11-05 (UTC): W0 = 14 Sep … W7 = 2 Nov, ending 9 Nov.
/// </summary>
public abstract class TrendReportTests(TaskHubApplication app)
{
    private static DateTime At(string iso) => DateTime.Parse(iso, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

    private async Task<(TestUser Ada, TestUser Bob, Guid Board)> SeedAsync()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Trends");
        await ada.AddMemberAsync(board, bob);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        TaskItem T(string title, string created, string? completed, string? due, Guid? assignee) => new()
        {
            BoardId = board, Title = title, CreatedById = ada.Id, AssigneeId = assignee,
            CreatedAt = At(created), CompletedAt = completed is null ? null : At(completed),
            Status = completed is null ? TaskState.Todo : TaskState.Done, DueAt = due is null ? null : At(due),
        };
        var a = T("A", "2026-09-01T00:00:00Z", "2026-09-16T00:00:00Z", null, bob.Id);  // started 15 Sep 12:00 → 12 h
        var b = T("B", "2026-09-15T00:00:00Z", "2026-09-23T00:00:00Z", null, bob.Id);  // never in progress → 192 h from creation
        var c = T("C", "2026-10-06T00:00:00Z", "2026-10-09T00:00:00Z", null, null);    // in progress 7 Oct, back, again 8 Oct → 48 h (first)
        var d = T("D", "2026-10-20T00:00:00Z", "2026-11-03T00:00:00Z", null, ada.Id);  // in progress 29 Oct → 120 h (a title "in_progress" on 21 Oct is not a status)
        var e = T("E", "2026-08-01T00:00:00Z", "2026-11-04T00:00:00Z", null, ada.Id);  // 95 days from creation → 2280 h
        var f = T("F", "2026-10-27T00:00:00Z", null, "2026-11-01T00:00:00Z", ada.Id);  // overdue
        var g = T("G", "2026-11-03T00:00:00Z", null, "2026-11-20T00:00:00Z", null);    // due after the range
        var h = T("H", "2026-09-20T00:00:00Z", null, "2026-10-01T00:00:00Z", null);    // overdue, unassigned
        var i = T("I", "2026-09-02T00:00:00Z", "2026-11-12T00:00:00Z", "2026-11-01T00:00:00Z", ada.Id); // done after the range: overdue in it
        var j = T("J", "2026-11-10T00:00:00Z", null, "2026-11-01T00:00:00Z", bob.Id);  // made after the range: nowhere
        var k = T("K", "2026-08-01T00:00:00Z", "2026-08-15T00:00:00Z", null, bob.Id);  // done before the range
        var m = T("M", "2026-10-12T00:00:00Z", "2026-10-12T06:00:00Z", null, bob.Id);  // created in progress → 6 h
        var n = T("N", "2026-09-25T00:00:00Z", null, "2026-10-30T00:00:00Z", bob.Id);  // overdue
        db.Tasks.AddRange(a, b, c, d, e, f, g, h, i, j, k, m, n);
        var seq = 0;
        BoardEvent Ev(TaskItem t, string at, string field, string? from, string to, string type = BoardEventTypes.TaskUpdated) => new()
        {
            BoardId = board, Seq = ++seq, Type = type, TaskId = t.Id, ActorId = ada.Id, TaskJson = "{}", At = At(at),
            ChangesJson = JsonSerializer.Serialize(new[] { new FieldChange(field, from, to) }, TaskHubJson.Options),
        };
        db.BoardEvents.AddRange(
            Ev(a, "2026-09-15T12:00:00Z", "status", "todo", "in_progress"),
            Ev(c, "2026-10-07T00:00:00Z", "status", "todo", "in_progress"),
            Ev(c, "2026-10-07T12:00:00Z", "status", "in_progress", "todo"),
            Ev(c, "2026-10-08T00:00:00Z", "status", "todo", "in_progress"),
            Ev(d, "2026-10-21T00:00:00Z", "title", "D", "in_progress"),
            Ev(d, "2026-10-29T00:00:00Z", "status", "todo", "in_progress"),
            Ev(m, "2026-10-12T00:00:00Z", "status", null, "in_progress", BoardEventTypes.TaskCreated),
            Ev(m, "2026-10-12T06:00:00Z", "status", "in_progress", "done"));
        await db.SaveChangesAsync();
        return (ada, bob, board);
    }

    private static List<int> Column(JsonElement r, string field) =>
        r.GetProperty("periods").EnumerateArray().Select(p => p.GetProperty(field).GetInt32()).ToList();

    private static List<string> Overdue(JsonElement r) =>
        r.GetProperty("overdueByAssignee").EnumerateArray()
            .Select(o => $"{o.GetProperty("displayName").GetString()}:{o.GetProperty("overdue").GetInt32()}:{(o.GetProperty("userId").ValueKind == JsonValueKind.Null ? "null" : "id")}")
            .ToList();

    private static List<string> Buckets(JsonElement r) =>
        r.GetProperty("cycleTime").GetProperty("buckets").EnumerateArray()
            .Select(b => $"{b.GetProperty("label").GetString()}={b.GetProperty("count").GetInt32()}").ToList();

    [Fact]
    public async Task EightWeeksMatchTheHandCountedNumbers()
    {
        var (ada, _, board) = await SeedAsync();

        var r = await ada.Client.GetJson($"/api/boards/{board}/reports/trends?range=8w&date=2026-11-05");

        Assert.Equal("8w", r.GetProperty("range").GetString());
        Assert.Equal("week", r.GetProperty("unit").GetString());
        Assert.Equal("2026-09-14T00:00:00Z", r.GetProperty("from").GetString());
        Assert.Equal("2026-11-09T00:00:00Z", r.GetProperty("to").GetString());
        Assert.Equal("2026-11-09T00:00:00Z", r.GetProperty("asOf").GetString());
        Assert.Equal(8, r.GetProperty("periods").GetArrayLength());
        Assert.Equal("2026-11-02T00:00:00Z", r.GetProperty("periods")[7].GetProperty("from").GetString());
        Assert.Equal([2, 1, 0, 1, 1, 1, 1, 1], Column(r, "created"));    // B H | N | | C | M | D | F | G
        Assert.Equal([1, 1, 0, 1, 1, 0, 0, 2], Column(r, "completed"));  // A | B | | C | M | | | D E
        Assert.Equal([6, 7, 7, 8, 9, 10, 11, 12], Column(r, "scope"));   // A E I K before the range, then the created
        Assert.Equal([2, 3, 3, 4, 5, 5, 5, 7], Column(r, "done"));       // K before the range, then the completed

        var ct = r.GetProperty("cycleTime");
        Assert.Equal("firstInProgress", ct.GetProperty("basis").GetString());
        Assert.Equal(6, ct.GetProperty("count").GetInt32());              // 6 12 48 120 192 2280 hours
        Assert.Equal(84, ct.GetProperty("medianHours").GetDouble());      // (48 + 120) / 2
        Assert.Equal(2280, ct.GetProperty("p85Hours").GetDouble());       // nearest rank: the 6th of 6
        Assert.Equal(["<1d=2", "1–3d=1", "3–7d=1", "1–2w=1", ">2w=1"], Buckets(r));

        Assert.Equal(["Ada:2:id", "Bob:1:id", "Unassigned:1:null"], Overdue(r)); // F I | N | H
    }

    [Fact]
    public async Task SixMonthsMatchTheHandCountedNumbers()
    {
        var (ada, _, board) = await SeedAsync();

        var r = await ada.Client.GetJson($"/api/boards/{board}/reports/trends?range=6m&date=2026-10-15");

        Assert.Equal("month", r.GetProperty("unit").GetString());
        Assert.Equal("2026-05-01T00:00:00Z", r.GetProperty("from").GetString());
        Assert.Equal("2026-11-01T00:00:00Z", r.GetProperty("to").GetString());
        Assert.Equal([0, 0, 0, 2, 5, 4], Column(r, "created"));    // E K | A I B H N | C M D F
        Assert.Equal([0, 0, 0, 1, 2, 2], Column(r, "completed"));  // K | A B | C M
        Assert.Equal([0, 0, 0, 2, 7, 11], Column(r, "scope"));
        Assert.Equal([0, 0, 0, 1, 3, 5], Column(r, "done"));
        var ct = r.GetProperty("cycleTime");
        Assert.Equal(48, ct.GetProperty("medianHours").GetDouble()); // 6 12 48 192 336
        Assert.Equal(336, ct.GetProperty("p85Hours").GetDouble());
        Assert.Equal(["<1d=2", "1–3d=1", "3–7d=0", "1–2w=1", ">2w=1"], Buckets(r)); // 336 h is two weeks: >2w
        // As of 1 Nov: F and I are due exactly then (not yet overdue).
        Assert.Equal(["Bob:1:id", "Unassigned:1:null"], Overdue(r));
    }

    [Fact]
    public async Task TheDefaultIsEightWeeksEndingThisWeek()
    {
        var (ada, _, board) = await SeedAsync();

        var r = await ada.Client.GetJson($"/api/boards/{board}/reports/trends");

        Assert.Equal("8w", r.GetProperty("range").GetString());
        Assert.Equal(8, r.GetProperty("periods").GetArrayLength());
        var now = DateTime.UtcNow;
        var last = r.GetProperty("periods")[7];
        Assert.InRange(now, last.GetProperty("from").GetDateTime().AddMinutes(-1), last.GetProperty("to").GetDateTime());
        Assert.True(r.GetProperty("asOf").GetDateTime() < r.GetProperty("to").GetDateTime());
    }

    [Fact]
    public async Task BadRangesAndOtherBoardsAreRefused()
    {
        var (ada, _, board) = await SeedAsync();
        var eve = await app.SignUpAsync();

        await (await ada.Client.GetAsync($"/api/boards/{board}/reports/trends?range=3w")).AssertFieldError("range");
        await (await ada.Client.GetAsync($"/api/boards/{board}/reports/trends?range=8w&date=2026-02-30")).AssertFieldError("date");
        await (await eve.Client.GetAsync($"/api/boards/{board}/reports/trends?range=8w")).AssertProblem(HttpStatusCode.NotFound);
        await (await ada.Client.GetAsync($"/api/boards/{Guid.NewGuid()}/reports/trends")).AssertProblem(HttpStatusCode.NotFound);
    }
}

public sealed class TrendReportTestsOnSqlite(SqliteApplication app) : TrendReportTests(app), IClassFixture<SqliteApplication>;

public sealed class TrendReportTestsOnMariaDb(MariaDbApplication app) : TrendReportTests(app), IClassFixture<MariaDbApplication>;
