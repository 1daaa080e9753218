using System.Net;
using System.Text.Json.Nodes;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// Delta events (<c>/hubs/board?events=delta</c>, docs/api.md): a TaskUpdated/TaskMoved carries only the changed fields
/// and the declared extras, a TaskDeleted only the id, in JSON and MessagePack alike; a join's catch-up gives the same
/// messages the connection got live; a connection that did not ask keeps the documented full shape.
/// </summary>
public abstract class DeltaEventsTests(TaskHubApplication app)
{
    [Fact]
    public async Task ADeltaConnectionGetsTheChangedFieldsOnlyAndAFullOneTheDocumentedShape() =>
        await DeltaShapes.AssertAsync(app, app);
}

public sealed class DeltaEventsTestsOnSqlite(SqliteApplication app) : DeltaEventsTests(app), IClassFixture<SqliteApplication>;

public sealed class DeltaEventsTestsOnMariaDb(MariaDbApplication app) : DeltaEventsTests(app), IClassFixture<MariaDbApplication>;

/// <summary>Through the Redis backplane: the writes on one replica, the viewers on the other.</summary>
public sealed class DeltaEventsAcrossReplicasTests(ScaleOutCluster cluster) : IClassFixture<ScaleOutCluster>
{
    [Fact]
    public async Task ADeltaConnectionOnTheOtherReplicaGetsTheChangedFieldsOnly() =>
        await DeltaShapes.AssertAsync(cluster.A, cluster.B);
}

internal static class DeltaShapes
{
    private static readonly string[] TaskEvents = ["TaskCreated", "TaskUpdated", "TaskMoved", "TaskDeleted"];

    public static async Task AssertAsync(TaskHubApplication writeSide, TaskHubApplication viewSide)
    {
        var ada = await writeSide.SignUpAsync();
        var bob = await writeSide.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var json = await RawHub.ConnectAsync(viewSide, ada, messagePack: false, delta: true);
        await using var pack = await RawHub.ConnectAsync(viewSide, ada, messagePack: true, delta: true);
        await using var full = await RawHub.ConnectAsync(viewSide, ada, messagePack: true);
        foreach (var h in new[] { json, pack, full }) await h.JoinAsync(board, null);

        var longText = new string('x', 2000); // a big field that does not change must not travel
        var id = (await bob.CreateTaskAsync(board, new { title = "Write the post", description = longText })).GetProperty("id").GetGuid();
        await (await bob.Client.Patch($"/api/tasks/{id}", new { title = "Write the “launch” post", status = "done" })).Json(HttpStatusCode.OK);
        await (await bob.Client.Patch($"/api/tasks/{id}", new { priority = "high" })).Json(HttpStatusCode.OK);
        await (await bob.Client.PostAsync($"/api/tasks/{id}/move", System.Net.Http.Json.JsonContent.Create(new { status = "todo" }))).Json(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await bob.Client.DeleteAsync($"/api/tasks/{id}")).StatusCode);

        Assert.True(await LiveBoard.EventuallyAsync(() => new[] { json, pack, full }.All(h => h.All(TaskEvents).Count == 5), 30),
            $"JSON got [{string.Join(", ", json.Received.Select(r => r.Method))}], full got [{string.Join(", ", full.Received.Select(r => r.Method))}]");
        var live = pack.All(TaskEvents);

        // The same trees in JSON and MessagePack.
        var fromJson = json.All(TaskEvents);
        for (var i = 0; i < live.Count; i++)
            Assert.True(JsonNode.DeepEquals(fromJson[i], live[i]), $"JSON        {fromJson[i].ToJsonString()}\nMessagePack {live[i].ToJsonString()}");

        // TaskCreated keeps the whole task.
        Assert.Equal("Write the post", (string?)live[0]["task"]!["title"]);

        // A rename and a status change: those two fields, the version, the card's place and completedAt — no task, no `from`
        // (updatedAt is the event's `at`, so it is left out).
        var renamed = live[1].AsObject();
        Assert.Equal(["boardId", "seq", "type", "taskId", "actorId", "at", "version", "changes", "status", "position", "completedAt"],
            renamed.Select(p => p.Key));
        Assert.Equal(id.ToString(), (string?)renamed["taskId"]);
        Assert.Equal(2, (int)renamed["version"]!);
        Assert.Equal("done", (string?)renamed["status"]);
        Assert.NotNull((string?)renamed["completedAt"]);
        Assert.Equal([("title", "Write the “launch” post"), ("status", "done")],
            renamed["changes"]!.AsArray().Select(c => ((string)c!["field"]!, (string?)c["to"])));
        Assert.All(renamed["changes"]!.AsArray(), c => Assert.Equal(["field", "to"], c!.AsObject().Select(p => p.Key)));
        Assert.DoesNotContain(longText, renamed.ToJsonString());

        // A priority change by a person: escalatedAt goes with it (null: not the system's doing), the place does not.
        var priority = live[2].AsObject();
        Assert.Equal(["boardId", "seq", "type", "taskId", "actorId", "at", "version", "changes", "escalatedAt"], priority.Select(p => p.Key));
        Assert.Null(priority["escalatedAt"]);

        // A move: status, position and completedAt (cleared).
        var moved = live[3].AsObject();
        Assert.Equal("TaskMoved", (string?)moved["type"]);
        Assert.Equal("todo", (string?)moved["status"]);
        Assert.False(string.IsNullOrEmpty((string?)moved["position"]));
        Assert.True(moved.ContainsKey("completedAt") && moved["completedAt"] is null);

        // A deletion: the id and nothing of the task.
        Assert.Equal(["boardId", "seq", "type", "taskId", "actorId", "at"], live[4].AsObject().Select(p => p.Key));

        // Whoever did not ask keeps the documented shape.
        foreach (var e in full.All(TaskEvents))
            Assert.Equal(["boardId", "seq", "type", "task", "actorId", "changes", "at"], e.AsObject().Select(p => p.Key));
        Assert.Contains(longText, full.All(TaskEvents)[1].ToJsonString());

        // A join's catch-up gives what the connection would have got live.
        await using var late = await RawHub.ConnectAsync(viewSide, ada, messagePack: true, delta: true);
        await late.JoinAsync(board, 0);
        Assert.True(await LiveBoard.EventuallyAsync(() => late.All(TaskEvents).Count == 5));
        var replayed = late.All(TaskEvents);
        for (var i = 0; i < live.Count; i++)
        {
            // `at` is read back from its column (MariaDB keeps microseconds): the same instant, maybe shorter
            Assert.True(Math.Abs(((DateTime)live[i]["at"]!.AsValue() - (DateTime)replayed[i]["at"]!.AsValue()).TotalMilliseconds) < 1);
            var (a, b) = (WithoutAt(live[i]), WithoutAt(replayed[i]));
            Assert.True(JsonNode.DeepEquals(a, b), $"live     {Short(a)}\nreplayed {Short(b)}");
        }
    }

    private static JsonNode WithoutAt(JsonNode e)
    {
        var copy = e.DeepClone().AsObject();
        copy.Remove("at");
        return copy;
    }

    private static string Short(JsonNode e) => e.ToJsonString().Replace(new string('x', 2000), "x…");
}
