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

/// <summary>Cards a team works in: their order, comments with mentions, checklists, labels, archive.</summary>
public abstract class CardsTests(TaskHubApplication app)
{
    private static async Task<List<string>> ColumnAsync(TestUser user, Guid board, string status) =>
        (await user.Client.GetJson($"/api/boards/{board}/tasks?status={status}")).EnumerateArray()
            .Select(t => t.GetProperty("title").GetString()!).ToList();

    private static Task<HttpResponseMessage> MoveAsync(TestUser user, Guid task, string status, Guid? afterId) =>
        user.Client.PostAsJsonAsync($"/api/tasks/{task}/move", new { status, afterId });

    private static Guid Id(JsonElement e) => e.GetProperty("id").GetGuid();

    [Fact]
    public async Task ACardGoesWhereItIsDroppedInAnyColumnAndEveryClientSeesTheSameOrder()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var a = Id(await ada.CreateTaskAsync(board, new { title = "a", priority = "low" }));
        var b = Id(await ada.CreateTaskAsync(board, new { title = "b", priority = "urgent" }));
        var c = Id(await ada.CreateTaskAsync(board, new { title = "c" }));
        Assert.Equal(["a", "b", "c"], await ColumnAsync(ada, board, "todo")); // new cards go to the bottom

        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, await ada.LastSeqAsync(board));
        var moved = await (await MoveAsync(ada, c, "todo", a)).Json(HttpStatusCode.OK);
        Assert.Equal(["a", "c", "b"], await ColumnAsync(ada, board, "todo"));
        await (await MoveAsync(ada, b, "todo", null)).Json(HttpStatusCode.OK);
        Assert.Equal(["b", "a", "c"], await ColumnAsync(ada, board, "todo"));
        await (await MoveAsync(ada, a, "in_progress", null)).Json(HttpStatusCode.OK);
        await (await MoveAsync(ada, c, "in_progress", a)).Json(HttpStatusCode.OK);
        Assert.Equal(["b"], await ColumnAsync(ada, board, "todo"));
        Assert.Equal(["a", "c"], await ColumnAsync(ada, board, "in_progress"));

        // The live client got each move as a TaskMoved event carrying the new position (and status when it changed).
        Assert.True(await LiveBoard.EventuallyAsync(() => live.AppliedEvents.Count(e => e.Type == "TaskMoved") == 4));
        Assert.Equal(4, live.ReceivedLive.Count(e => e.Type == "TaskMoved")); // pushed, not fetched
        var toInProgress = live.AppliedEvents.First(e => e.Type == "TaskMoved" && e.Changes.Any(x => x.Field == "status"));
        Assert.Contains(toInProgress.Changes, x => x.Field == "status" && x.To == "in_progress");
        Assert.Equal(moved.GetProperty("position").GetString(), live.AppliedEvents.First(e => e.Type == "TaskMoved").Task!.Position);
        // A move changes where the card sits, not what it says: its version (the ETag for edits) stays.
        Assert.Equal(1, moved.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task AMoveBelowACardThatSharesItsPositionWithTheNextLandsBetweenThem()
    {
        // a status change by PATCH keeps the card's position: two cards each created alone in To do ("V") and
        // patched to In progress share one key, told apart by id only
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var x = Id(await ada.CreateTaskAsync(board, new { title = "x" }));
        await ada.Client.PatchAsJsonAsync($"/api/tasks/{x}", new { status = "in_progress" });
        var y = Id(await ada.CreateTaskAsync(board, new { title = "y" }));
        await ada.Client.PatchAsJsonAsync($"/api/tasks/{y}", new { status = "in_progress" });
        var column = (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=in_progress")).EnumerateArray().ToList();
        Assert.Equal(column[0].GetProperty("position").GetString(), column[1].GetProperty("position").GetString());
        var (upper, lower) = (column[0].GetProperty("title").GetString()!, column[1].GetProperty("title").GetString()!);
        var m = Id(await ada.CreateTaskAsync(board, new { title = "m" }));

        await (await MoveAsync(ada, m, "in_progress", Id(column[0]))).Json(HttpStatusCode.OK);

        Assert.Equal([upper, "m", lower], await ColumnAsync(ada, board, "in_progress"));
        var positions = (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=in_progress")).EnumerateArray().Select(t => t.GetProperty("position").GetString()).ToList();
        Assert.Equal(positions.Count, positions.Distinct().Count()); // the column was re-spread: no ties left
    }

    [Fact]
    public async Task CardsDroppedIntoOneSlotAtTheSameMomentAllLandInOneOrderForEveryone()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        var anchor = Id(await ada.CreateTaskAsync(board, new { title = "anchor" }));
        var last = Id(await ada.CreateTaskAsync(board, new { title = "last" }));
        var dropped = new List<Guid>();
        for (var i = 0; i < 8; i++) dropped.Add(Id(await ada.CreateTaskAsync(board, new { title = $"d{i}", status = "done" })));

        var responses = await Task.WhenAll(dropped.Select((id, i) => MoveAsync(i % 2 == 0 ? ada : bob, id, "todo", anchor)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));

        var seenByAda = await ColumnAsync(ada, board, "todo");
        var seenByBob = await ColumnAsync(bob, board, "todo");
        Assert.Equal(seenByAda, seenByBob);
        Assert.Equal(10, seenByAda.Count);
        Assert.Equal("anchor", seenByAda[0]);
        Assert.Equal("last", seenByAda[^1]);
        // Positions are distinct: the order is fully decided by them, the same on every screen.
        var positions = (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=todo")).EnumerateArray().Select(t => t.GetProperty("position").GetString()).ToList();
        Assert.Equal(positions.Count, positions.Distinct().Count());
        Assert.Equal(positions, positions.Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public async Task AMoveIsRefusedWithTheFieldNamedAndNothingChanges()
    {
        var ada = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var other = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, vic, "viewer");
        var a = Id(await ada.CreateTaskAsync(board, new { title = "a" }));
        var done = Id(await ada.CreateTaskAsync(board, new { title = "done", status = "done" }));
        var elsewhere = Id(await ada.CreateTaskAsync(other, new { title = "elsewhere" }));
        var seq = await ada.LastSeqAsync(board);

        await (await MoveAsync(ada, a, "todo", done)).AssertFieldError("afterId");       // in another column
        await (await MoveAsync(ada, a, "todo", elsewhere)).AssertFieldError("afterId");  // on another board
        await (await MoveAsync(ada, a, "todo", a)).AssertFieldError("afterId");
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{a}/move", new { afterId = done })).AssertFieldError("status");
        Assert.Equal(HttpStatusCode.Forbidden, (await MoveAsync(vic, a, "done", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await MoveAsync(eve, a, "done", null)).StatusCode);
        Assert.Equal(seq, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task CommentsRenderSafelyMentionMembersAndCountOnTheCard()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var eve = await app.SignUpAsync("Eve");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        var task = Id(await ada.CreateTaskAsync(board, new { title = "Plan" }));

        var body = $"Hi @[Bob]({bob.Id}), **see** [this](javascript:alert(1)) and <script>alert(2)</script> https://example.com";
        var comment = await (await ada.Client.PostAsJsonAsync($"/api/tasks/{task}/comments", new { body })).Json(HttpStatusCode.Created);
        Assert.Equal(bob.Id, Assert.Single(comment.GetProperty("mentions").EnumerateArray()).GetGuid());
        var html = comment.GetProperty("bodyHtml").GetString()!;
        Assert.Contains("<strong>see</strong>", html);
        Assert.Contains($"<span class=\"mention\" data-user-id=\"{bob.Id}\">@Bob</span>", html);
        Assert.Contains("@Bob", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("javascript:", html);
        Assert.Contains("href=\"https://example.com\"", html);
        Assert.Equal(1, (await ada.Client.GetJson($"/api/tasks/{task}")).GetProperty("commentCount").GetInt32());

        // Bob hears of the mention in his inbox.
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await bob.Client.GetJson("/api/me/notifications")).EnumerateArray()
            .Any(n => n.GetProperty("kind").GetString() == "mention" && n.GetProperty("taskId").GetGuid() == task)));

        var seq = await ada.LastSeqAsync(board);
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{task}/comments", new { body = $"@[Eve]({eve.Id}) look" })).AssertFieldError("body");
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{task}/comments", new { body = "   " })).AssertFieldError("body");
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{task}/comments", new { body = new string('x', 10_001) })).AssertFieldError("body");
        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.GetAsync($"/api/tasks/{task}/comments")).StatusCode);
        Assert.Equal(seq, await ada.LastSeqAsync(board));

        var id = Id(comment);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Client.Patch($"/api/comments/{id}", new { body = "mine now" })).StatusCode);
        var edited = await (await ada.Client.Patch($"/api/comments/{id}", new { body = "Edited" })).Json(HttpStatusCode.OK);
        Assert.NotEqual(JsonValueKind.Null, edited.GetProperty("editedAt").ValueKind);
        var list = await ada.Client.GetJson($"/api/tasks/{task}/comments");
        Assert.Equal("Edited", Assert.Single(list.EnumerateArray()).GetProperty("body").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Client.DeleteAsync($"/api/comments/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/comments/{id}")).StatusCode);
        Assert.Equal(0, (await ada.Client.GetJson($"/api/tasks/{task}")).GetProperty("commentCount").GetInt32());

        var types = (await ada.Client.GetJson($"/api/boards/{board}/events")).EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["TaskCreated", "CommentAdded", "CommentEdited", "CommentDeleted"], types);
    }

    [Fact]
    public async Task AChecklistShowsItsProgressOnTheCardAndItsItemsReorder()
    {
        var ada = await app.SignUpAsync();
        var vic = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, vic, "viewer");
        var task = Id(await ada.CreateTaskAsync(board, new { title = "Release" }));
        var ids = new List<Guid>();
        foreach (var text in new[] { "build", "test", "ship" })
            ids.Add(Id(await (await ada.Client.PostAsJsonAsync($"/api/tasks/{task}/checklist", new { text })).Json(HttpStatusCode.Created)));

        await (await ada.Client.Patch($"/api/checklist-items/{ids[1]}", new { done = true })).Json(HttpStatusCode.OK);
        var card = await ada.Client.GetJson($"/api/tasks/{task}");
        Assert.Equal(1, card.GetProperty("checklist").GetProperty("done").GetInt32());
        Assert.Equal(3, card.GetProperty("checklist").GetProperty("total").GetInt32());
        Assert.Equal(1, card.GetProperty("version").GetInt32()); // ticking an item does not make an open edit stale

        await (await ada.Client.Patch($"/api/checklist-items/{ids[2]}", new { afterId = (Guid?)null })).Json(HttpStatusCode.OK);
        await (await ada.Client.Patch($"/api/checklist-items/{ids[0]}", new { afterId = ids[1] })).Json(HttpStatusCode.OK);
        var items = (await ada.Client.GetJson($"/api/tasks/{task}/checklist")).EnumerateArray().Select(i => i.GetProperty("text").GetString()).ToList();
        Assert.Equal(["ship", "test", "build"], items);

        Assert.Equal(HttpStatusCode.Forbidden, (await vic.Client.Patch($"/api/checklist-items/{ids[0]}", new { done = true })).StatusCode);
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{task}/checklist", new { text = "" })).AssertFieldError("text");
        await (await ada.Client.Patch($"/api/checklist-items/{ids[0]}", new { afterId = Guid.NewGuid() })).AssertFieldError("afterId");
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/checklist-items/{ids[1]}")).StatusCode);
        card = await ada.Client.GetJson($"/api/tasks/{task}");
        Assert.Equal(0, card.GetProperty("checklist").GetProperty("done").GetInt32());
        Assert.Equal(2, card.GetProperty("checklist").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task LabelsBelongToTheirBoardFilterTheListAndLeaveEveryTaskWhenDeleted()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var other = await ada.CreateBoardAsync();
        var bug = Id(await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = "bug", color = "red" })).Json(HttpStatusCode.Created));
        var ux = Id(await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = "ux", color = "blue" })).Json(HttpStatusCode.Created));
        var foreign = Id(await (await ada.Client.PostAsJsonAsync($"/api/boards/{other}/labels", new { name = "theirs", color = "green" })).Json(HttpStatusCode.Created));
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = "x", color = "#ff0000" })).AssertFieldError("color");
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = " ", color = "red" })).AssertFieldError("name");

        var t1 = Id(await ada.CreateTaskAsync(board, new { title = "crash", labelIds = new[] { bug } }));
        var t2 = Id(await ada.CreateTaskAsync(board, new { title = "polish" }));
        await (await ada.Client.Patch($"/api/tasks/{t2}", new { labelIds = new[] { ux, bug } })).Json(HttpStatusCode.OK);
        await (await ada.Client.Patch($"/api/tasks/{t2}", new { labelIds = new[] { foreign } })).AssertFieldError("labelIds");
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "nope", labelIds = new[] { foreign } })).AssertFieldError("labelIds");

        var withUx = (await ada.Client.GetJson($"/api/boards/{board}/tasks?labelId={ux}")).EnumerateArray().Select(t => t.GetProperty("title").GetString()).ToList();
        Assert.Equal(["polish"], withUx);

        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/labels/{bug}")).StatusCode);
        Assert.Empty((await ada.Client.GetJson($"/api/tasks/{t1}")).GetProperty("labelIds").EnumerateArray());
        Assert.Equal([ux], (await ada.Client.GetJson($"/api/tasks/{t2}")).GetProperty("labelIds").EnumerateArray().Select(x => x.GetGuid()));
        var events = (await ada.Client.GetJson($"/api/boards/{board}/events")).EnumerateArray().ToList();
        var labelEvents = events.Where(e => e.GetProperty("type").GetString() == "LabelsChanged").ToList();
        Assert.Equal(3, labelEvents.Count); // bug created, ux created, bug deleted
        Assert.Equal(JsonValueKind.Null, labelEvents[^1].GetProperty("task").ValueKind);
        Assert.Equal(bug, labelEvents[^1].GetProperty("label").GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task AWornOutGapRespreadsItsColumnAsOneEventAndEveryClientDerivesTheServersOrder()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var top = Id(await ada.CreateTaskAsync(board, new { title = "top" }));
        var lo = Id(await ada.CreateTaskAsync(board, new { title = "lo" }));
        var hi = Id(await ada.CreateTaskAsync(board, new { title = "hi" }));
        await ada.CreateTaskAsync(board, new { title = "bottom" });
        var movers = new List<Guid>();
        for (var i = 0; i < 40; i++) movers.Add(Id(await ada.CreateTaskAsync(board, new { title = $"m{i:00}", status = "done" })));
        // A gap close to worn out, as hundreds of inserts into it would leave it: lo and hi differ only in their 200th digit.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var loKey = new string('V', Positions.Longest - 2);
            var hiKey = new string('V', Positions.Longest - 3) + "W";
            await db.Tasks.Where(t => t.Id == lo).ExecuteUpdateAsync(s => s.SetProperty(t => t.Position, loKey));
            await db.Tasks.Where(t => t.Id == hi).ExecuteUpdateAsync(s => s.SetProperty(t => t.Position, hiKey));
        }

        // What a client starts from (the list at X-Board-Seq), then what it applies live.
        var list = await ada.Client.GetAsync($"/api/boards/{board}/tasks");
        var startSeq = long.Parse(list.Headers.GetValues("X-Board-Seq").Single(), System.Globalization.CultureInfo.InvariantCulture);
        var client = (await list.Json(HttpStatusCode.OK)).EnumerateArray().ToDictionary(Id,
            t => (Title: t.GetProperty("title").GetString()!, Status: t.GetProperty("status").GetString()!, Position: t.GetProperty("position").GetString()!));
        await using var live = await LiveBoard.ConnectAsync(app, ada);
        await live.JoinAsync(board, startSeq);

        // Insert into that one gap (right after lo) until it wears out.
        List<JsonElement> respreadMove = [];
        var seq = startSeq;
        foreach (var mover in movers)
        {
            await (await MoveAsync(ada, mover, "todo", lo)).Json(HttpStatusCode.OK);
            var events = (await ada.Client.GetJson($"/api/boards/{board}/events?after={seq}")).EnumerateArray().ToList();
            seq = events[^1].GetProperty("seq").GetInt64();
            if (events.Any(e => e.GetProperty("type").GetString() == "ColumnRespread")) { respreadMove = events; break; }
            Assert.Equal(["TaskMoved"], events.Select(e => e.GetProperty("type").GetString())); // an ordinary move: one event
        }
        Assert.NotEmpty(respreadMove); // it did wear out
        Assert.True(movers.IndexOf(respreadMove[^1].GetProperty("task").GetProperty("id").GetGuid()) > 3); // after a few plain inserts

        // That move is exactly two events: one ColumnRespread (no task; every card of the column with its new position,
        // top to bottom) and the moving task's own TaskMoved — not one TaskMoved per card of the column.
        Assert.Equal(["ColumnRespread", "TaskMoved"], respreadMove.Select(e => e.GetProperty("type").GetString()));
        var respread = respreadMove[0];
        Assert.Equal(JsonValueKind.Null, respread.GetProperty("task").ValueKind);
        Assert.Equal("todo", respread.GetProperty("column").GetProperty("status").GetString());
        var positions = respread.GetProperty("column").GetProperty("positions").EnumerateArray()
            .Select(p => (TaskId: p.GetProperty("taskId").GetGuid(), Position: p.GetProperty("position").GetString()!)).ToList();
        var moved = respreadMove[1];
        var mover2 = moved.GetProperty("task").GetProperty("id").GetGuid();
        Assert.Contains(moved.GetProperty("changes").EnumerateArray(), c => c.GetProperty("field").GetString() == "status" && c.GetProperty("to").GetString() == "todo");
        Assert.Contains((mover2, moved.GetProperty("task").GetProperty("position").GetString()!), positions);
        Assert.All(positions, p => Assert.True(p.Position.Length <= 3, p.Position)); // short again
        Assert.Equal(positions.Select(p => p.Position).Order(StringComparer.Ordinal), positions.Select(p => p.Position));

        var apiOrder = await ColumnAsync(ada, board, "todo");
        Assert.Equal(apiOrder.Count, positions.Count);
        Assert.Equal(apiOrder, positions.Select(p => client[p.TaskId].Title));

        // The live client got the respread pushed and, applying events as a browser does, derives the server's order.
        Assert.True(await LiveBoard.EventuallyAsync(() => live.Applied == seq));
        Assert.Contains(live.ReceivedLive, e => e.Type == "ColumnRespread");
        foreach (var e in live.AppliedEvents)
        {
            if (e.Type == "ColumnRespread")
                foreach (var p in e.Column!.Positions) client[p.TaskId] = client[p.TaskId] with { Position = p.Position };
            else if (e.Task is { } t)
                client[t.Id] = client[t.Id] with { Status = TaskHub.Server.Infrastructure.TaskHubJson.EnumName(t.Status), Position = t.Position };
        }
        var derived = client.Where(x => x.Value.Status == "todo").OrderBy(x => x.Value.Position, StringComparer.Ordinal).ThenBy(x => x.Key)
            .Select(x => x.Value.Title).ToList();
        Assert.Equal(apiOrder, derived);
        Assert.Equal("top", apiOrder[0]);
        Assert.Equal(["lo", client[mover2].Title], apiOrder.Skip(1).Take(2)); // the newest insert sits right after lo

        // A respread is bookkeeping, not a change anyone made: it is in no task's history.
        Assert.Equal(["TaskCreated"], (await ada.Client.GetJson($"/api/tasks/{top}/activity")).EnumerateArray().Select(e => e.GetProperty("type").GetString()));
        Assert.Equal(["TaskMoved", "TaskCreated"], (await ada.Client.GetJson($"/api/tasks/{mover2}/activity")).EnumerateArray().Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task AnArchivedTaskLeavesTheBoardAndComesBack()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var t = Id(await ada.CreateTaskAsync(board, new { title = "old" }));
        await ada.CreateTaskAsync(board, new { title = "current" });

        var archived = await (await ada.Client.PostAsync($"/api/tasks/{t}/archive", null)).Json(HttpStatusCode.OK);
        Assert.NotEqual(JsonValueKind.Null, archived.GetProperty("archivedAt").ValueKind);
        Assert.Equal(["current"], await ColumnAsync(ada, board, "todo"));
        Assert.Equal(["old"], (await ada.Client.GetJson($"/api/boards/{board}/tasks?archived=true")).EnumerateArray().Select(x => x.GetProperty("title").GetString()));
        await (await ada.Client.PostAsync($"/api/tasks/{t}/unarchive", null)).Json(HttpStatusCode.OK);
        Assert.Equal(["current", "old"], await ColumnAsync(ada, board, "todo"));
    }
}

