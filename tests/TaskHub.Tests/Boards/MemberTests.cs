using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Boards;

public abstract class MemberTests(TaskHubApplication app)
{
    [Fact]
    public async Task AnOwnerAddsAMemberByEmailWhateverItsCase()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync();

        var added = await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = bob.Email.ToUpperInvariant(), role = "admin" }))
            .Json(HttpStatusCode.Created);

        Assert.Equal(bob.Id, added.GetProperty("userId").GetGuid());
        Assert.Equal("Bob", added.GetProperty("displayName").GetString());
        Assert.Equal("admin", added.GetProperty("role").GetString());
        Assert.Equal("admin", (await bob.Client.GetJson($"/api/boards/{board}")).GetProperty("role").GetString());
    }

    [Fact]
    public async Task AddingAnUnknownEmailIsNotFoundAndAnExistingMemberIsAConflict()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);

        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = "nobody@example.com", role = "member" })).AssertProblem(HttpStatusCode.NotFound);
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = bob.Email, role = "viewer" })).AssertProblem(HttpStatusCode.Conflict);
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = bob.Email, role = "boss" })).AssertFieldError("role");
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { role = "member" })).AssertFieldError("email");
    }

    [Fact]
    public async Task MembersAndViewersCannotManageMembersAndAdminsCannotMakeOwners()
    {
        var ada = await app.SignUpAsync();
        var adm = await app.SignUpAsync();
        var mem = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var newcomer = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, adm, "admin");
        await ada.AddMemberAsync(board, mem, "member");
        await ada.AddMemberAsync(board, vic, "viewer");

        await (await mem.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = newcomer.Email, role = "member" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await vic.Client.Patch($"/api/boards/{board}/members/{mem.Id}", new { role = "viewer" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await adm.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = newcomer.Email, role = "owner" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await adm.Client.Patch($"/api/boards/{board}/members/{mem.Id}", new { role = "owner" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await adm.Client.DeleteAsync($"/api/boards/{board}/members/{ada.Id}")).AssertProblem(HttpStatusCode.Forbidden);

        // What an admin may do.
        await (await adm.Client.Patch($"/api/boards/{board}/members/{mem.Id}", new { role = "viewer" })).Json(HttpStatusCode.OK);
        await (await adm.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = newcomer.Email, role = "member" })).Json(HttpStatusCode.Created);
    }

    [Fact]
    public async Task TheLastOwnerCanNeitherLeaveNorBeDemoted()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob, "member");

        await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{ada.Id}")).AssertProblem(HttpStatusCode.Conflict);
        await (await ada.Client.Patch($"/api/boards/{board}/members/{ada.Id}", new { role = "admin" })).AssertProblem(HttpStatusCode.Conflict);

        // With a second owner, the first may step down.
        await (await ada.Client.Patch($"/api/boards/{board}/members/{bob.Id}", new { role = "owner" })).Json(HttpStatusCode.OK);
        await (await ada.Client.Patch($"/api/boards/{board}/members/{ada.Id}", new { role = "admin" })).Json(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ARemovedMemberLosesTheBoardAndTheirTasksAreUnassigned()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        var task = (await ada.CreateTaskAsync(board, new { title = "x", assigneeId = bob.Id, supervisorId = bob.Id })).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).StatusCode);

        await (await bob.Client.GetAsync($"/api/boards/{board}")).AssertProblem(HttpStatusCode.NotFound);
        await (await bob.Client.GetAsync($"/api/tasks/{task}")).AssertProblem(HttpStatusCode.NotFound);
        var after = await ada.Client.GetJson($"/api/tasks/{task}");
        Assert.Equal(JsonValueKind.Null, after.GetProperty("assigneeId").ValueKind);
        Assert.Equal(JsonValueKind.Null, after.GetProperty("supervisorId").ValueKind);
        Assert.Equal(2, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task AnyMemberMayLeave()
    {
        var ada = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, vic, "viewer");

        Assert.Equal(HttpStatusCode.NoContent, (await vic.Client.DeleteAsync($"/api/boards/{board}/members/{vic.Id}")).StatusCode);
        Assert.Equal(0, (await vic.Client.GetJson("/api/boards")).GetArrayLength());
    }
}

public sealed class MemberTestsOnSqlite(SqliteApplication app) : MemberTests(app), IClassFixture<SqliteApplication>;

public sealed class MemberTestsOnMariaDb(MariaDbApplication app) : MemberTests(app), IClassFixture<MariaDbApplication>;
