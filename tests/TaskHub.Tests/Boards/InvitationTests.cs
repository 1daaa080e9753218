using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Notifications;

namespace TaskHub.Tests.Boards;

/// <summary>Inviting someone who has no account yet: a signed single-use link by email (the real maildev).</summary>
public abstract partial class InvitationTests(TaskHubApplication app)
{
    [GeneratedRegex(@"/invite\?token=(?<token>[A-Za-z0-9_-]+)")]
    private static partial Regex Link();

    private static async Task<string> TokenFromEmailAsync(string address)
    {
        List<MailDev.Mail> mails = [];
        Assert.True(await LiveBoard.EventuallyAsync(async () => (mails = await MailDev.ForAsync(address)).Count > 0, 30));
        return Link().Match(Assert.Single(mails).Text).Groups["token"].Value;
    }

    [Fact]
    public async Task AnInvitedAddressSignsUpThroughTheLinkAndJoinsWithTheInvitedRoleOnce()
    {
        var ada = await app.SignUpAsync("Ada");
        var board = await ada.CreateBoardAsync("Launch");
        var address = $"new-{Guid.NewGuid():N}@example.com";
        var invitation = await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = address, role = "viewer" })).Json(HttpStatusCode.Created);
        Assert.Equal("viewer", invitation.GetProperty("role").GetString());
        Assert.Single((await ada.Client.GetJson($"/api/boards/{board}/invitations")).EnumerateArray());

        var token = await TokenFromEmailAsync(address);
        var anonymous = app.CreateClient();
        var preview = await (await anonymous.PostAsJsonAsync("/api/invitations/preview", new { token })).Json(HttpStatusCode.OK);
        Assert.Equal("Launch", preview.GetProperty("boardName").GetString());
        Assert.Equal("Ada", preview.GetProperty("invitedBy").GetString());

        var other = await app.SignUpAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Client.PostAsJsonAsync("/api/invitations/accept", new { token })).StatusCode);

        var newcomer = await app.SignUpAsync("New", address);
        var accepted = await (await newcomer.Client.PostAsJsonAsync("/api/invitations/accept", new { token })).Json(HttpStatusCode.OK);
        Assert.Equal(board, accepted.GetProperty("boardId").GetGuid());
        Assert.Equal("viewer", (await newcomer.Client.GetJson($"/api/boards/{board}")).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await newcomer.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "x" })).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await newcomer.Client.PostAsJsonAsync("/api/invitations/accept", new { token })).StatusCode); // single use
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.PostAsJsonAsync("/api/invitations/preview", new { token })).StatusCode);
        Assert.Empty((await ada.Client.GetJson($"/api/boards/{board}/invitations")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await other.Client.GetAsync($"/api/boards/{board}")).StatusCode);
    }

    [Fact]
    public async Task OnlyOwnersAndAdminsInviteAndARevokedLinkIsDead()
    {
        var ada = await app.SignUpAsync();
        var admin = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, admin, "admin");
        await ada.AddMemberAsync(board, bob);
        var address = $"x-{Guid.NewGuid():N}@example.com";

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = address })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = address })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = address, role = "owner" })).StatusCode);
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = "not an email" })).AssertFieldError("email");
        Assert.Equal(HttpStatusCode.Conflict, (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = bob.Email })).StatusCode);

        var id = (await (await admin.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = address })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var token = await TokenFromEmailAsync(address);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Client.DeleteAsync($"/api/invitations/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/invitations/{id}")).StatusCode);
        var invited = await app.SignUpAsync(email: address);
        Assert.Equal(HttpStatusCode.NotFound, (await invited.Client.PostAsJsonAsync("/api/invitations/accept", new { token })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await invited.Client.GetAsync($"/api/boards/{board}")).StatusCode);
    }
}

public sealed class InvitationTestsOnSqlite(SqliteInboxApplication app) : InvitationTests(app), IClassFixture<SqliteInboxApplication>;

public sealed class InvitationTestsOnMariaDb(MariaDbInboxApplication app) : InvitationTests(app), IClassFixture<MariaDbInboxApplication>;
