using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Notifications;

/// <summary>SMTP to the real maildev, through a gate the tests can close to play a mail-server outage.</summary>
public interface IMailFixture
{
    SmtpGate Gate { get; }
}

file static class MailSettings
{
    public static void Apply(TaskHubApplication app, SmtpGate gate)
    {
        app.Settings["Smtp:Host"] = "127.0.0.1";
        app.Settings["Smtp:Port"] = gate.Port.ToString();
        app.Settings["Smtp:UseTls"] = "false";
        app.Settings["Outbox:FirstRetrySeconds"] = "0.2";
        app.Settings["Outbox:MaxRetrySeconds"] = "0.5";
        app.Settings["Email:PublicBaseUrl"] = "https://taskhub.example.com";
    }
}

public sealed class SqliteMailApplication : SqliteApplication, IMailFixture
{
    public SmtpGate Gate { get; } = new();
    public SqliteMailApplication() => MailSettings.Apply(this, Gate);
}

public sealed class MariaDbMailApplication : MariaDbApplication, IMailFixture
{
    public SmtpGate Gate { get; } = new();
    public MariaDbMailApplication() => MailSettings.Apply(this, Gate);
}

public abstract class EmailTests<TApp>(TApp app) where TApp : TaskHubApplication, IMailFixture
{
    private async Task<List<OutboxMessage>> OutboxAsync()
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<OutboxMessage>().AsNoTracking().ToListAsync();
    }

    private async Task<bool> AllDeliveredAsync() => (await OutboxAsync()).All(m => m.DeliveredAt != null);

    /// <summary>Waits (bounded) for every outbox row to be delivered; when one is not, fails naming it.</summary>
    private async Task AssertAllDeliveredAsync()
    {
        if (await LiveBoard.EventuallyAsync(AllDeliveredAsync)) return;
        var stuck = (await OutboxAsync()).Where(m => m.DeliveredAt == null)
            .Select(m => $"{m.Kind} {m.Key}: attempts {m.Attempts}, dead {m.DeadLetteredAt:o}, next {m.NextAttemptAt:o}, claimed until {m.ClaimedUntil:o}, error {m.LastError}");
        Assert.Fail("Not delivered:\n" + string.Join("\n", stuck));
    }

    private static async Task<List<MailDev.Mail>> MailsAsync(TestUser user, int atLeast)
    {
        List<MailDev.Mail> mails = [];
        await LiveBoard.EventuallyAsync(async () => (mails = await MailDev.ForAsync(user.Email)).Count >= atLeast, 20);
        return mails;
    }

    [Fact]
    public async Task AChangeIsEmailedToThePeopleInvolvedButNeverToWhoMadeIt()
    {
        app.Gate.Up = true;
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var cy = await app.SignUpAsync("Cy");
        await (await cy.Client.Patch("/api/me", new { timeZone = "Europe/Berlin" })).Json(HttpStatusCode.OK);
        var board = await ada.CreateBoardAsync("Launch");
        await ada.AddMemberAsync(board, bob);
        await ada.AddMemberAsync(board, cy);
        var id = (await ada.CreateTaskAsync(board, new { title = "Write the post", assigneeId = bob.Id, supervisorId = cy.Id })).GetProperty("id").GetGuid();

        await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "in_progress", dueAt = "2026-12-01T09:00:00Z" })).Json(HttpStatusCode.OK);

        var bobs = await MailsAsync(bob, 2);
        var cys = await MailsAsync(cy, 2);
        await AssertAllDeliveredAsync();
        Assert.Equal(2, (await MailDev.ForAsync(bob.Email)).Count);
        Assert.Equal(2, (await MailDev.ForAsync(cy.Email)).Count);
        Assert.Empty(await MailDev.ForAsync(ada.Email));

        var update = Assert.Single(bobs, m => m.Subject.Contains("Status: To do → In progress"));
        Assert.StartsWith("[Launch] Write the post", update.Subject);
        Assert.Contains("Ada changed “Write the post”", update.Text);
        Assert.Contains($"https://taskhub.example.com/boards/{board}?task={id}", update.Text);
        Assert.Contains("https://taskhub.example.com/settings", update.Text);
        Assert.Contains("<b>In progress</b>", update.Html);
        Assert.Contains("list-unsubscribe", update.Headers.Keys);
        // Times in each recipient's own zone.
        Assert.Contains("Deadline: (none) → Tue 1 Dec 2026, 09:00 (UTC)", update.Text);
        Assert.Contains("Deadline: (none) → Tue 1 Dec 2026, 10:00 (Europe/Berlin)", Assert.Single(cys, m => m.Subject.Contains("Status")).Text);
    }

    [Fact]
    public async Task SomeoneWhoTurnedChangeEmailsOffGetsNone()
    {
        app.Gate.Up = true;
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        await (await bob.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = false, digest = "off", reminderLeadHours = 24 })).Json(HttpStatusCode.OK);
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await ada.CreateTaskAsync(board, new { title = "quiet", assigneeId = bob.Id });

        await AssertAllDeliveredAsync();
        Assert.Empty(await MailDev.ForAsync(bob.Email));
    }

    [Fact]
    public async Task TheOutboxRowIsWrittenWithTheChangeAndNotForARolledBackOne()
    {
        app.Gate.Up = true;
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var stranger = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        var seq = await ada.LastSeqAsync(board);
        // (assigned to Bob: a change only its actor is involved in on an unwatched board gets no row, OutboxRowTests)
        var id = (await ada.CreateTaskAsync(board, new { title = "x", assigneeId = bob.Id })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { assigneeId = stranger.Id })).AssertFieldError("assigneeId");

        var keys = (await OutboxAsync()).Select(m => m.Key).ToList();
        Assert.Contains($"task-email:{board:N}:{seq + 1}", keys);
        Assert.DoesNotContain($"task-email:{board:N}:{seq + 2}", keys);
    }

    [Fact]
    public async Task AMailServerOutageLosesNothingAndSendsNothingTwice()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        app.Gate.Up = false;
        try
        {
            var id = (await ada.CreateTaskAsync(board, new { title = "during the outage", assigneeId = bob.Id })).GetProperty("id").GetGuid();
            foreach (var p in new[] { "high", "urgent", "low" })
                await (await ada.Client.Patch($"/api/tasks/{id}", new { priority = p })).Json(HttpStatusCode.OK);

            // The dispatcher keeps trying while the server is down; nothing arrives, nothing is dropped.
            Assert.True(await LiveBoard.EventuallyAsync(async () =>
                (await OutboxAsync()).Where(m => m.Key.StartsWith($"task-email:{board:N}")).All(m => m.Attempts >= 2)));
            Assert.Empty(await MailDev.ForAsync(bob.Email));
            Assert.All((await OutboxAsync()).Where(m => m.Key.StartsWith($"task-email:{board:N}")), m => Assert.Null(m.DeliveredAt));
        }
        finally
        {
            app.Gate.Up = true;
        }

        var mails = await MailsAsync(bob, 4);
        await AssertAllDeliveredAsync();
        mails = await MailDev.ForAsync(bob.Email);
        Assert.Equal(4, mails.Count);
        Assert.Equal(4, mails.Select(m => m.Headers["x-taskhub-key"]).Distinct().Count());
    }

    [Fact]
    public async Task ConcurrentDispatchersDeliverEachEmailOnce()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        app.Gate.Up = false;
        for (var i = 0; i < 12; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}", assigneeId = bob.Id });
        app.Gate.Up = true;

        var dispatcher = app.Services.GetRequiredService<OutboxDispatcher>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var round = 0; round < 20 && !await AllDeliveredAsync(); round++)
            {
                await dispatcher.RunOnceAsync(CancellationToken.None);
                await Task.Delay(50);
            }
        })));

        await AssertAllDeliveredAsync();
        var mails = await MailDev.ForAsync(bob.Email);
        Assert.Equal(12, mails.Count);
        Assert.Equal(12, mails.Select(m => m.Headers["x-taskhub-key"]).Distinct().Count());
    }
}

