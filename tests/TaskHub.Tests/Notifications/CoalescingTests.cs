using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Notifications;

/// <summary>Change emails coalesced per burst (one person's changes on one board), sent to the real maildev.</summary>
file static class CoalescingSettings
{
    public const double WindowSeconds = 5; // (a quiet window: long enough that a loaded machine does not split a test's burst)

    public static Dictionary<string, string> For() => new()
    {
        ["Smtp:Host"] = "127.0.0.1",
        ["Smtp:Port"] = MailDev.SmtpPort.ToString(),
        ["Smtp:UseTls"] = "false",
        ["Email:PublicBaseUrl"] = "https://taskhub.example.com",
        ["Email:CoalesceWindowSeconds"] = WindowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static void Apply(TaskHubApplication app)
    {
        foreach (var (k, v) in For()) app.Settings[k] = v;
    }
}

public sealed class SqliteCoalescingApplication : SqliteApplication
{
    public SqliteCoalescingApplication() => CoalescingSettings.Apply(this);
}

public sealed class MariaDbCoalescingApplication : MariaDbApplication
{
    public MariaDbCoalescingApplication() => CoalescingSettings.Apply(this);
}

public abstract class CoalescingTests<TApp>(TApp app) where TApp : TaskHubApplication
{
    /// <summary>
    /// An ordered barrier for "no more emails will come": every change recorded for an email has been sealed into
    /// one, and every email the outbox holds has gone out. Only then are the counts final.
    /// </summary>
    /// <param name="before">Run before each look (a test that moves the clock makes what it queued at a moved "now" due).</param>
    internal static Task<bool> SettledAsync(TaskHubApplication app, Func<Task>? before = null, int seconds = 30) => LiveBoard.EventuallyAsync(async () =>
    {
        if (before is not null) await before();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        return !await db.Set<PendingChangeEmail>().AnyAsync(p => p.BatchKey == null)
               && !await db.Set<OutboxMessage>().AnyAsync(m => m.DeliveredAt == null && m.DeadLetteredAt == null);
    }, seconds);

    /// <summary>What keeps <see cref="SettledAsync"/> from holding (for a failure's message): open bursts and undelivered outbox rows.</summary>
    internal static async Task<string> UnsettledAsync(TaskHubApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var open = await db.Set<PendingChangeEmail>().CountAsync(p => p.BatchKey == null);
        var rows = await db.Set<OutboxMessage>().Where(m => m.DeliveredAt == null && m.DeadLetteredAt == null).OrderBy(m => m.Id)
            .Select(m => new { m.Key, m.Attempts, m.NextAttemptAt, m.ClaimedUntil, m.LastError }).ToListAsync();
        return $"{open} open burst record(s); {rows.Count} undelivered row(s) at {DateTime.UtcNow:HH:mm:ss.fff}: "
               + string.Join("; ", rows.Take(5).Select(r => $"{r.Key} (attempts {r.Attempts}, next {r.NextAttemptAt:MM-dd HH:mm:ss.fff}, claimed until {r.ClaimedUntil:MM-dd HH:mm:ss.fff}, {r.LastError?[..Math.Min(r.LastError.Length, 80)]})"));
    }

    private static async Task<List<MailDev.Mail>> MailsAsync(TestUser user, int atLeast)
    {
        List<MailDev.Mail> mails = [];
        await LiveBoard.EventuallyAsync(async () => (mails = await MailDev.ForAsync(user.Email)).Count >= atLeast, 30);
        return mails;
    }

    [Fact]
    public async Task ABurstOfElevenEditsIsOneEmailWithTheNetChangePerField()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Launch");
        await ada.AddMemberAsync(board, bob);
        var id = (await ada.CreateTaskAsync(board, new { title = "Write the post", assigneeId = bob.Id })).GetProperty("id").GetGuid();
        Assert.Contains("Ada created “Write the post”", Assert.Single(await MailsAsync(bob, 1)).Text);

        object[] edits =
        [
            new { status = "in_progress" }, new { status = "done" }, new { status = "todo" }, new { priority = "high" },
            new { status = "in_progress" }, new { title = "Write the launch post" }, new { priority = "urgent" },
            new { description = "draft" }, new { description = (string?)null }, new { status = "done" }, new { title = "Publish the launch post" },
        ];
        foreach (var edit in edits) await (await ada.Client.Patch($"/api/tasks/{id}", edit)).Json(HttpStatusCode.OK);

        await MailsAsync(bob, 2);
        Assert.True(await SettledAsync(app));
        var mails = await MailDev.ForAsync(bob.Email);
        Assert.Equal(2, mails.Count);
        var burst = Assert.Single(mails, m => !m.Text.Contains("created"));
        Assert.StartsWith("[Launch] Publish the launch post — ", burst.Subject);
        Assert.Contains("Ada changed “Publish the launch post”", burst.Text);
        Assert.Contains("Status: To do → Done", burst.Text);
        Assert.Contains("Priority: Medium → Urgent", burst.Text);
        Assert.Contains("Title: Write the post → Publish the launch post", burst.Text);
        Assert.DoesNotContain("In progress", burst.Text); // net change, not the hops
        Assert.DoesNotContain("Description", burst.Text); // edited and cleared again: nothing net
        Assert.Empty(await MailDev.ForAsync(ada.Email));
    }

    [Fact]
    public async Task ChangesByTwoPeopleReachTheRecipientAsTheirOwnEmails()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var cy = await app.SignUpAsync("Cy");
        var board = await ada.CreateBoardAsync("Ops");
        await ada.AddMemberAsync(board, bob);
        await ada.AddMemberAsync(board, cy);
        var id = (await ada.CreateTaskAsync(board, new { title = "Rotate keys", assigneeId = bob.Id })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { priority = "high" })).Json(HttpStatusCode.OK);
        await (await cy.Client.Patch($"/api/tasks/{id}", new { status = "in_progress" })).Json(HttpStatusCode.OK);
        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "Rotate the keys" })).Json(HttpStatusCode.OK);

        await MailsAsync(bob, 2);
        Assert.True(await SettledAsync(app));
        var mails = await MailDev.ForAsync(bob.Email);
        Assert.Equal(2, mails.Count);
        var fromAda = Assert.Single(mails, m => m.Text.StartsWith("Ada "));
        var fromCy = Assert.Single(mails, m => m.Text.StartsWith("Cy "));
        Assert.Contains("Ada created “Rotate the keys”", fromAda.Text);
        Assert.Contains("Priority: High", fromAda.Text);
        Assert.Contains("Cy changed “Rotate keys”", fromCy.Text);
        Assert.Contains("Status: To do → In progress", fromCy.Text);
    }

    [Fact]
    public async Task ABulkChangeOfFiftyTasksIsOneSummaryPerRecipient()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var cy = await app.SignUpAsync("Cy");
        var board = await ada.CreateBoardAsync("Import");
        await ada.AddMemberAsync(board, bob);
        await ada.AddMemberAsync(board, cy);
        for (var i = 1; i <= 50; i++)
            await ada.CreateTaskAsync(board, new { title = $"Imported {i}", assigneeId = bob.Id, supervisorId = cy.Id });

        await MailsAsync(bob, 1);
        await MailsAsync(cy, 1);
        Assert.True(await SettledAsync(app));
        foreach (var person in new[] { bob, cy })
        {
            var summary = Assert.Single(await MailDev.ForAsync(person.Email));
            Assert.Equal("[Import] Ada created 50 tasks", summary.Subject);
            for (var i = 1; i <= 50; i++) Assert.Contains($"Ada created “Imported {i}”", summary.Text);
        }
    }

    [Fact]
    public async Task TurningChangeEmailsOffInsideTheWindowSendsNothing()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await ada.CreateTaskAsync(board, new { title = "quiet", assigneeId = bob.Id });
        Assert.True(await LiveBoard.EventuallyAsync(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<PendingChangeEmail>().AnyAsync(p => p.RecipientId == bob.Id);
        }));
        await (await bob.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = false, digest = "off", reminderLeadHours = 24 })).Json(HttpStatusCode.OK);

        Assert.True(await SettledAsync(app));
        Assert.Empty(await MailDev.ForAsync(bob.Email));
    }
}

