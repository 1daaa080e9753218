using System.Net;
using System.Net.Http.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Activity;

public abstract class BoardEventTests(TaskHubApplication app)
{
    [Fact]
    public async Task EveryChangeIsAnEventWithTheNextSeqAndWhatChanged()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "in_progress", title = "y" })).Json(HttpStatusCode.OK);

        var events = (await ada.Client.GetJson($"/api/boards/{board}/events?after=0")).EnumerateArray().ToList();

        Assert.Equal([1L, 2L], events.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(["TaskCreated", "TaskUpdated"], events.Select(e => e.GetProperty("type").GetString()));
        var update = events[1];
        Assert.Equal(ada.Id, update.GetProperty("actorId").GetGuid());
        Assert.Equal(board, update.GetProperty("boardId").GetGuid());
        Assert.Equal("y", update.GetProperty("task").GetProperty("title").GetString());
        var changes = update.GetProperty("changes").EnumerateArray()
            .Select(c => $"{c.GetProperty("field").GetString()}:{c.GetProperty("from").GetString()}→{c.GetProperty("to").GetString()}");
        Assert.Equal(["title:x→y", "status:todo→in_progress"], changes);
    }

    [Fact]
    public async Task EventsAfterASeqAreOnlyTheNewerOnes()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        for (var i = 0; i < 5; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });

        var events = await ada.Client.GetJson($"/api/boards/{board}/events?after=3");
        Assert.Equal([4L, 5L], events.EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(2, (await ada.Client.GetJson($"/api/boards/{board}/events?after=0&limit=2")).GetArrayLength());
        await (await ada.Client.GetAsync($"/api/boards/{board}/events?after=minus-one")).AssertFieldError("after");
        await (await ada.Client.GetAsync($"/api/boards/{board}/events?limit=0")).AssertFieldError("limit");
    }

    [Fact]
    public async Task ATasksActivityIsItsHistoryNewestFirst()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "x" })).GetProperty("id").GetGuid();
        await ada.CreateTaskAsync(board, new { title = "other" });
        await (await ada.Client.Patch($"/api/tasks/{id}", new { priority = "urgent" })).Json(HttpStatusCode.OK);
        await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "done" })).Json(HttpStatusCode.OK);

        var activity = (await ada.Client.GetJson($"/api/tasks/{id}/activity")).EnumerateArray().ToList();

        Assert.Equal([4L, 3L, 1L], activity.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(activity, e => Assert.Equal(id, e.GetProperty("task").GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task ConcurrentWritersGetGapFreeUniqueSeqs()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var seed = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => ada.CreateTaskAsync(board, new { title = $"seed {i}" })));
        var ids = seed.Select(t => t.GetProperty("id").GetGuid()).ToArray();

        // 60 writers at once: creates, and edits of the same few tasks (each an independent request).
        var writes = Enumerable.Range(0, 60).Select(i => i % 3 == 0
            ? ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = $"c{i}" })
            : ada.Client.Patch($"/api/tasks/{ids[i % ids.Length]}", new { title = $"e{i}" }));
        var responses = await Task.WhenAll(writes);
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode, $"{(int)r.StatusCode}"));

        var seqs = (await ada.Client.GetJson($"/api/boards/{board}/events?after=0")).EnumerateArray()
            .Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(1, 64).Select(i => (long)i), seqs);
        Assert.Equal(64, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task SeqsAreCountedPerBoard()
    {
        var ada = await app.SignUpAsync();
        var one = await ada.CreateBoardAsync("one");
        var two = await ada.CreateBoardAsync("two");
        await ada.CreateTaskAsync(one, new { title = "a" });
        await ada.CreateTaskAsync(one, new { title = "b" });
        await ada.CreateTaskAsync(two, new { title = "c" });

        Assert.Equal(2, await ada.LastSeqAsync(one));
        Assert.Equal(1, await ada.LastSeqAsync(two));
    }
}

public sealed class BoardEventTestsOnSqlite(SqliteApplication app) : BoardEventTests(app), IClassFixture<SqliteApplication>;

public sealed class BoardEventTestsOnMariaDb(MariaDbApplication app) : BoardEventTests(app), IClassFixture<MariaDbApplication>;