public sealed class EmailTestsOnSqlite(SqliteMailApplication app) : EmailTests<SqliteMailApplication>(app), IClassFixture<SqliteMailApplication>;

public sealed class EmailTestsOnMariaDb(MariaDbMailApplication app) : EmailTests<MariaDbMailApplication>(app), IClassFixture<MariaDbMailApplication>;

/// <summary>A message that can never be delivered is dead-lettered after the last attempt and an alert is posted.</summary>
public sealed class DeadLetterApplication : SqliteApplication
{
    public LocalEndpoint Webhook { get; } = LocalEndpoint.StartAsync().GetAwaiter().GetResult();

    public DeadLetterApplication()
    {
        Settings["Smtp:Host"] = "127.0.0.1";
        Settings["Smtp:Port"] = "9"; // nothing listens: every attempt fails
        Settings["Smtp:UseTls"] = "false";
        Settings["Outbox:MaxAttempts"] = "3";
        Settings["Outbox:FirstRetrySeconds"] = "0.1";
        Settings["Outbox:MaxRetrySeconds"] = "0.2";
        Settings["Outbox:AlertWebhookUrl"] = Webhook.Url + "/alerts";
    }
}

public sealed class DeadLetterTests(DeadLetterApplication app) : IClassFixture<DeadLetterApplication>
{
    [Fact]
    public async Task AMessageThatKeepsFailingIsDeadLetteredAndAnAlertIsPosted()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await ada.CreateTaskAsync(board, new { title = "undeliverable", assigneeId = bob.Id });

        Assert.True(await LiveBoard.EventuallyAsync(() => !app.Webhook.Requests.IsEmpty, 30));
        await using var scope = app.Services.CreateAsyncScope();
        var message = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<OutboxMessage>().AsNoTracking()
            .SingleAsync(m => m.Key == $"task-email:{board:N}:1");
        Assert.NotNull(message.DeadLetteredAt);
        Assert.Null(message.DeliveredAt);
        Assert.Equal(3, message.Attempts);
        Assert.False(string.IsNullOrEmpty(message.LastError));
        var alert = app.Webhook.Requests.First().Body;
        Assert.Contains($"task-email:{board:N}:1", alert);
        Assert.Contains("after 3 attempts", alert);
    }
}
