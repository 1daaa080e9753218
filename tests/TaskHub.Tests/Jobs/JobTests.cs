using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Activity;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Jobs;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Jobs;

/// <summary>
/// A clock that runs with real time plus an offset a test sets and resets: jobs see any moment we like,
/// while access tokens (checked against the real clock) stay valid once the offset is back to zero.
/// </summary>
public sealed class ShiftableClock : TimeProvider
{
    public TimeSpan Offset { get; set; }
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;

    /// <summary>Moves "now" to <paramref name="moment"/> (UTC) until the returned scope ends.</summary>
    public IDisposable At(DateTime moment)
    {
        Offset = DateTime.SpecifyKind(moment, DateTimeKind.Utc) - base.GetUtcNow().UtcDateTime;
        return new Reset(this);
    }

    private sealed class Reset(ShiftableClock clock) : IDisposable
    {
        public void Dispose() => clock.Offset = TimeSpan.Zero;
    }
}

public interface IJobsFixture
{
    ShiftableClock Clock { get; }
    string AdminEmail { get; }

    /// <summary>What the server logged (for a failure's message).</summary>
    System.Collections.Concurrent.ConcurrentQueue<string> Log { get; }
}

file static class JobsSettings
{
    public static void Apply(TaskHubApplication app, string adminEmail)
    {
        app.Settings["Jobs:ServerEnabled"] = "false"; // the tests run the jobs themselves
        app.Settings["Jobs:AdminEmails:0"] = adminEmail;
    }
}

public sealed class SqliteJobsApplication : SqliteApplication, IJobsFixture
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();
    public ShiftableClock Clock { get; } = new();
    public string AdminEmail { get; } = $"ops-{Guid.NewGuid():N}@example.com";
    public SqliteJobsApplication() => JobsSettings.Apply(this, AdminEmail);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
        Hardening.LogCapturingApplication.CaptureInto(builder, Log);
    }
}

/// <summary>MariaDB with Redis: Hangfire's storage and the backplane are the scaled-out ones.</summary>
public sealed class MariaDbJobsApplication : MariaDbApplication, IJobsFixture
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();
    public ShiftableClock Clock { get; } = new();
    public string AdminEmail { get; } = $"ops-{Guid.NewGuid():N}@example.com";

    public MariaDbJobsApplication()
    {
        JobsSettings.Apply(this, AdminEmail);
        Settings["ConnectionStrings:Redis"] = RedisConnectionString;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
        Hardening.LogCapturingApplication.CaptureInto(builder, Log);
    }
}

public abstract class JobTests<TApp>(TApp app) where TApp : TaskHubApplication, IJobsFixture
{
    private async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        await using var scope = app.Services.CreateAsyncScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    private Task Reminders() => RunAsync<DeadlineReminderJob>(j => j.RunAsync(default));
    private Task Escalation() => RunAsync<PriorityEscalationJob>(j => j.RunAsync(default));
    private Task Digests() => RunAsync<DigestJob>(j => j.RunAsync(default));
    private Task Reports() => RunAsync<ProgressReportJob>(j => j.RunAsync(default));

