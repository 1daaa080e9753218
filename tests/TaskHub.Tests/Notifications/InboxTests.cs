using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Notifications;

/// <summary>The inbox, per-board notification levels and one-click unsubscribe, with emails to the real maildev.</summary>
public abstract class InboxTests<TApp>(TApp app) where TApp : TaskHubApplication
{
    /// <summary>The user's inbox page and unread count (OutboxWakeTests reads it too).</summary>
    internal static async Task<(JsonElement Items, int Unread)> InboxAsync(TestUser user, string query = "")
    {
        var response = await user.Client.GetAsync($"/api/me/notifications{query}");
        var items = await response.Json(HttpStatusCode.OK);
        return (items, int.Parse(response.Headers.GetValues("X-Unread-Count").Single()));
    }

    private Task<bool> SettledAsync() => CoalescingTests<TApp>.SettledAsync(app);

    [Fact]
    public async Task AnAssignmentBySomeoneElseLandsInTheInboxAndIsPushedLive()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Launch");
        await ada.AddMemberAsync(board, bob);
        await using var bobsTab = await LiveBoard.ConnectAsync(app, bob);

        var id = (await ada.CreateTaskAsync(board, new { title = "Write the post" })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { assigneeId = bob.Id })).Json(HttpStatusCode.OK);
        await (await bob.Client.Patch($"/api/tasks/{id}", new { assigneeId = ada.Id })).Json(HttpStatusCode.OK);

        Assert.True(await LiveBoard.EventuallyAsync(() => !bobsTab.Notifications.IsEmpty));
        var pushed = Assert.Single(bobsTab.Notifications);
        Assert.Equal("assigned", pushed.Kind);
        Assert.Equal(id, pushed.TaskId);
        Assert.Equal("Ada assigned “Write the post” to you", pushed.Text);

        var (items, unread) = await InboxAsync(bob);
        Assert.Equal(1, unread);
        Assert.Equal(pushed.Id, Assert.Single(items.EnumerateArray()).GetProperty("id").GetGuid());
        // Ada was assigned by Bob; nobody is told about their own change.
        Assert.True(await SettledAsync());
        Assert.Equal("Bob assigned “Write the post” to you", Assert.Single((await InboxAsync(ada)).Items.EnumerateArray()).GetProperty("text").GetString());
        Assert.Single(bobsTab.Notifications);
    }

    /// <summary>A member removed from a board loses its inbox items (they name its tasks); their items of other boards stay.
    /// Thirty-fourth round: the delivery audit found them still listed.</summary>
    [Fact]
    public async Task AMemberRemovedFromABoardLosesItsInboxItemsAndKeepsOthers()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var secret = await ada.CreateBoardAsync("Secret");
        var other = await ada.CreateBoardAsync("Other");
        await ada.AddMemberAsync(secret, bob);
        await ada.AddMemberAsync(other, bob);
        await ada.CreateTaskAsync(secret, new { title = "Acquire the rival", assigneeId = bob.Id });
        await ada.CreateTaskAsync(other, new { title = "Plan the party", assigneeId = bob.Id });
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await InboxAsync(bob)).Unread == 2));

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{secret}/members/{bob.Id}")).StatusCode);

        var (items, unread) = await InboxAsync(bob);
        Assert.Equal(1, unread);
        Assert.Equal(other, Assert.Single(items.EnumerateArray()).GetProperty("boardId").GetGuid());
    }

    [Fact]
    public async Task ItemsAreMarkedReadOneByOneOrAllAtOnceAndOnlyTheirOwner()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        for (var i = 0; i < 3; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}", assigneeId = bob.Id });
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await InboxAsync(bob)).Unread == 3));
        var ids = (await InboxAsync(bob)).Items.EnumerateArray().Select(n => n.GetProperty("id").GetGuid()).ToList();

        // Someone else's ids change nothing.
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.PostAsJsonAsync("/api/me/notifications/read", new { ids })).StatusCode);
        Assert.Equal(3, (await InboxAsync(bob)).Unread);

        Assert.Equal(HttpStatusCode.NoContent, (await bob.Client.PostAsJsonAsync("/api/me/notifications/read", new { ids = ids.Take(1) })).StatusCode);
        Assert.Equal(2, (await InboxAsync(bob)).Unread);
        Assert.Equal(2, (await InboxAsync(bob, "?unread=true")).Items.GetArrayLength());
        Assert.Equal(HttpStatusCode.NoContent, (await bob.Client.PostAsJsonAsync("/api/me/notifications/read", new { all = true })).StatusCode);
        Assert.Equal(0, (await InboxAsync(bob)).Unread);
        Assert.Equal(3, (await InboxAsync(bob)).Items.GetArrayLength());

        await (await bob.Client.PostAsJsonAsync("/api/me/notifications/read", new { })).AssertFieldError("ids");
        await (await bob.Client.GetAsync("/api/me/notifications?before=yesterday")).AssertFieldError("before");
    }

    [Fact]
    public async Task BoardNotificationSettingsAreForMembersAndValidated()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var defaults = await ada.Client.GetJson($"/api/boards/{board}/notification-settings");
        Assert.Equal("participating", defaults.GetProperty("level").GetString());
        Assert.True(defaults.GetProperty("email").GetBoolean());

        var saved = await (await ada.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "watching", email = false })).Json(HttpStatusCode.OK);
        Assert.Equal("watching", saved.GetProperty("level").GetString());
        Assert.Equal("watching", (await ada.Client.GetJson($"/api/boards/{board}/notification-settings")).GetProperty("level").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.GetAsync($"/api/boards/{board}/notification-settings")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "muted" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ada.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "loud" })).StatusCode);
        await (await ada.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { email = true })).AssertFieldError("level");
    }

    [Fact]
    public async Task AMutedBoardSendsNeitherEmailNorInboxItemsAndAWatchedOneSendsEveryChange()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var cy = await app.SignUpAsync("Cy");
        var board = await ada.CreateBoardAsync("Quiet");
        await ada.AddMemberAsync(board, bob);
        await ada.AddMemberAsync(board, cy);
        await (await bob.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "muted", email = true })).Json(HttpStatusCode.OK);
        await (await cy.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "watching", email = true })).Json(HttpStatusCode.OK);

        // Bob is the assignee but muted the board; Cy is not involved but watches it.
        await ada.CreateTaskAsync(board, new { title = "Muted for Bob", assigneeId = bob.Id });

        Assert.True(await LiveBoard.EventuallyAsync(async () => (await MailDev.ForAsync(cy.Email)).Count == 1, 30));
        Assert.True(await SettledAsync());
        Assert.Empty(await MailDev.ForAsync(bob.Email));
        Assert.Equal(0, (await InboxAsync(bob)).Items.GetArrayLength());
        Assert.Contains("Ada created “Muted for Bob”", Assert.Single(await MailDev.ForAsync(cy.Email)).Text);
    }

    [Fact]
    public async Task OneClickUnsubscribeTurnsChangeEmailsOffWithoutLoggingIn()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Mail");
        await ada.AddMemberAsync(board, bob);
        var id = (await ada.CreateTaskAsync(board, new { title = "first", assigneeId = bob.Id })).GetProperty("id").GetGuid();
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await MailDev.ForAsync(bob.Email)).Count == 1, 30));
        var mail = Assert.Single(await MailDev.ForAsync(bob.Email));

        // RFC 8058: an HTTPS link in List-Unsubscribe and the one-click POST marker.
        Assert.Equal("List-Unsubscribe=One-Click", mail.Headers["list-unsubscribe-post"]);
        var link = mail.Headers["list-unsubscribe"].Trim('<', '>');
        Assert.StartsWith("https://taskhub.example.com/api/unsubscribe?token=", link);
        Assert.Contains(link, mail.Text);
        var path = new Uri(link).PathAndQuery;

        var anonymous = app.CreateClient();
        var tampered = path[..^3] + (path[^3] == 'A' ? "B" : "A") + path[^2..];
        await (await anonymous.PostAsync(tampered, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).AssertFieldError("token");
        Assert.True((await bob.Client.GetJson("/api/me/notification-settings")).GetProperty("emailOnChange").GetBoolean());

        var done = await (await anonymous.PostAsync(path, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).Json(HttpStatusCode.OK);
        Assert.Equal("changes", done.GetProperty("list").GetString());
        Assert.False((await bob.Client.GetJson("/api/me/notification-settings")).GetProperty("emailOnChange").GetBoolean());
        // Opening the link in a browser asks first (a GET changes nothing).
        var page = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<form method=\"post\">", await page.Content.ReadAsStringAsync());

        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "second" })).Json(HttpStatusCode.OK);
        Assert.True(await SettledAsync());
        Assert.Single(await MailDev.ForAsync(bob.Email));
    }
}

