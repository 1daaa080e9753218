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

/// <summary>
/// Search's recency-first rule with small caps (<c>Search:Candidates</c> 4, <c>Search:RecentRows</c> 8), so a
/// "common" word is a few tasks: only the caller's newest matches are ranked, best first; an older match is found
/// when the recent ones do not fill a page; another board's newer matches never take the caller's places.
/// </summary>
public abstract class SearchCapTests(TaskHubApplication app)
{
    public static void SmallCaps(Dictionary<string, string> settings)
    {
        settings["Search:Candidates"] = "4";
        settings["Search:RecentRows"] = "8";
    }

    private static async Task<List<Guid>> SearchAsync(TestUser user, string query, int limit = 20) =>
        (await user.Client.GetJson($"/api/search?q={Uri.EscapeDataString(query)}&limit={limit}")).EnumerateArray()
            .Select(h => h.GetProperty("taskId").GetGuid()).ToList();

    private static async Task<Guid> TaskAsync(TestUser user, Guid board, string title, string? description = null) =>
        (await user.CreateTaskAsync(board, new { title, description })).GetProperty("id").GetGuid();

    [Fact]
    public async Task ACommonWordRanksTheNewestMatchesBestFirst()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var tag = $"zq{Guid.NewGuid():N}"[..10];
        var oldTitle = await TaskAsync(ada, board, $"{tag} rollout"); // the best match, but older than the newest 4
        var described = new List<Guid>();
        for (var i = 0; i < 6; i++) described.Add(await TaskAsync(ada, board, $"Chore {i}", $"notes on the {tag} of the week, with more words around it"));
        var newTitle = await TaskAsync(ada, board, $"{tag} checklist");
        described.Add(await TaskAsync(ada, board, "Chore 6", $"notes on the {tag} of the week, with more words around it"));
        var theirs = await eve.CreateBoardAsync();
        for (var i = 0; i < 6; i++) await TaskAsync(eve, theirs, $"{tag} their plan {i}"); // newer, better matches elsewhere

        var hits = await SearchAsync(ada, tag, limit: 3);
        Assert.Equal(3, hits.Count);
        Assert.Equal(newTitle, hits[0]); // a title match first among the newest matches, not the newest match
        Assert.DoesNotContain(oldTitle, hits); // older than the newest 4 matches: not ranked
        Assert.All(hits[1..], h => Assert.Contains(h, described[^3..]));
        Assert.Equal(6, (await SearchAsync(eve, tag)).Count);
    }

    [Fact]
    public async Task AnOlderMatchIsFoundWhenTheRecentOnesDoNotFillAPageAndNeverAnotherBoards()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var tag = $"zq{Guid.NewGuid():N}"[..10];
        var old = await TaskAsync(ada, board, "Quarterly chores", $"the {tag} runbook");
        var commented = await TaskAsync(ada, board, "Another chore");
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{commented}/comments", new { body = $"see the {tag} runbook" })).Json(HttpStatusCode.Created);
        for (var i = 0; i < 10; i++) await TaskAsync(ada, board, $"Filler {i}", "nothing to find here");
        var theirs = await eve.CreateBoardAsync();
        for (var i = 0; i < 10; i++) await TaskAsync(eve, theirs, $"{tag} their plan {i}"); // newer matches, more than the caps

        var hits = await SearchAsync(ada, tag);
        Assert.Equal(2, hits.Count);
        Assert.Contains(old, hits);
        Assert.Contains(commented, hits);
        Assert.Empty(await SearchAsync(ada, $"{tag} their"));
        Assert.Equal(10, (await SearchAsync(eve, tag)).Count);
    }
}

public sealed class SmallCapsSqlite : SqliteApplication
{
    public SmallCapsSqlite() => SearchCapTests.SmallCaps(Settings);
}

public sealed class SmallCapsMariaDb : MariaDbApplication
{
    public SmallCapsMariaDb() => SearchCapTests.SmallCaps(Settings);
}

public sealed class SearchCapTestsOnSqlite(SmallCapsSqlite app) : SearchCapTests(app), IClassFixture<SmallCapsSqlite>;

public sealed class SearchCapTestsOnMariaDb(SmallCapsMariaDb app) : SearchCapTests(app), IClassFixture<SmallCapsMariaDb>;

public sealed class SearchTestsOnSqlite(SqliteApplication app) : SearchTests(app), IClassFixture<SqliteApplication>;

public sealed class SearchTestsOnMariaDb(MariaDbApplication app) : SearchTests(app), IClassFixture<MariaDbApplication>;