public sealed class CoalescingTestsOnSqlite(SqliteCoalescingApplication app)
    : CoalescingTests<SqliteCoalescingApplication>(app), IClassFixture<SqliteCoalescingApplication>;

public sealed class CoalescingTestsOnMariaDb(MariaDbCoalescingApplication app)
    : CoalescingTests<MariaDbCoalescingApplication>(app), IClassFixture<MariaDbCoalescingApplication>;

/// <summary>A replica that stops inside the window: the burst is in the database, so another replica sends it, once.</summary>
public sealed class CoalescingAcrossReplicasTests
{
    private sealed class Replica(string database, Dictionary<string, string> settings) : MariaDbApplication(database, settings);

    [Fact]
    public async Task AReplicaStoppedInsideTheWindowStillGetsTheEmailSentOnce()
    {
        var database = MariaDbApplication.NewDatabaseName();
        await MariaDbApplication.CreateDatabaseAsync(database);
        try
        {
            // A's window is long enough that A cannot close the burst before it is gone: with a 4 s window on both, a
            // stop that took longer than the window on a loaded machine (one CI run) let A seal the burst and lease its
            // outbox row, which B could take only after the 60 s lease. B's own window is 4 s.
            var settings = CoalescingSettings.For();
            settings["Email:CoalesceWindowSeconds"] = "60";
            var a = new Replica(database, settings);
            await a.Services.MigrateTaskHubDatabaseAsync();
            var ada = await a.SignUpAsync("Ada");
            var bob = await a.SignUpAsync("Bob");
            var board = await ada.CreateBoardAsync("Handover");
            await ada.AddMemberAsync(board, bob);
            var id = (await ada.CreateTaskAsync(board, new { title = "Ship it", assigneeId = bob.Id })).GetProperty("id").GetGuid();
            await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "done" })).Json(HttpStatusCode.OK);
            // Both changes are recorded for Bob's burst, which is not due yet; then replica A goes away.
            Assert.True(await LiveBoard.EventuallyAsync(async () =>
            {
                await using var scope = a.Services.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<PendingChangeEmail>()
                    .CountAsync(p => p.RecipientId == bob.Id && p.BatchKey == null) == 2;
            }));
            await a.DisposeAsync();
            Assert.Empty(await MailDev.ForAsync(bob.Email));

            var settingsB = CoalescingSettings.For();
            settingsB["Email:CoalesceWindowSeconds"] = "4";
            await using var b = new Replica(database, settingsB);
            _ = b.Server; // start it: its flusher finds the burst in the database
            var mails = await MailsOnceSettledAsync(b, bob.Email);
            var mail = Assert.Single(mails);
            Assert.Contains("Ada created “Ship it”", mail.Text);
            Assert.Contains("Status: Done", mail.Text);
        }
        finally
        {
            await MariaDbApplication.DropDatabaseAsync(database);
        }
    }

    private static async Task<List<MailDev.Mail>> MailsOnceSettledAsync(TaskHubApplication app, string email)
    {
        await LiveBoard.EventuallyAsync(async () => (await MailDev.ForAsync(email)).Count > 0, 30);
        Assert.True(await CoalescingTests<MariaDbCoalescingApplication>.SettledAsync(app));
        return await MailDev.ForAsync(email);
    }
}
