using System.Net;
using System.Net.Http.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Boards;

public abstract class BoardTests(TaskHubApplication app)
{
    [Fact]
    public async Task CreatingABoardMakesTheCallerItsOwner()
    {
        var ada = await app.SignUpAsync();
        var response = await ada.Client.PostAsJsonAsync("/api/boards", new { name = " Launch " });
        var board = await response.Json(HttpStatusCode.Created);

        Assert.Equal("Launch", board.GetProperty("name").GetString());
        Assert.Equal("owner", board.GetProperty("role").GetString());
        var listed = Assert.Single((await ada.Client.GetJson("/api/boards")).EnumerateArray());
        Assert.Equal(board.GetProperty("id").GetGuid(), listed.GetProperty("id").GetGuid());
        var members = await ada.Client.GetJson($"/api/boards/{board.GetProperty("id").GetGuid()}/members");
        Assert.Equal(ada.Email, Assert.Single(members.EnumerateArray()).GetProperty("email").GetString());
    }

    [Theory]
    [InlineData("""{"name": ""}""", "name")]
    [InlineData("""{"name": "   "}""", "name")]
    [InlineData("""{}""", "name")]
    [InlineData("""{"name": 3}""", "name")]
    public async Task ABoardNeedsAName(string body, string field)
    {
        var ada = await app.SignUpAsync();
        await (await ada.Client.SendRaw(HttpMethod.Post, "/api/boards", body)).AssertFieldError(field);
        Assert.Equal(0, (await ada.Client.GetJson("/api/boards")).GetArrayLength());
    }

    [Fact]
    public async Task ANonMemberSeesNothingOfABoard()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();

        Assert.Equal(0, (await eve.Client.GetJson("/api/boards")).GetArrayLength());
        await (await eve.Client.GetAsync($"/api/boards/{board}")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.Patch($"/api/boards/{board}", new { name = "mine" })).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.DeleteAsync($"/api/boards/{board}")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.GetAsync($"/api/boards/{board}/members")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.GetAsync($"/api/boards/{board}/events")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = eve.Email, role = "owner" })).AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal("Board", (await ada.Client.GetJson($"/api/boards/{board}")).GetProperty("name").GetString());
    }

    [Fact]
    public async Task OnlyAnOwnerRenamesOrDeletesABoard()
    {
        var ada = await app.SignUpAsync();
        var adm = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, adm, "admin");

        await (await adm.Client.Patch($"/api/boards/{board}", new { name = "Renamed" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await adm.Client.DeleteAsync($"/api/boards/{board}")).AssertProblem(HttpStatusCode.Forbidden);

        var renamed = await (await ada.Client.Patch($"/api/boards/{board}", new { name = "Renamed" })).Json(HttpStatusCode.OK);
        Assert.Equal("Renamed", renamed.GetProperty("name").GetString());
    }

    [Fact]
    public async Task DeletingABoardTakesItsTasksWithIt()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "x", assigneeId = ada.Id })).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}")).StatusCode);

        await (await ada.Client.GetAsync($"/api/boards/{board}")).AssertProblem(HttpStatusCode.NotFound);
        await (await ada.Client.GetAsync($"/api/tasks/{task}")).AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal(0, (await ada.Client.GetJson("/api/me/tasks")).GetArrayLength());
    }
}

public sealed class BoardTestsOnSqlite(SqliteApplication app) : BoardTests(app), IClassFixture<SqliteApplication>;

public sealed class BoardTestsOnMariaDb(MariaDbApplication app) : BoardTests(app), IClassFixture<MariaDbApplication>;
