using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

public abstract class TaskTests(TaskHubApplication app)
{
    [Fact]
    public async Task CreatingATaskReturnsItWithLocationAndETagAndDefaults()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();

        var response = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "  Write the launch post  " });
        var task = await response.Json(HttpStatusCode.Created);

        Assert.Equal("Write the launch post", task.GetProperty("title").GetString());
        Assert.Equal("todo", task.GetProperty("status").GetString());
        Assert.Equal("medium", task.GetProperty("priority").GetString());
        Assert.Equal(ada.Id, task.GetProperty("createdById").GetGuid());
        Assert.Equal(1, task.GetProperty("version").GetInt32());
        Assert.Equal($"/api/tasks/{task.GetProperty("id").GetGuid()}", response.Headers.Location?.OriginalString);
        Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
        Assert.Equal(JsonValueKind.Null, task.GetProperty("completedAt").ValueKind);
    }

    [Fact]
    public async Task CreatingATaskWithEveryFieldStoresThemAndConvertsTheDeadlineToUtc()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);

        var task = await ada.CreateTaskAsync(board, new
        {
            title = "Ship", description = "All of it", status = "in_progress", priority = "urgent",
            dueAt = "2026-12-01T10:00:00+02:00", assigneeId = bob.Id, supervisorId = ada.Id,
        });

        var loaded = await ada.Client.GetJson($"/api/tasks/{task.GetProperty("id").GetGuid()}");
        Assert.Equal("All of it", loaded.GetProperty("description").GetString());
        Assert.Equal("in_progress", loaded.GetProperty("status").GetString());
        Assert.Equal("urgent", loaded.GetProperty("priority").GetString());
        Assert.Equal("2026-12-01T08:00:00Z", loaded.GetProperty("dueAt").GetString());
        Assert.Equal(bob.Id, loaded.GetProperty("assigneeId").GetGuid());
        Assert.Equal(ada.Id, loaded.GetProperty("supervisorId").GetGuid());
    }

    public static TheoryData<string, string> InvalidCreateBodies => new()
    {
        { """{"title": """, "body" },
        { """{"title": 42}""", "title" },
        { """{"title": "ok", "priority": "huge"}""", "priority" },
        { """{"title": "ok", "status": "blocked"}""", "status" },
        { """{"title": "ok", "status": 1}""", "status" },
        { """{"title": ""}""", "title" },
        { """{"title": "   "}""", "title" },
        { """{"description": "no title"}""", "title" },
        { $$"""{"title": "{{new string('x', 201)}}"}""", "title" },
        { $$"""{"title": "ok", "description": "{{new string('x', 10_001)}}"}""", "description" },
        { """{"title": "ok", "dueAt": "next friday"}""", "dueAt" },
        { """{"title": "ok", "dueAt": 12}""", "dueAt" },
        { """{"title": "ok", "assigneeId": "not-a-guid"}""", "assigneeId" },
        { """{"title": "ok", "assigneeId": "6a1a6f2e-9f64-4a4a-9b0e-5c1de5d0a001"}""", "assigneeId" },
        { """{"title": "ok", "supervisorId": "6a1a6f2e-9f64-4a4a-9b0e-5c1de5d0a001"}""", "supervisorId" },
        { """{"title": "ok", "colour": "red"}""", "colour" },
    };

    [Theory]
    [MemberData(nameof(InvalidCreateBodies))]
    public async Task CreatingATaskWithBadInputNamesTheFieldAndChangesNothing(string body, string field)
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();

        var response = await ada.Client.SendRaw(HttpMethod.Post, $"/api/boards/{board}/tasks", body);

        await response.AssertFieldError(field);
        Assert.Equal(0, await ada.LastSeqAsync(board));
        Assert.Equal(0, (await ada.Client.GetJson($"/api/boards/{board}/tasks")).GetArrayLength());
    }

    [Fact]
    public async Task AnAssigneeWhoIsNotABoardMemberIsRefused()
    {
        var ada = await app.SignUpAsync();
        var stranger = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();

        var response = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "x", assigneeId = stranger.Id });

        await response.AssertFieldError("assigneeId");
    }

    [Fact]
    public async Task ABodyOverTheSizeLimitGets413AndChangesNothing()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var huge = JsonSerializer.Serialize(new { title = "x", description = new string('x', 300_000) });

        var response = await ada.Client.SendRaw(HttpMethod.Post, $"/api/boards/{board}/tasks", huge);

        await response.AssertProblem(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task PatchingASubsetChangesOnlyThoseFieldsAndBumpsTheVersion()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = await ada.CreateTaskAsync(board, new { title = "Draft", description = "keep me", priority = "low" });
        var id = task.GetProperty("id").GetGuid();

        var response = await ada.Client.Patch($"/api/tasks/{id}", new { priority = "high" });
        var updated = await response.Json(HttpStatusCode.OK);

        Assert.Equal("high", updated.GetProperty("priority").GetString());
        Assert.Equal("Draft", updated.GetProperty("title").GetString());
        Assert.Equal("keep me", updated.GetProperty("description").GetString());
        Assert.Equal(2, updated.GetProperty("version").GetInt32());
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task NullClearsAFieldWhileAnAbsentFieldStays()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = await ada.CreateTaskAsync(board, new { title = "x", assigneeId = ada.Id, dueAt = "2026-12-24T18:00:00Z" });

        var updated = await (await ada.Client.Patch($"/api/tasks/{task.GetProperty("id").GetGuid()}", new { assigneeId = (Guid?)null })).Json(HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, updated.GetProperty("assigneeId").ValueKind);
        Assert.Equal("2026-12-24T18:00:00Z", updated.GetProperty("dueAt").GetString());
    }

    [Fact]
    public async Task MovingToDoneSetsCompletedAtAndReopeningClearsIt()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();

        var started = await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "in_progress" })).Json(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, started.GetProperty("completedAt").ValueKind);
        var done = await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "done" })).Json(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.String, done.GetProperty("completedAt").ValueKind);
        var reopened = await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "todo" })).Json(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, reopened.GetProperty("completedAt").ValueKind);
    }

    public static TheoryData<string, string> InvalidPatchBodies => new()
    {
        { """{"title": null}""", "title" },
        { """{"title": ""}""", "title" },
        { $$"""{"title": "{{new string('y', 201)}}"}""", "title" },
        { """{"status": null}""", "status" },
        { """{"status": "doing"}""", "status" },
        { """{"priority": "critical"}""", "priority" },
        { """{"dueAt": "2026-13-45"}""", "dueAt" },
        { """{"assigneeId": 7}""", "assigneeId" },
        { """{"version": 3}""", "version" },
        { """not json""", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidPatchBodies))]
    public async Task PatchingWithBadInputNamesTheFieldAndChangesNothing(string body, string field)
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "Original" })).GetProperty("id").GetGuid();

        var response = await ada.Client.SendRaw(HttpMethod.Patch, $"/api/tasks/{id}", body);

        await response.AssertFieldError(field);
        var after = await ada.Client.GetJson($"/api/tasks/{id}");
        Assert.Equal("Original", after.GetProperty("title").GetString());
        Assert.Equal(1, after.GetProperty("version").GetInt32());
        Assert.Equal(1, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task AStaleIfMatchGets412AndTheNewerEditSurvives()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "v1" })).GetProperty("id").GetGuid();

        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "v2" }, ifMatch: "\"1\"")).Json(HttpStatusCode.OK);
        var stale = await ada.Client.Patch($"/api/tasks/{id}", new { title = "lost update" }, ifMatch: "\"1\"");

        var problem = await stale.Json(HttpStatusCode.PreconditionFailed);
        Assert.Equal("\"2\"", stale.Headers.ETag?.Tag);
        Assert.Equal("v2", (await ada.Client.GetJson($"/api/tasks/{id}")).GetProperty("title").GetString());
        // it says what the task is now, as the other versioned edits' 412s do: a client can merge without reading it again
        Assert.Equal(2, problem.GetProperty("version").GetInt32());
        Assert.Equal("v2", problem.GetProperty("current").GetProperty("title").GetString());
        Assert.Equal(2, problem.GetProperty("current").GetProperty("version").GetInt32());
        Assert.Contains("“v2”", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task AnIfNoneMatchOfTheCurrentVersionGets304()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", "\"1\"");

        var response = await ada.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public async Task AnotherBoardsTaskIsNotFoundForReadEditAndDelete()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "secret" })).GetProperty("id").GetGuid();

        await (await eve.Client.GetAsync($"/api/tasks/{id}")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.Patch($"/api/tasks/{id}", new { title = "pwned" })).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.DeleteAsync($"/api/tasks/{id}")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.GetAsync($"/api/tasks/{id}/activity")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.GetAsync($"/api/boards/{board}/tasks")).AssertProblem(HttpStatusCode.NotFound);
        await (await eve.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "x" })).AssertProblem(HttpStatusCode.NotFound);
        // Exactly what a task that does not exist looks like.
        await (await eve.Client.GetAsync($"/api/tasks/{Guid.NewGuid()}")).AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal("secret", (await ada.Client.GetJson($"/api/tasks/{id}")).GetProperty("title").GetString());
    }

    [Fact]
    public async Task AViewerCanReadButNotCreateEditOrDelete()
    {
        var ada = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, vic, "viewer");
        var id = (await ada.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();

        await vic.Client.GetJson($"/api/tasks/{id}");
        await (await vic.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "y" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await vic.Client.Patch($"/api/tasks/{id}", new { status = "done" })).AssertProblem(HttpStatusCode.Forbidden);
        await (await vic.Client.DeleteAsync($"/api/tasks/{id}")).AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal(1, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task DeletingATaskRemovesItAndRecordsTheDeletion()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "gone soon" })).GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/tasks/{id}")).StatusCode);

        await (await ada.Client.GetAsync($"/api/tasks/{id}")).AssertProblem(HttpStatusCode.NotFound);
        var events = await ada.Client.GetJson($"/api/boards/{board}/events?after=1");
        var deleted = Assert.Single(events.EnumerateArray());
        Assert.Equal("TaskDeleted", deleted.GetProperty("type").GetString());
        Assert.Equal("gone soon", deleted.GetProperty("task").GetProperty("title").GetString());
    }

    [Fact]
    public async Task ListFiltersByStatusAssigneePriorityAndDeadline()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await ada.CreateTaskAsync(board, new { title = "a", status = "done", priority = "low", assigneeId = bob.Id });
        await ada.CreateTaskAsync(board, new { title = "b", priority = "high", dueAt = "2026-11-30T00:00:00Z" });
        await ada.CreateTaskAsync(board, new { title = "c", priority = "high", dueAt = "2027-01-30T00:00:00Z", assigneeId = bob.Id });

        async Task<string[]> Titles(string query) =>
            (await ada.Client.GetJson($"/api/boards/{board}/tasks{query}")).EnumerateArray().Select(t => t.GetProperty("title").GetString()!).Order().ToArray();

        Assert.Equal(["a", "b", "c"], await Titles(""));
        Assert.Equal(["a"], await Titles("?status=done"));
        Assert.Equal(["b", "c"], await Titles("?status=todo,in_progress"));
        Assert.Equal(["a", "c"], await Titles($"?assigneeId={bob.Id}"));
        Assert.Equal(["b", "c"], await Titles("?priority=high"));
        Assert.Equal(["b"], await Titles("?dueBefore=2026-12-31T00:00:00Z"));
        Assert.Equal(["c"], await Titles($"?priority=high&assigneeId={bob.Id}"));
        await (await ada.Client.GetAsync($"/api/boards/{board}/tasks?status=blocked")).AssertFieldError("status");
        await (await ada.Client.GetAsync($"/api/boards/{board}/tasks?dueBefore=soon")).AssertFieldError("dueBefore");
        await (await ada.Client.GetAsync($"/api/boards/{board}/tasks?assigneeId=bob")).AssertFieldError("assigneeId");
    }

    [Fact]
    public async Task MyTasksListsWhatIsAssignedToMeAcrossBoards()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var first = await ada.CreateBoardAsync("one");
        var second = await bob.CreateBoardAsync("two");
        await ada.AddMemberAsync(first, bob);
        await ada.CreateTaskAsync(first, new { title = "mine on one", assigneeId = bob.Id });
        await ada.CreateTaskAsync(first, new { title = "not mine" });
        await bob.CreateTaskAsync(second, new { title = "mine on two", assigneeId = bob.Id, status = "done" });

        var all = await bob.Client.GetJson("/api/me/tasks");
        var open = await bob.Client.GetJson("/api/me/tasks?status=todo");

        Assert.Equal(["mine on one", "mine on two"], all.EnumerateArray().Select(t => t.GetProperty("title").GetString()!).Order().ToArray());
        Assert.Equal("mine on one", Assert.Single(open.EnumerateArray()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task AnUnchangedPatchDoesNotRecordAnEvent()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "same", priority = "low" })).GetProperty("id").GetGuid();

        var same = await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "same", priority = "low" })).Json(HttpStatusCode.OK);

        Assert.Equal(1, same.GetProperty("version").GetInt32());
        Assert.Equal(1, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task RequestsWithoutATokenAreUnauthorized()
    {
        var anon = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync("/api/boards")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anon.GetAsync($"/api/tasks/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithToken("garbage").GetAsync("/api/me")).StatusCode);
    }
}

public sealed class TaskTestsOnSqlite(SqliteApplication app) : TaskTests(app), IClassFixture<SqliteApplication>;

public sealed class TaskTestsOnMariaDb(MariaDbApplication app) : TaskTests(app), IClassFixture<MariaDbApplication>;
