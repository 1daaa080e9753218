using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>Full-text search: SQLite FTS5 embedded, InnoDB FULLTEXT on MariaDB.</summary>
public abstract class SearchTests(TaskHubApplication app)
{
    private static async Task<List<JsonElement>> SearchAsync(TestUser user, string query) =>
        (await user.Client.GetJson($"/api/search?q={Uri.EscapeDataString(query)}")).EnumerateArray().ToList();

    [Fact]
    public async Task TitlesDescriptionsAndCommentsAreFoundRankedWithAHighlightedSnippet()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync("Infra");
        var tag = $"zq{Guid.NewGuid():N}"[..10]; // a word only this test uses
        var inTitle = (await ada.CreateTaskAsync(board, new { title = $"Rotate {tag} certificates" })).GetProperty("id").GetGuid();
        var inDescription = (await ada.CreateTaskAsync(board, new { title = "Quarterly chores", description = $"Remember the {tag} runbook <b>first</b>" })).GetProperty("id").GetGuid();
        var commented = (await ada.CreateTaskAsync(board, new { title = "Unrelated" })).GetProperty("id").GetGuid();
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{commented}/comments", new { body = $"Blocked by the {tag} outage" })).Json(HttpStatusCode.Created);
        await ada.CreateTaskAsync(board, new { title = "Nothing to see" });

        var hits = await SearchAsync(ada, tag);
        Assert.Equal(3, hits.Count);
        Assert.Equal(inTitle, hits[0].GetProperty("taskId").GetGuid()); // a title match ranks first
        Assert.Contains(hits, h => h.GetProperty("taskId").GetGuid() == inDescription && h.GetProperty("kind").GetString() == "task");
        var comment = Assert.Single(hits, h => h.GetProperty("kind").GetString() == "comment");
        Assert.Equal(commented, comment.GetProperty("taskId").GetGuid());
        Assert.Equal("Unrelated", comment.GetProperty("title").GetString());
        Assert.Contains($"<mark>{tag}</mark>", comment.GetProperty("snippet").GetString());
        // Snippets are text: what the user wrote is encoded, only <mark> is markup.
        var described = hits.Single(h => h.GetProperty("taskId").GetGuid() == inDescription).GetProperty("snippet").GetString()!;
        Assert.Contains("&lt;b&gt;first&lt;/b&gt;", described);

        // Prefixes match, every word must be there, and the index follows edits and deletes.
        Assert.Equal(3, (await SearchAsync(ada, tag[..7])).Count);
        Assert.Equal(inTitle, Assert.Single(await SearchAsync(ada, $"{tag} certificates")).GetProperty("taskId").GetGuid());
        await (await ada.Client.Patch($"/api/tasks/{inTitle}", new { title = "Renamed entirely" })).Json(HttpStatusCode.OK);
        await ada.Client.DeleteAsync($"/api/tasks/{commented}");
        var after = await SearchAsync(ada, tag);
        Assert.Equal(inDescription, Assert.Single(after).GetProperty("taskId").GetGuid());
    }

    [Fact]
    public async Task AnotherBoardsTasksNeverAppearAndArchivedOnesAreMarked()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var tag = $"zq{Guid.NewGuid():N}"[..10];
        var mine = await ada.CreateBoardAsync();
        var theirs = await eve.CreateBoardAsync();
        var archived = (await ada.CreateTaskAsync(mine, new { title = $"{tag} old plan" })).GetProperty("id").GetGuid();
        await (await ada.Client.PostAsync($"/api/tasks/{archived}/archive", null)).Json(HttpStatusCode.OK);
        var secret = (await eve.CreateTaskAsync(theirs, new { title = $"{tag} secret plan" })).GetProperty("id").GetGuid();
        await (await eve.Client.PostAsJsonAsync($"/api/tasks/{secret}/comments", new { body = $"{tag} in a comment" })).Json(HttpStatusCode.Created);

        var hit = Assert.Single(await SearchAsync(ada, tag));
        Assert.Equal(archived, hit.GetProperty("taskId").GetGuid());
        Assert.True(hit.GetProperty("archived").GetBoolean());
        Assert.Equal(2, (await SearchAsync(eve, tag)).Count);
        Assert.Empty((await ada.Client.GetJson($"/api/search?q={tag}&boardId={theirs}")).EnumerateArray());
    }

    [Fact]
    public async Task AQueryWithoutWordsOrWithSyntaxIsAFieldErrorOrPlainText()
    {
        var ada = await app.SignUpAsync();
        await (await ada.Client.GetAsync("/api/search?q=%20%2A%22")).AssertFieldError("q");
        await (await ada.Client.GetAsync("/api/search")).AssertFieldError("q");
        await (await ada.Client.GetAsync("/api/search?q=plan&limit=0")).AssertFieldError("limit");
        await (await ada.Client.GetAsync("/api/search?q=plan&boardId=nope")).AssertFieldError("boardId");
        // FTS operators typed by a user are words, not syntax.
        Assert.Equal(HttpStatusCode.OK, (await ada.Client.GetAsync("/api/search?q=" + Uri.EscapeDataString("plan* OR \"x NEAR(y) -z +w"))).StatusCode);
    }
}

public sealed class SearchTestsOnSqlite(SqliteApplication app) : SearchTests(app), IClassFixture<SqliteApplication>;

public sealed class SearchTestsOnMariaDb(MariaDbApplication app) : SearchTests(app), IClassFixture<MariaDbApplication>;