/// <summary>Coalescing on (a short window) as in production, so the inbox and emails are tested together.</summary>
public sealed class SqliteInboxApplication : SqliteApplication
{
    public SqliteInboxApplication()
    {
        Settings["Smtp:Host"] = "127.0.0.1";
        Settings["Smtp:Port"] = MailDev.SmtpPort.ToString();
        Settings["Smtp:UseTls"] = "false";
        Settings["Email:PublicBaseUrl"] = "https://taskhub.example.com";
        Settings["Email:CoalesceWindowSeconds"] = "1";
    }
}

public sealed class MariaDbInboxApplication : MariaDbApplication
{
    public MariaDbInboxApplication()
    {
        Settings["Smtp:Host"] = "127.0.0.1";
        Settings["Smtp:Port"] = MailDev.SmtpPort.ToString();
        Settings["Smtp:UseTls"] = "false";
        Settings["Email:PublicBaseUrl"] = "https://taskhub.example.com";
        Settings["Email:CoalesceWindowSeconds"] = "1";
    }
}

public sealed class InboxTestsOnSqlite(SqliteInboxApplication app) : InboxTests<SqliteInboxApplication>(app), IClassFixture<SqliteInboxApplication>;

public sealed class InboxTestsOnMariaDb(MariaDbInboxApplication app) : InboxTests<MariaDbInboxApplication>(app), IClassFixture<MariaDbInboxApplication>;