public sealed class CardsTestsOnSqlite(SqliteApplication app) : CardsTests(app), IClassFixture<SqliteApplication>;

public sealed class CardsTestsOnMariaDb(MariaDbApplication app) : CardsTests(app), IClassFixture<MariaDbApplication>;

/// <summary>
/// The migration that added positions gives the tasks of existing boards today's order (priority, then age):
/// the schema is taken back to before it, tasks are written the old way, and the migration runs again.
/// </summary>
public abstract class PositionsMigrationTests(TaskHubApplication app)
{
    [Fact]
    public async Task ExistingTasksGetPositionsInTodaysOrder()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var migrator = db.GetService<IMigrator>();
            var before = db.Database.GetMigrations().Last(m => m.EndsWith("_Jobs", StringComparison.Ordinal)); // the last one before positions
            await migrator.MigrateAsync(before);
            var t0 = new DateTime(2026, 11, 1, 9, 0, 0, DateTimeKind.Utc);
            (string Title, string Priority, string Status, int Minutes)[] rows =
                [("low old", "Low", "Todo", 0), ("urgent new", "Urgent", "Todo", 30), ("medium", "Medium", "Todo", 10),
                 ("urgent old", "Urgent", "Todo", 5), ("done", "High", "Done", 1)];
            foreach (var (title, priority, status, minutes) in rows)
            {
                var at = t0.AddMinutes(minutes);
                await db.Database.ExecuteSqlAsync($"""
                    INSERT INTO tasks (Id, BoardId, Title, Description, Status, Priority, DueAt, AssigneeId, SupervisorId, CreatedById, CreatedAt, UpdatedAt, CompletedAt, Version)
                    VALUES ({Guid.CreateVersion7()}, {board}, {title}, {null as string}, {status}, {priority}, {null as DateTime?}, {null as Guid?}, {null as Guid?}, {ada.Id}, {at}, {at}, {null as DateTime?}, {1})
                    """);
            }
            await migrator.MigrateAsync();
        }
        var todo = (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=todo")).EnumerateArray().ToList();
        Assert.Equal(["urgent old", "urgent new", "medium", "low old"], todo.Select(t => t.GetProperty("title").GetString()));
        Assert.Equal(["a00000001", "a00000002", "a00000003", "a00000004"], todo.Select(t => t.GetProperty("position").GetString()));
        Assert.Equal("a00000001", (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=done")).EnumerateArray().Single().GetProperty("position").GetString());

        // New cards and moves continue from there.
        await ada.CreateTaskAsync(board, new { title = "newest" });
        Assert.Equal("newest", (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=todo")).EnumerateArray().Last().GetProperty("title").GetString());
    }
}

public sealed class PositionsMigrationTestsOnSqlite(SqliteApplication app) : PositionsMigrationTests(app), IClassFixture<SqliteApplication>;

public sealed class PositionsMigrationTestsOnMariaDb(MariaDbApplication app) : PositionsMigrationTests(app), IClassFixture<MariaDbApplication>;
