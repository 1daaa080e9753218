using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ical.Net;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Boards;

/// <summary>Calendar feeds, export (JSON, CSV), import of a TaskHub export and of a Trello export.</summary>
public abstract class TransferTests(TaskHubApplication app)
{
    private static MultipartFormDataContent Upload(string json, string? mapping = null)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(json)), "file", "board.json" } };
        if (mapping is not null) form.Add(new StringContent(mapping), "mapping");
        return form;
    }

    [Fact]
    public async Task TheCalendarFeedListsMyDeadlinesAndAResetKillsTheOldUrl()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync("Launch");
        await ada.AddMemberAsync(board, bob);
        var mine = (await ada.CreateTaskAsync(board, new { title = "Ship", dueAt = "2026-12-05T17:00:00Z", assigneeId = ada.Id })).GetProperty("id").GetGuid();
        await ada.CreateTaskAsync(board, new { title = "Not mine", dueAt = "2026-12-06T09:00:00Z", assigneeId = bob.Id });
        await ada.CreateTaskAsync(board, new { title = "No deadline", assigneeId = ada.Id });

        var url = (await ada.Client.GetJson("/api/me/calendar")).GetProperty("url").GetString()!;
        var path = new Uri(url).PathAndQuery;
        var anonymous = app.CreateClient();
        var response = await anonymous.GetAsync(path);
        Assert.Equal("text/calendar", response.Content.Headers.ContentType!.MediaType);
        var calendar = Calendar.Load(await response.Content.ReadAsStringAsync())!;
        var ev = Assert.Single(calendar.Events);
        Assert.Equal($"{mine}@taskhub", ev.Uid);
        Assert.Equal("Ship", ev.Summary);
        Assert.Equal(new DateTime(2026, 12, 5, 17, 0, 0, DateTimeKind.Utc), ev.Start!.AsUtc);
        Assert.Contains($"/boards/{board}?task={mine}", ev.Url!.ToString());

        // Per board: every dated task of it.
        var boardFeed = Calendar.Load(await (await anonymous.GetAsync($"{path}?board={board}")).Content.ReadAsStringAsync())!;
        Assert.Equal(2, boardFeed.Events.Count);

        var reset = (await (await ada.Client.PostAsync("/api/me/calendar/reset", null)).Json(HttpStatusCode.OK)).GetProperty("url").GetString()!;
        Assert.NotEqual(url, reset);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(reset).PathAndQuery)).StatusCode);
    }

    [Fact]
    public async Task AJsonExportImportsBackIntoAnEqualBoard()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync("Round trip");
        await ada.AddMemberAsync(board, bob);
        var label = (await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = "bug", color = "red" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var a = (await ada.CreateTaskAsync(board, new { title = "=SUM(A1)", description = "line 1\nline \"2\"", assigneeId = bob.Id, labelIds = new[] { label }, priority = "high", dueAt = "2026-12-24T10:00:00Z" })).GetProperty("id").GetGuid();
        await ada.CreateTaskAsync(board, new { title = "second", status = "done" });
        await ada.CreateTaskAsync(board, new { title = "first", status = "done" });
        var first = (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=done")).EnumerateArray().Last().GetProperty("id").GetGuid();
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{first}/move", new { status = "done" })).Json(HttpStatusCode.OK); // "first" to the top
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{a}/checklist", new { text = "step one" })).Json(HttpStatusCode.Created);
        await (await ada.Client.PostAsJsonAsync($"/api/tasks/{a}/comments", new { body = "a comment" })).Json(HttpStatusCode.Created);

        var exported = await (await ada.Client.GetAsync($"/api/boards/{board}/export?format=json")).Content.ReadAsStringAsync();
        var imported = await (await ada.Client.PostAsync("/api/imports/taskhub", Upload(exported))).Json(HttpStatusCode.Created);
        var copy = imported.GetProperty("boardId").GetGuid();
        var again = await (await ada.Client.GetAsync($"/api/boards/{copy}/export?format=json")).Content.ReadAsStringAsync();

        // Equal but for ids (labels get new ones) and positions (spread afresh, same order).
        static string Normal(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement.GetProperty("tasks").EnumerateArray().Select(t => new
        {
            title = t.GetProperty("title").GetString(), status = t.GetProperty("status").GetString(), priority = t.GetProperty("priority").GetString(),
            due = t.GetProperty("dueAt").ToString(), assignee = t.GetProperty("assigneeEmail").ToString(), labels = t.GetProperty("labels").GetArrayLength(),
            checklist = t.GetProperty("checklist").ToString(), comments = t.GetProperty("comments").GetArrayLength(), description = t.GetProperty("description").ToString(),
        }));
        Assert.Equal(Normal(exported), Normal(again));
        Assert.Equal(["first", "second"], (await ada.Client.GetJson($"/api/boards/{copy}/tasks?status=done")).EnumerateArray().Select(t => t.GetProperty("title").GetString()));
        Assert.Equal("member", (await bob.Client.GetJson($"/api/boards/{copy}")).GetProperty("role").GetString()); // matched by email

        var csv = await (await ada.Client.GetAsync($"/api/boards/{board}/export?format=csv")).Content.ReadAsStringAsync();
        Assert.StartsWith("\uFEFFTitle,Status,Priority", csv);
        Assert.Contains("'=SUM(A1),todo,high,2026-12-24 10:00", csv); // a formula is neutralised
        Assert.Contains("\"line 1\nline \"\"2\"\"\"", csv);
        await (await ada.Client.GetAsync($"/api/boards/{board}/export?format=xml")).AssertFieldError("format");
    }

    [Fact]
    public async Task ATrelloExportBecomesABoardWithItsListsLabelsChecklistsAndComments()
    {
        var ada = await app.SignUpAsync();
        var trello = JsonSerializer.Serialize(new
        {
            name = "Website",
            lists = new object[]
            {
                new { id = "L1", name = "Backlog", closed = false, pos = 1 },
                new { id = "L2", name = "Doing", closed = false, pos = 2 },
                new { id = "L3", name = "Done ✔", closed = false, pos = 3 },
                new { id = "L4", name = "Old", closed = true, pos = 4 },
            },
            labels = new object[] { new { id = "G", name = "Urgent", color = "red" }, new { id = "S", name = "", color = "sky" } },
            cards = new object[]
            {
                new { id = "C2", name = "Second", desc = "", idList = "L1", closed = false, pos = 200.5, idLabels = new[] { "S" } },
                new { id = "C1", name = "First", desc = "Details", idList = "L1", closed = false, pos = 100.0, idLabels = new[] { "G", "S" }, due = "2026-12-10T12:00:00.000Z" },
                new { id = "C3", name = "Working", desc = "", idList = "L2", closed = false, pos = 1, idLabels = Array.Empty<string>() },
                new { id = "C4", name = "Shipped", desc = "", idList = "L3", closed = false, pos = 1, idLabels = Array.Empty<string>() },
                new { id = "C5", name = "In a closed list", desc = "", idList = "L4", closed = false, pos = 1, idLabels = Array.Empty<string>() },
            },
            checklists = new object[]
            {
                new { id = "K1", idCard = "C1", pos = 1, checkItems = new object[] { new { name = "b", state = "incomplete", pos = 2 }, new { name = "a", state = "complete", pos = 1 } } },
            },
            actions = new object[]
            {
                new { type = "commentCard", date = "2026-11-01T10:00:00.000Z", data = new { text = "Looks good", card = new { id = "C1" } }, memberCreator = new { fullName = "Alice Trello", username = "alice" } },
                new { type = "updateCard", date = "2026-11-01T11:00:00.000Z", data = new { text = (string?)null, card = new { id = "C1" } }, memberCreator = new { fullName = "Alice Trello", username = "alice" } },
            },
        });

        var preview = await (await ada.Client.PostAsync("/api/imports/trello/preview", Upload(trello))).Json(HttpStatusCode.OK);
        Assert.Equal(["todo", "in_progress", "done"], preview.EnumerateArray().Select(l => l.GetProperty("status").GetString()));

        // The mapping step: "Doing" goes to done instead.
        var result = await (await ada.Client.PostAsync("/api/imports/trello", Upload(trello, "{\"L2\":\"done\"}"))).Json(HttpStatusCode.Created);
        Assert.Equal(4, result.GetProperty("tasks").GetInt32());
        var board = result.GetProperty("boardId").GetGuid();
        Assert.Equal("Website", (await ada.Client.GetJson($"/api/boards/{board}")).GetProperty("name").GetString());
        Assert.Equal(["First", "Second"], (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=todo")).EnumerateArray().Select(t => t.GetProperty("title").GetString()));
        Assert.Equal(2, (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=done")).GetArrayLength());
        var labels = (await ada.Client.GetJson($"/api/boards/{board}/labels")).EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!, l => l.GetProperty("color").GetString());
        Assert.Equal("red", labels["Urgent"]);
        Assert.Equal("teal", labels["sky"]);
        var first = (await ada.Client.GetJson($"/api/boards/{board}/tasks?status=todo"))[0];
        Assert.Equal(2, first.GetProperty("labelIds").GetArrayLength());
        Assert.Equal("2026-12-10T12:00:00Z", first.GetProperty("dueAt").GetString());
        var id = first.GetProperty("id").GetGuid();
        Assert.Equal(["a", "b"], (await ada.Client.GetJson($"/api/tasks/{id}/checklist")).EnumerateArray().Select(i => i.GetProperty("text").GetString()));
        Assert.Contains("Alice Trello", Assert.Single((await ada.Client.GetJson($"/api/tasks/{id}/comments")).EnumerateArray()).GetProperty("body").GetString());
    }

    [Fact]
    public async Task AWrongFileIsAClearErrorAndCreatesNothing()
    {
        var ada = await app.SignUpAsync();
        var before = (await ada.Client.GetJson("/api/boards")).GetArrayLength();
        await (await ada.Client.PostAsync("/api/imports/trello", Upload("this is not json"))).AssertFieldError("file");
        await (await ada.Client.PostAsync("/api/imports/trello", Upload("{\"name\":\"x\"}"))).AssertFieldError("file");
        await (await ada.Client.PostAsync("/api/imports/taskhub", Upload("{\"format\":\"something-else\",\"version\":1,\"name\":\"x\",\"labels\":[],\"tasks\":[]}"))).AssertFieldError("file");
        await (await ada.Client.PostAsync("/api/imports/trello", Upload("{\"name\":\"x\",\"lists\":[{\"id\":\"L\",\"name\":\"A\",\"closed\":false,\"pos\":1}],\"cards\":[]}", "not json"))).AssertFieldError("mapping");
        // A card without a title in a TaskHub export: all-or-nothing.
        await (await ada.Client.PostAsync("/api/imports/taskhub", Upload("{\"format\":\"taskhub-board\",\"version\":1,\"name\":\"x\",\"labels\":[],\"tasks\":[{\"title\":\"ok\",\"status\":\"todo\",\"priority\":\"low\",\"position\":\"a\",\"labels\":[],\"checklist\":[],\"comments\":[]},{\"title\":\" \",\"status\":\"todo\",\"priority\":\"low\",\"position\":\"b\",\"labels\":[],\"checklist\":[],\"comments\":[]}]}"))).AssertFieldError("file");
        Assert.Equal(before, (await ada.Client.GetJson("/api/boards")).GetArrayLength());
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.GetAsync($"/api/boards/{board}/export")).StatusCode);
    }
}

public sealed class TransferTestsOnSqlite(SqliteApplication app) : TransferTests(app), IClassFixture<SqliteApplication>;

public sealed class TransferTestsOnMariaDb(MariaDbApplication app) : TransferTests(app), IClassFixture<MariaDbApplication>;
