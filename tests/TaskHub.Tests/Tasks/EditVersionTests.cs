using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// A label's, a checklist item's, a comment's and a board's name's edits carry a version as a task's do: the PATCH
/// answers it as its <c>ETag</c>, takes an optional <c>If-Match</c> and refuses a stale one with 412 saying what the
/// thing is now; without <c>If-Match</c> the last write wins, as before.
/// </summary>
public abstract class EditVersionTests(TaskHubApplication app)
{
    public static TheoryData<string> Kinds => ["label", "checklist item", "comment", "board"];

    /// <summary>One of the four, made by <paramref name="owner"/> on a board of their own (its version is 1).</summary>
    private sealed record Edited(TestUser Owner, Guid Board, string Url, string Field, Func<Task<JsonElement>> Read, string? EventType)
    {
        public object Body(string value) => new Dictionary<string, string> { [Field] = value };
        public Task<HttpResponseMessage> PatchAsync(string value, string? ifMatch = null) => Owner.Client.Patch(Url, Body(value), ifMatch);
        public async Task<string?> ValueAsync() => (await Read()).GetProperty(Field).GetString();
        public async Task<int> VersionAsync() => (await Read()).GetProperty("version").GetInt32();
    }

    private async Task<Edited> CreateAsync(string kind)
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync("first");
        var task = kind is "checklist item" or "comment" ? (await ada.CreateTaskAsync(board, new { title = "Card" })).GetProperty("id").GetGuid() : Guid.Empty;
        async Task<JsonElement> Created(string url, object body) => await (await ada.Client.PostAsJsonAsync(url, body)).Json(HttpStatusCode.Created);
        async Task<JsonElement> Find(string list, Guid id) =>
            (await ada.Client.GetJson(list)).EnumerateArray().Single(e => e.GetProperty("id").GetGuid() == id);
        switch (kind)
        {
            case "label":
            {
                var id = (await Created($"/api/boards/{board}/labels", new { name = "first", color = "blue" })).GetProperty("id").GetGuid();
                return new(ada, board, $"/api/labels/{id}", "name", () => Find($"/api/boards/{board}/labels", id), BoardEventTypes.LabelsChanged);
            }
            case "checklist item":
            {
                var id = (await Created($"/api/tasks/{task}/checklist", new { text = "first" })).GetProperty("id").GetGuid();
                return new(ada, board, $"/api/checklist-items/{id}", "text", () => Find($"/api/tasks/{task}/checklist", id), BoardEventTypes.ChecklistItemChanged);
            }
            case "comment":
            {
                var id = (await Created($"/api/tasks/{task}/comments", new { body = "first" })).GetProperty("id").GetGuid();
                return new(ada, board, $"/api/comments/{id}", "body", () => Find($"/api/tasks/{task}/comments", id), BoardEventTypes.CommentEdited);
            }
            default:
                return new(ada, board, $"/api/boards/{board}", "name", () => ada.Client.GetJson($"/api/boards/{board}"), BoardEventTypes.BoardRenamed);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task ANewOneIsAtVersionOne(string kind)
    {
        var edited = await CreateAsync(kind);

        Assert.Equal(1, await edited.VersionAsync());
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task AMatchingIfMatchSavesAndAnswersTheNextVersionAsItsETag(string kind)
    {
        var edited = await CreateAsync(kind);

        var first = await edited.PatchAsync("second", ifMatch: "\"1\"");
        var body = await first.Json(HttpStatusCode.OK);
        Assert.Equal("\"2\"", first.Headers.ETag?.Tag);
        Assert.Equal(2, body.GetProperty("version").GetInt32());
        Assert.Equal("second", body.GetProperty(edited.Field).GetString());

        var next = await edited.PatchAsync("third", ifMatch: "\"2\"");
        Assert.Equal(3, (await next.Json(HttpStatusCode.OK)).GetProperty("version").GetInt32());
        Assert.Equal("\"3\"", next.Headers.ETag?.Tag);
        Assert.Equal("third", await edited.ValueAsync());
        Assert.Equal(3, await edited.VersionAsync());
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task AStaleIfMatchGets412SayingWhatItIsNowAndChangesNothing(string kind)
    {
        var edited = await CreateAsync(kind);
        await (await edited.PatchAsync("theirs", ifMatch: "\"1\"")).Json(HttpStatusCode.OK); // the other tab's, or the other person's
        var seq = await edited.Owner.LastSeqAsync(edited.Board);

        var stale = await edited.PatchAsync("mine", ifMatch: "\"1\"");

        var problem = await stale.Json(HttpStatusCode.PreconditionFailed);
        Assert.Equal("application/problem+json", stale.Content.Headers.ContentType?.MediaType);
        Assert.Equal("\"2\"", stale.Headers.ETag?.Tag);
        Assert.Equal(2, problem.GetProperty("version").GetInt32());
        Assert.Equal("theirs", problem.GetProperty("current").GetProperty(edited.Field).GetString());
        Assert.Equal(2, problem.GetProperty("current").GetProperty("version").GetInt32());
        Assert.Contains("theirs", problem.GetProperty("detail").GetString());
        Assert.Equal("theirs", await edited.ValueAsync());
        Assert.Equal(2, await edited.VersionAsync());
        Assert.Equal(seq, await edited.Owner.LastSeqAsync(edited.Board)); // nothing recorded

        // Theirs over it: sent again with the version the 412 named.
        var again = await edited.PatchAsync("mine", ifMatch: "\"2\"");
        Assert.Equal("mine", (await again.Json(HttpStatusCode.OK)).GetProperty(edited.Field).GetString());
        Assert.Equal("\"3\"", again.Headers.ETag?.Tag);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task WithoutIfMatchTheLastWriteWinsAsBefore(string kind)
    {
        var edited = await CreateAsync(kind);

        await (await edited.PatchAsync("second")).Json(HttpStatusCode.OK);
        var last = await edited.PatchAsync("third");

        Assert.Equal(3, (await last.Json(HttpStatusCode.OK)).GetProperty("version").GetInt32());
        Assert.Equal("\"3\"", last.Headers.ETag?.Tag);
        Assert.Equal("third", await edited.ValueAsync());
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task AnEditThatChangesNothingKeepsTheVersion(string kind)
    {
        var edited = await CreateAsync(kind);

        var same = await edited.PatchAsync("first", ifMatch: "\"1\"");

        Assert.Equal(1, (await same.Json(HttpStatusCode.OK)).GetProperty("version").GetInt32());
        Assert.Equal("\"1\"", same.Headers.ETag?.Tag);
    }

    [Theory]
    [InlineData("label")]
    [InlineData("checklist item")]
    [InlineData("comment")]
    [InlineData("board")]
    public async Task TheLiveEventCarriesTheNewVersion(string kind)
    {
        var edited = await CreateAsync(kind);
        await using var live = await LiveBoard.ConnectAsync(app, edited.Owner);
        await live.JoinAsync(edited.Board, await edited.Owner.LastSeqAsync(edited.Board));

        await (await edited.PatchAsync("second", ifMatch: "\"1\"")).Json(HttpStatusCode.OK);

        Assert.True(await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Any(e => e.Type == edited.EventType)));
        var e = live.ReceivedLive.Single(e => e.Type == edited.EventType);
        Assert.Equal(2, e.Label?.Version ?? e.Item?.Version ?? e.Comment?.Version ?? e.Board?.Version);
        // and the board's log, which a client catching up reads, the same
        var logged = (await edited.Owner.Client.GetJson($"/api/boards/{edited.Board}/events?after={e.Seq - 1}")).EnumerateArray().Single();
        var subject = logged.GetProperty(kind switch { "label" => "label", "checklist item" => "item", "board" => "board", _ => "comment" });
        Assert.Equal(2, subject.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task TheOpenApiDocumentNamesIfMatchAndThe412OnTheEndpointsThatCompareIt()
    {
        var doc = await app.CreateClient().GetJson("/openapi/v1.json");
        bool Compares(string path, string method)
        {
            var op = doc.GetProperty("paths").GetProperty(path).GetProperty(method);
            return op.TryGetProperty("parameters", out var ps) && ps.EnumerateArray().Any(p => p.GetProperty("name").GetString() == "If-Match" && p.GetProperty("in").GetString() == "header")
                && op.GetProperty("responses").TryGetProperty("412", out _);
        }

        Assert.True(Compares("/api/tasks/{taskId}", "patch"));
        Assert.True(Compares("/api/tasks/{taskId}", "delete"));
        Assert.True(Compares("/api/tasks/{taskId}/move", "post"));
        Assert.True(Compares("/api/labels/{labelId}", "patch"));
        Assert.True(Compares("/api/checklist-items/{itemId}", "patch"));
        Assert.True(Compares("/api/comments/{commentId}", "patch"));
        Assert.True(Compares("/api/boards/{boardId}", "patch"));
        Assert.False(Compares("/api/boards/{boardId}", "delete")); // (no version compared)
        Assert.False(Compares("/api/labels/{labelId}", "delete"));
    }

    [Fact]
    public async Task TheBoardsListCarriesItsVersion()
    {
        var edited = await CreateAsync("board");
        await (await edited.PatchAsync("second", ifMatch: "\"1\"")).Json(HttpStatusCode.OK);

        var listed = (await edited.Owner.Client.GetJson("/api/boards")).EnumerateArray().Single(b => b.GetProperty("id").GetGuid() == edited.Board);

        Assert.Equal(2, listed.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task AChecklistItemsTickIsAChangeButItsPlaceIsNot()
    {
        var item = await CreateAsync("checklist item");
        var url = item.Url;
        var task = (await item.Read()).GetProperty("taskId").GetGuid();
        var other = (await (await item.Owner.Client.PostAsJsonAsync($"/api/tasks/{task}/checklist", new { text = "other" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        var ticked = await item.Owner.Client.Patch(url, new { done = true }, ifMatch: "\"1\"");
        Assert.Equal(2, (await ticked.Json(HttpStatusCode.OK)).GetProperty("version").GetInt32());
        var moved = await item.Owner.Client.Patch(url, new { afterId = other }, ifMatch: "\"2\"");
        Assert.Equal(2, (await moved.Json(HttpStatusCode.OK)).GetProperty("version").GetInt32()); // as a task's move

        var stale = await item.Owner.Client.Patch(url, new { text = "renamed" }, ifMatch: "\"1\"");
        await stale.AssertProblem(HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task AStaleIfMatchOfAViewerOrStrangerStillHearsWhoTheyAre()
    {
        var edited = await CreateAsync("label");
        var bob = await app.SignUpAsync();

        var stranger = await bob.Client.Patch(edited.Url, edited.Body("mine"), ifMatch: "\"9\"");

        await stranger.AssertProblem(HttpStatusCode.NotFound); // not a 412 that would tell them the label exists
    }
}

public sealed class EditVersionTestsOnSqlite(SqliteApplication app) : EditVersionTests(app), IClassFixture<SqliteApplication>;

public sealed class EditVersionTestsOnMariaDb(MariaDbApplication app) : EditVersionTests(app), IClassFixture<MariaDbApplication>;

/// <summary>The migration that adds the versions: expand only, everything there starts at 1, and so does what the version
/// before inserts while the Deployment rolls (it does not name the column).</summary>
public abstract class EditVersionsMigrationTests(TaskHubApplication app)
{
    [Fact]
    public async Task WhatExistedAndWhatTheVersionBeforeInsertsDuringTheRollAreAtVersionOne()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "Card" })).GetProperty("id").GetGuid();
        Guid before1 = Guid.CreateVersion7(), before2 = Guid.CreateVersion7(), during = Guid.CreateVersion7();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var migrator = db.GetService<IMigrator>();
            var migrations = db.Database.GetMigrations().ToList();
            var added = migrations.FindIndex(m => m.EndsWith("_AddEditVersions", StringComparison.Ordinal));
            await migrator.MigrateAsync(migrations[added - 1]);
            await InsertAsync(db, board, task, before1, "existing");
            await db.Database.ExecuteSqlAsync($"INSERT INTO comments (Id, TaskId, BoardId, AuthorId, Body, Mentions, CreatedAt) VALUES ({before2}, {task}, {board}, {ada.Id}, {"existing"}, {""}, {DateTime.UtcNow})");
            await migrator.MigrateAsync();
            await InsertAsync(db, board, task, during, "during the roll"); // the version before's statement, after the migration
        }

        var labels = (await ada.Client.GetJson($"/api/boards/{board}/labels")).EnumerateArray().ToList();
        Assert.Equal([1, 1], labels.Select(l => l.GetProperty("version").GetInt32()));
        Assert.Equal(1, (await ada.Client.GetJson($"/api/tasks/{task}/comments")).EnumerateArray().Single().GetProperty("version").GetInt32());
        Assert.Equal([1, 1], (await ada.Client.GetJson($"/api/tasks/{task}/checklist")).EnumerateArray().Select(i => i.GetProperty("version").GetInt32()));
        Assert.Equal(1, (await ada.Client.GetJson($"/api/boards/{board}")).GetProperty("version").GetInt32());
        var renamed = await ada.Client.Patch($"/api/labels/{during}", new { name = "renamed" }, ifMatch: "\"1\"");
        Assert.Equal("\"2\"", renamed.Headers.ETag?.Tag);
    }

    /// <summary>A label and a checklist item as the version before inserts them (no Version column named).</summary>
    private static async Task InsertAsync(TaskHubDbContext db, Guid board, Guid task, Guid id, string text)
    {
        await db.Database.ExecuteSqlAsync($"INSERT INTO labels (Id, BoardId, Name, Color) VALUES ({id}, {board}, {text}, {"blue"})");
        await db.Database.ExecuteSqlAsync($"INSERT INTO checklist_items (Id, TaskId, BoardId, Text, Done, Position) VALUES ({Guid.CreateVersion7()}, {task}, {board}, {text}, {false}, {"a" + text.Length})");
    }
}

public sealed class EditVersionsMigrationTestsOnSqlite(SqliteApplication app) : EditVersionsMigrationTests(app), IClassFixture<SqliteApplication>;

public sealed class EditVersionsMigrationTestsOnMariaDb(MariaDbApplication app) : EditVersionsMigrationTests(app), IClassFixture<MariaDbApplication>;
