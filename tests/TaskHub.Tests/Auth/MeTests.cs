using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

public abstract class MeTests(TaskHubApplication app)
{
    private async Task<HttpResponseMessage> Login(TestUser user, string password) =>
        await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password });

    [Fact]
    public async Task TheProfileShowsAndEditsNameAndTimeZone()
    {
        var ada = await app.SignUpAsync("Ada");
        var me = await ada.Client.GetJson("/api/me");
        Assert.Equal(ada.Id, me.GetProperty("id").GetGuid());
        Assert.Equal("Ada", me.GetProperty("displayName").GetString());

        var updated = await (await ada.Client.Patch("/api/me", new { displayName = "Ada L.", timeZone = "Europe/Berlin" })).Json(HttpStatusCode.OK);

        Assert.Equal("Ada L.", updated.GetProperty("displayName").GetString());
        Assert.Equal("Europe/Berlin", (await ada.Client.GetJson("/api/me")).GetProperty("timeZone").GetString());
    }

    [Theory]
    [InlineData("""{"timeZone": "Mars/Olympus"}""", "timeZone")]
    [InlineData("""{"timeZone": "Pacific Standard Time"}""", "timeZone")]
    [InlineData("""{"displayName": ""}""", "displayName")]
    [InlineData("""{"newPassword": "n3w-password"}""", "currentPassword")]
    [InlineData("""{"newPassword": "n3w-password", "currentPassword": "not-it-1"}""", "currentPassword")]
    [InlineData("""{"newPassword": "weak", "currentPassword": "correct-horse-9"}""", "newPassword")]
    public async Task BadProfileEditsNameTheFieldAndChangeNothing(string body, string field)
    {
        var ada = await app.SignUpAsync("Ada");
        await (await ada.Client.SendRaw(HttpMethod.Patch, "/api/me", body)).AssertFieldError(field);
        var me = await ada.Client.GetJson("/api/me");
        Assert.Equal("Ada", me.GetProperty("displayName").GetString());
        Assert.Equal("UTC", me.GetProperty("timeZone").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Login(ada, ada.Password)).StatusCode);
    }

    [Fact]
    public async Task ChangingThePasswordKeepsThisSessionAndEndsTheOthers()
    {
        var ada = await app.SignUpAsync();
        var otherSession = await (await Login(ada, ada.Password)).Json(HttpStatusCode.OK);
        var other = app.ClientWithToken(otherSession.GetProperty("accessToken").GetString()!);

        await (await ada.Client.Patch("/api/me", new { currentPassword = ada.Password, newPassword = "brand-new-pass-2" })).Json(HttpStatusCode.OK);

        await ada.Client.GetJson("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login(ada, ada.Password)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Login(ada, "brand-new-pass-2")).StatusCode);
    }

    [Fact]
    public async Task NotificationSettingsHaveDefaultsAndCanBeChanged()
    {
        var ada = await app.SignUpAsync();
        var defaults = await ada.Client.GetJson("/api/me/notification-settings");
        Assert.True(defaults.GetProperty("emailOnChange").GetBoolean());
        Assert.Equal("off", defaults.GetProperty("digest").GetString());

        await (await ada.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = false, digest = "weekly", reminderLeadHours = 6 })).Json(HttpStatusCode.OK);

        var saved = await ada.Client.GetJson("/api/me/notification-settings");
        Assert.False(saved.GetProperty("emailOnChange").GetBoolean());
        Assert.Equal("weekly", saved.GetProperty("digest").GetString());
        Assert.Equal(6, saved.GetProperty("reminderLeadHours").GetInt32());
    }

    [Theory]
    [InlineData("""{"emailOnChange": true, "digest": "hourly", "reminderLeadHours": 6}""", "digest")]
    [InlineData("""{"emailOnChange": true, "digest": "daily", "reminderLeadHours": 9999}""", "reminderLeadHours")]
    [InlineData("""{"emailOnChange": "yes", "digest": "daily", "reminderLeadHours": 1}""", "emailOnChange")]
    public async Task BadNotificationSettingsNameTheField(string body, string field)
    {
        var ada = await app.SignUpAsync();
        await (await ada.Client.SendRaw(HttpMethod.Put, "/api/me/notification-settings", body)).AssertFieldError(field);
        Assert.Equal("off", (await ada.Client.GetJson("/api/me/notification-settings")).GetProperty("digest").GetString());
    }

    [Fact]
    public async Task DeletingTheAccountNeedsThePassword()
    {
        var ada = await app.SignUpAsync();
        await (await ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = "not-it-123" })).AssertFieldError("password");
        await ada.Client.GetJson("/api/me");
    }

    [Fact]
    public async Task DeletingTheAccountRevokesTokensUnassignsTasksAndHandsBoardsOn()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var cy = await app.SignUpAsync();
        var shared = await ada.CreateBoardAsync("shared");
        var solo = await ada.CreateBoardAsync("solo");
        await ada.AddMemberAsync(shared, cy, "member");
        await ada.AddMemberAsync(shared, bob, "admin");
        await ada.AddMemberAsync(solo, cy, "viewer");
        var task = await ada.CreateTaskAsync(shared, new { title = "x", assigneeId = ada.Id, supervisorId = bob.Id });
        var taskId = task.GetProperty("id").GetGuid();
        var seqBefore = await bob.LastSeqAsync(shared);

        var response = await ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.Client.GetAsync("/api/me")).StatusCode);
        await (await app.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken })).AssertProblem(HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Login(ada, ada.Password)).StatusCode);

        // The task lost its assignee through an ordinary, recorded change.
        var after = await bob.Client.GetJson($"/api/tasks/{taskId}");
        Assert.Equal(JsonValueKind.Null, after.GetProperty("assigneeId").ValueKind);
        Assert.Equal(bob.Id, after.GetProperty("supervisorId").GetGuid());
        var events = await bob.Client.GetJson($"/api/boards/{shared}/events?after={seqBefore}");
        var unassigned = Assert.Single(events.EnumerateArray());
        Assert.Equal("assigneeId", Assert.Single(unassigned.GetProperty("changes").EnumerateArray()).GetProperty("field").GetString());

        // The admin inherits the shared board; the board with only a viewer left is gone.
        Assert.Equal("owner", (await bob.Client.GetJson($"/api/boards/{shared}")).GetProperty("role").GetString());
        Assert.Equal("member", (await cy.Client.GetJson($"/api/boards/{shared}")).GetProperty("role").GetString());
        await (await cy.Client.GetAsync($"/api/boards/{solo}")).AssertProblem(HttpStatusCode.NotFound);

        // The address is free again.
        var again = await app.CreateClient().PostAsJsonAsync("/api/auth/register", new { email = ada.Email, password = "another-pass-3", displayName = "Ada again" });
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
    }
}

public sealed class MeTestsOnSqlite(SqliteApplication app) : MeTests(app), IClassFixture<SqliteApplication>;

public sealed class MeTestsOnMariaDb(MariaDbApplication app) : MeTests(app), IClassFixture<MariaDbApplication>;