    private async Task<List<EmailEnvelope>> EmailsAsync(string keyPrefix)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<OutboxMessage>().AsNoTracking()
            .Where(m => m.Kind == OutboxKinds.Email && m.Key.StartsWith("email:" + keyPrefix)).ToListAsync();
        return rows.Select(m => JsonSerializer.Deserialize<EmailEnvelope>(m.Payload, TaskHubJson.Options)!).ToList();
    }

    private static DateTime Now => DateTime.UtcNow;

    private async Task<(TestUser Ada, TestUser Bob, Guid Board)> BoardWithAssigneeAsync(int leadHours, string timeZone = "UTC")
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        await (await bob.Client.Patch("/api/me", new { timeZone })).Json(HttpStatusCode.OK);
        await (await bob.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = true, digest = "off", reminderLeadHours = leadHours })).Json(HttpStatusCode.OK);
        var board = await ada.CreateBoardAsync("Launch");
        await ada.AddMemberAsync(board, bob);
        return (ada, bob, board);
    }

    [Fact]
    public async Task AReminderGoesOutAtTheAssigneesLeadTimeOnceEvenWhenTwoRunsRace()
    {
        var (ada, bob, board) = await BoardWithAssigneeAsync(leadHours: 6, timeZone: "Europe/Berlin");
        var due = Now.AddHours(8);
        var id = (await ada.CreateTaskAsync(board, new { title = "Ship it", dueAt = due, assigneeId = bob.Id })).GetProperty("id").GetGuid();

        await Reminders();
        Assert.Empty(await EmailsAsync($"reminder:{id:N}"));

        using (app.Clock.At(due.AddHours(-6).AddMinutes(1)))
        {
            await Task.WhenAll(Reminders(), Reminders(), Reminders());
            await Reminders();
        }
        var reminder = Assert.Single(await EmailsAsync($"reminder:{id:N}"));
        Assert.Equal(bob.Email, reminder.ToEmail);
        Assert.Contains("(Europe/Berlin)", reminder.Text);
        Assert.Contains("is due", reminder.Text);
        Assert.Contains("[Launch] Ship it", reminder.Subject);

        using (app.Clock.At(due.AddMinutes(1)))
        {
            await Task.WhenAll(Reminders(), Reminders());
        }
        Assert.Single(await EmailsAsync($"overdue:{id:N}"));
        Assert.Single(await EmailsAsync($"reminder:{id:N}"));
    }

    [Fact]
    public async Task AMovedDeadlineGetsAFreshReminder()
    {
        var (ada, bob, board) = await BoardWithAssigneeAsync(leadHours: 6);
        var id = (await ada.CreateTaskAsync(board, new { title = "Moving target", dueAt = Now.AddHours(3), assigneeId = bob.Id })).GetProperty("id").GetGuid();
        await Reminders();
        Assert.Single(await EmailsAsync($"reminder:{id:N}"));

        await (await ada.Client.Patch($"/api/tasks/{id}", new { dueAt = Now.AddHours(5) })).Json(HttpStatusCode.OK);
        await Reminders();
        await Reminders();

        Assert.Equal(2, (await EmailsAsync($"reminder:{id:N}")).Select(e => e.Key).Distinct().Count());
    }

    [Fact]
    public async Task AZeroLeadTimeMeansOnlyTheOverdueNotice()
    {
        var (ada, bob, board) = await BoardWithAssigneeAsync(leadHours: 0);
        var due = Now.AddHours(1);
        var id = (await ada.CreateTaskAsync(board, new { title = "No nagging", dueAt = due, assigneeId = bob.Id })).GetProperty("id").GetGuid();
        await Reminders();
        Assert.Empty(await EmailsAsync($"reminder:{id:N}"));
        using (app.Clock.At(due.AddMinutes(5))) await Reminders();
        Assert.Single(await EmailsAsync($"overdue:{id:N}"));
        Assert.Empty(await EmailsAsync($"reminder:{id:N}"));
    }

    [Fact]
    public async Task EscalationRaisesPriorityByTheRuleAsAnOrdinaryLiveChangeAndNeverLowersIt()
    {
        var (ada, bob, board) = await BoardWithAssigneeAsync(leadHours: 6);
        async Task<Guid> Task(string title, double dueInHours, string priority, string status = "todo") =>
            (await ada.CreateTaskAsync(board, new { title, dueAt = Now.AddHours(dueInHours), priority, status, assigneeId = bob.Id })).GetProperty("id").GetGuid();
        var soon = await Task("due in 30 h", 30, "medium");
        var later = await Task("due in 100 h", 100, "low");
        var late = await Task("overdue", -1, "medium");
        var alreadyUrgent = await Task("urgent already", 10, "urgent");
        var done = await Task("done", 10, "low", "done");
        var alreadyHigh = await Task("high already", 10, "high");
        var seqBefore = await ada.LastSeqAsync(board);
        await using var live = await LiveBoard.ConnectAsync(app, bob);
        await live.JoinAsync(board, seqBefore);

        await Escalation();

        async Task<string> Priority(Guid id) => (await ada.Client.GetJson($"/api/tasks/{id}")).GetProperty("priority").GetString()!;
        Assert.Equal("high", await Priority(soon));
        Assert.Equal("low", await Priority(later));
        Assert.Equal("urgent", await Priority(late));
        Assert.Equal("urgent", await Priority(alreadyUrgent));
        Assert.Equal("low", await Priority(done));
        Assert.Equal("high", await Priority(alreadyHigh));

        var events = (await ada.Client.GetJson($"/api/boards/{board}/events?after={seqBefore}")).EnumerateArray().ToList();
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("actorId").ValueKind));
        Assert.Contains(events, e => e.GetProperty("changes")[0].GetProperty("to").GetString() == "urgent" && e.GetProperty("changes")[0].GetProperty("from").GetString() == "medium");
        Assert.True(await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Count == 2));

        await Escalation();
        Assert.Equal(seqBefore + 2, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task AnEscalatedTaskSaysWhenTheSystemRaisedItUntilAPersonSetsThePriority()
    {
        var (ada, bob, board) = await BoardWithAssigneeAsync(leadHours: 6);
        var soon = (await ada.CreateTaskAsync(board, new { title = "due soon", dueAt = Now.AddHours(30), priority = "medium", assigneeId = bob.Id })).GetProperty("id").GetGuid();
        var late = (await ada.CreateTaskAsync(board, new { title = "overdue", dueAt = Now.AddHours(-1), priority = "low" })).GetProperty("id").GetGuid();
        var calm = (await ada.CreateTaskAsync(board, new { title = "later", dueAt = Now.AddHours(100), priority = "low" })).GetProperty("id").GetGuid();
        async Task<JsonElement> Get(Guid id) => await ada.Client.GetJson($"/api/tasks/{id}");
        Assert.Equal(JsonValueKind.Null, (await Get(soon)).GetProperty("escalatedAt").ValueKind);

        var before = DateTime.UtcNow.AddSeconds(-1);
        await Escalation();
        foreach (var id in new[] { soon, late })
        {
            var at = (await Get(id)).GetProperty("escalatedAt").GetDateTime();
            Assert.InRange(at.ToUniversalTime(), before, DateTime.UtcNow.AddSeconds(1));
        }
        Assert.Equal(JsonValueKind.Null, (await Get(calm)).GetProperty("escalatedAt").ValueKind);
        // The board list and the event carry it too (what the card reads).
        var listed = (await ada.Client.GetJson($"/api/boards/{board}/tasks")).EnumerateArray().Single(t => t.GetProperty("id").GetGuid() == soon);
        Assert.NotEqual(JsonValueKind.Null, listed.GetProperty("escalatedAt").ValueKind);
        var escalationEvent = (await ada.Client.GetJson($"/api/boards/{board}/events")).EnumerateArray().Last(e => e.GetProperty("task").GetProperty("id").GetGuid() == soon);
        Assert.NotEqual(JsonValueKind.Null, escalationEvent.GetProperty("task").GetProperty("escalatedAt").ValueKind);

        // Another edit keeps it; a person setting the priority (even back up) takes it off.
        await (await ada.Client.Patch($"/api/tasks/{soon}", new { title = "due soon!" })).Json(HttpStatusCode.OK);
        Assert.NotEqual(JsonValueKind.Null, (await Get(soon)).GetProperty("escalatedAt").ValueKind);
        var changed = await (await bob.Client.Patch($"/api/tasks/{soon}", new { priority = "urgent" })).Json(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, changed.GetProperty("escalatedAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, (await Get(soon)).GetProperty("escalatedAt").ValueKind);
        await (await ada.Client.Patch($"/api/tasks/{late}", new { priority = "low" })).Json(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, (await Get(late)).GetProperty("escalatedAt").ValueKind);
    }

    [Fact]
    public async Task ADigestListsWhatHappenedAndNobodyGetsOneWhenNothingDid()
    {
        var ada = await app.SignUpAsync("Ada");
        var cy = await app.SignUpAsync("Cy");
        var quiet = await app.SignUpAsync("Quiet");
        foreach (var (u, tz) in new[] { (cy, "America/New_York"), (quiet, "America/New_York") })
        {
            await (await u.Client.Patch("/api/me", new { timeZone = tz })).Json(HttpStatusCode.OK);
            await (await u.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = true, digest = "daily", reminderLeadHours = 24 })).Json(HttpStatusCode.OK);
        }
        var board = await ada.CreateBoardAsync("Website");
        await ada.AddMemberAsync(board, cy);
        var id = (await ada.CreateTaskAsync(board, new { title = "Fix the footer", assigneeId = cy.Id })).GetProperty("id").GetGuid();

        // The next 08:20 in New York, and a change by Ada during the local day before it.
        var ny = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var localNow = TimeZoneInfo.ConvertTimeFromUtc(Now, ny);
        var sendLocal = localNow.Date.AddDays(localNow.Hour >= 8 ? 1 : 0).AddHours(8).AddMinutes(20);
        var sendUtc = TimeZoneInfo.ConvertTimeToUtc(sendLocal, ny);
        var yesterdayNoonUtc = TimeZoneInfo.ConvertTimeToUtc(sendLocal.Date.AddDays(-1).AddHours(12), ny);
        // Ada's change, made through the board's one write path with the clock at yesterday noon (local).
        await using (var scope = app.Services.CreateAsyncScope())
        using (app.Clock.At(yesterdayNoonUtc))
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            await scope.ServiceProvider.GetRequiredService<BoardStream>().WriteAsync(board, ada.Id, async write =>
            {
                var task = await db.Tasks.SingleAsync(t => t.Id == id);
                var before = TaskChanges.Snapshot(task);
                task.Status = TaskState.InProgress;
                return write.Record(BoardEventTypes.TaskUpdated, task, TaskChanges.Diff(before, task));
            }, CancellationToken.None);
        }

        using (app.Clock.At(sendUtc))
        {
            await Task.WhenAll(Digests(), Digests());
        }
        using (app.Clock.At(sendUtc.AddHours(2))) await Digests(); // 10:20 local: not the sending hour

        var digest = Assert.Single(await EmailsAsync($"digest:{cy.Id:N}"));
        Assert.StartsWith("Your daily TaskHub digest — ", digest.Subject);
        Assert.Contains("Fix the footer: status: todo → in_progress", digest.Text);
        Assert.Contains("Activity on your boards", digest.Text);
        Assert.Contains("Website: ", digest.Text);
        Assert.Empty(await EmailsAsync($"digest:{quiet.Id:N}"));
    }

    [Fact]
    public void TheDigestScheduleFollowsLocalTimeAcrossDaylightSaving()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        DateTime U(string s) => DateTime.Parse(s, null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

        // Summer time starts on Sunday 28 March 2027: 08:00 local is 07:00 UTC the day before, 06:00 UTC after.
        Assert.NotNull(DigestSchedule.DuePeriod(DigestCadence.Daily, berlin, U("2027-03-27T07:30:00Z"), 8));
        Assert.Null(DigestSchedule.DuePeriod(DigestCadence.Daily, berlin, U("2027-03-28T07:30:00Z"), 8));
        var sunday = DigestSchedule.DuePeriod(DigestCadence.Daily, berlin, U("2027-03-28T06:30:00Z"), 8)!.Value;
        Assert.Equal(U("2027-03-26T23:00:00Z"), sunday.FromUtc);
        Assert.Equal(U("2027-03-27T23:00:00Z"), sunday.ToUtc);

        // The week that contains the change is 167 hours long, and the weekly digest covers exactly it.
        var monday = DigestSchedule.DuePeriod(DigestCadence.Weekly, berlin, U("2027-03-29T06:10:00Z"), 8)!.Value;
        Assert.Equal(U("2027-03-21T23:00:00Z"), monday.FromUtc);
        Assert.Equal(U("2027-03-28T22:00:00Z"), monday.ToUtc);
        Assert.Null(DigestSchedule.DuePeriod(DigestCadence.Weekly, berlin, U("2027-03-30T06:10:00Z"), 8));

        var april = DigestSchedule.DuePeriod(DigestCadence.Monthly, berlin, U("2027-04-01T06:05:00Z"), 8)!.Value;
        Assert.Equal(U("2027-02-28T23:00:00Z"), april.FromUtc);
        Assert.Equal(U("2027-03-31T22:00:00Z"), april.ToUtc);
        Assert.Null(DigestSchedule.DuePeriod(DigestCadence.Off, berlin, U("2027-04-01T06:05:00Z"), 8));
    }

    [Fact]
    public async Task AWeeklyReportEmailGoesToOwnersAndAdminsOnMondayMorning()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var cy = await app.SignUpAsync("Cy");
        var board = await ada.CreateBoardAsync("Reported");
        await ada.AddMemberAsync(board, bob, "admin");
        await ada.AddMemberAsync(board, cy, "member");
        await ada.CreateTaskAsync(board, new { title = "something", status = "done", assigneeId = cy.Id });

        var today = DateTime.UtcNow.Date;
        var daysToMonday = ((int)DayOfWeek.Monday - (int)today.DayOfWeek + 7) % 7;
        var monday = today.AddDays(daysToMonday == 0 ? 7 : daysToMonday);
        using (app.Clock.At(monday.AddHours(8).AddMinutes(10)))
        {
            await Task.WhenAll(Reports(), Reports());
        }

        Assert.Single(await EmailsAsync($"report:{board:N}:{ada.Id:N}:weekly"));
        var bobs = Assert.Single(await EmailsAsync($"report:{board:N}:{bob.Id:N}:weekly"));
        Assert.Contains("Weekly report for Reported", bobs.Subject);
        Assert.Contains("Created:", bobs.Text);
        Assert.Empty(await EmailsAsync($"report:{board:N}:{cy.Id:N}"));
    }

    private string ServerErrors() => string.Join("\n", app.Log.Where(l => l.Contains(" Error: ") || l.Contains(" Critical: ")));

    [Fact]
    public async Task TheJobsDashboardIsForAdministratorsOnly()
    {
        var member = await app.SignUpAsync();
        var admin = await app.SignUpAsync("Ops", app.AdminEmail);

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Client.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.CreateClient().GetAsync($"/hangfire?access_token={member.AccessToken}")).StatusCode);
        var page = await admin.Client.GetAsync("/hangfire");
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{page.StatusCode}: {ServerErrors()}");
        Assert.Contains("TaskHub jobs", await page.Content.ReadAsStringAsync());
        var viaQuery = await app.CreateClient().GetAsync($"/hangfire/recurring?access_token={admin.AccessToken}");
        Assert.True(viaQuery.StatusCode == HttpStatusCode.OK, $"{viaQuery.StatusCode}: {ServerErrors()}");
        Assert.Contains(DeadlineReminderJob.Id, await viaQuery.Content.ReadAsStringAsync());
    }
}

public sealed class JobTestsOnSqlite(SqliteJobsApplication app) : JobTests<SqliteJobsApplication>(app), IClassFixture<SqliteJobsApplication>;

public sealed class JobTestsOnMariaDbAndRedis(MariaDbJobsApplication app) : JobTests<MariaDbJobsApplication>(app), IClassFixture<MariaDbJobsApplication>;