/// <summary>Two replicas on one database and one Redis: an inbox item made on one reaches a tab on the other.</summary>
public sealed class InboxAcrossReplicasTests
{
    private sealed class Replica(string database, Dictionary<string, string> settings) : MariaDbApplication(database, settings);

    [Fact]
    public async Task NotificationAddedReachesTheUsersTabOnTheOtherReplica()
    {
        var database = MariaDbApplication.NewDatabaseName();
        await MariaDbApplication.CreateDatabaseAsync(database);
        try
        {
            var settings = new Dictionary<string, string> { ["ConnectionStrings:Redis"] = MariaDbApplication.RedisConnectionString };
            await using var a = new Replica(database, settings);
            await using var b = new Replica(database, settings);
            await a.Services.MigrateTaskHubDatabaseAsync();
            var ada = await a.SignUpAsync("Ada");
            var bob = await a.SignUpAsync("Bob");
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob);
            await using var onB = await LiveBoard.ConnectAsync(b, bob);

            for (var i = 0; i < 3; i++) await ada.CreateTaskAsync(board, new { title = $"for Bob {i}", assigneeId = bob.Id });

            Assert.True(await LiveBoard.EventuallyAsync(() => onB.Notifications.Count == 3, 30));
            Assert.Equal(["for Bob 0", "for Bob 1", "for Bob 2"], onB.Notifications.Select(n => n.Text.Split('“', '”')[1]).Order());
        }
        finally
        {
            await MariaDbApplication.DropDatabaseAsync(database);
        }
    }
}
