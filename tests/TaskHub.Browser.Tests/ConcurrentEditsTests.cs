using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// Two people (here: the page and a second API call) editing one label, checklist item or board name at once: the page
/// sends the version it last saw as If-Match, and when the other edit was saved first (412) what the person typed stays
/// in the box and the other value is shown beside it to choose. And a checklist item is added once however often its
/// form is submitted while it is sent.
/// </summary>
[Collection("browser")]
public sealed class ConcurrentEditsTests(ServerFixture server)
{
    [Fact]
    public async Task A_label_renamed_by_someone_else_before_the_save_keeps_the_typed_name_and_shows_theirs_to_choose()
    {
        using var rita = await server.Api().RegisterAndLogin("Rita Racer");
        var (boardId, labelId, ctx, labels) = await TypedWhileSendingTests.DocsBeingRenamedAsync(server, rita);
        try
        {
            // Someone else renames and recolours it first (the colour, untouched here, follows: their save has landed).
            await rita.Send(HttpMethod.Patch, $"/api/labels/{labelId}", new { name = "Guides", color = "teal" }, ifMatch: "\"1\"");
            await Assertions.Expect(labels.GetByLabel("Colour of Guides")).ToHaveValueAsync("teal", new() { Timeout = 15_000 });

            await labels.GetByRole(AriaRole.Form, new() { Name = "Label Guides" }).GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

            var conflict = labels.GetByRole(AriaRole.Group, new() { Name = "The label was changed by someone else" });
            await Assertions.Expect(conflict).ToBeVisibleAsync(Visible);
            await Assertions.Expect(conflict).ToContainTextAsync("“Guides”");
            await Assertions.Expect(conflict).ToContainTextAsync("“Documentation”");
            await Assertions.Expect(labels.GetByLabel("Name of Guides")).ToHaveValueAsync("Documentation");
            Assert.Equal("Guides", await LabelNameAsync(rita, boardId, labelId)); // nothing overwritten

            // Mine over theirs: sent again with the version the 412 named.
            await conflict.GetByRole(AriaRole.Button, new() { Name = "Save mine" }).ClickAsync();
            await Assertions.Expect(labels.GetByLabel("Name of Documentation")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(conflict).ToBeHiddenAsync();
            Assert.Equal("Documentation", await LabelNameAsync(rita, boardId, labelId));
            Assert.Equal("teal", (await LabelAsync(rita, boardId, labelId))["color"]!.GetValue<string>()); // their colour kept
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_checklist_item_being_renamed_keeps_the_typed_text_when_someone_else_renames_it_and_shows_theirs_to_choose()
    {
        using var cora = await server.Api().RegisterAndLogin("Cora Checker");
        var boardId = await cora.CreateBoard("Checklist at once");
        var taskId = (await cora.CreateTask(boardId, "Shop"))["id"]!.GetValue<string>();
        var itemId = (await cora.Send(HttpMethod.Post, $"/api/tasks/{taskId}/checklist", new { text = "Buy milk" }))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(server, cora.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}?task={taskId}");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            var box = dialog.GetByLabel("Checklist item: Buy milk");
            await box.FillAsync("Buy oat milk");
            // Someone else renames it while this is typed: the box keeps what is typed (the live event shows their text
            // in the item's name only).
            await cora.Send(HttpMethod.Patch, $"/api/checklist-items/{itemId}", new { text = "Buy soy milk" }, ifMatch: "\"1\"");
            box = dialog.GetByLabel("Checklist item: Buy soy milk");
            await Assertions.Expect(box).ToBeVisibleAsync(Visible);
            await Assertions.Expect(box).ToHaveValueAsync("Buy oat milk");

            await box.PressAsync("Enter");

            var conflict = dialog.GetByRole(AriaRole.Group, new() { Name = "The checklist item was changed by someone else" });
            await Assertions.Expect(conflict).ToBeVisibleAsync(Visible);
            await Assertions.Expect(conflict).ToContainTextAsync("“Buy soy milk”");
            await Assertions.Expect(conflict).ToContainTextAsync("“Buy oat milk”");
            await Assertions.Expect(box).ToHaveValueAsync("Buy oat milk");
            Assert.Equal("Buy soy milk", (await ItemAsync(cora, taskId, itemId))["text"]!.GetValue<string>()); // nothing overwritten

            // Theirs taken: the box shows it, nothing more is sent.
            await conflict.GetByRole(AriaRole.Button, new() { Name = "Use theirs" }).ClickAsync();
            await Assertions.Expect(conflict).ToBeHiddenAsync();
            await Assertions.Expect(box).ToHaveValueAsync("Buy soy milk");
            var item = await ItemAsync(cora, taskId, itemId);
            Assert.Equal("Buy soy milk", item["text"]!.GetValue<string>());
            Assert.Equal(2, item["version"]!.GetValue<int>());
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_checklist_item_submitted_twice_while_it_is_sent_is_added_once()
    {
        using var dora = await server.Api().RegisterAndLogin("Dora Double");
        var boardId = await dora.CreateBoard("Double submit");
        var taskId = (await dora.CreateTask(boardId, "Pack"))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(server, dora.Email);
        // The first POST's answer is held until the form has been submitted again (the server has applied it already).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var posts = 0;
        await page.RouteAsync($"**/api/tasks/{taskId}/checklist", async route =>
        {
            if (route.Request.Method != "POST") { await route.ContinueAsync(); return; }
            var first = Interlocked.Increment(ref posts) == 1;
            var answer = await route.FetchAsync();
            if (first) await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await route.FulfillAsync(new() { Response = answer });
        });
        try
        {
            await page.GotoAsync($"/boards/{boardId}?task={taskId}");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            var box = dialog.GetByLabel("New checklist item");
            await box.FillAsync("Passport");
            await box.PressAsync("Enter");
            for (var waited = 0; Volatile.Read(ref posts) == 0 && waited < 150; waited++) await Task.Delay(100); // the first is on its way
            Assert.Equal(1, Volatile.Read(ref posts));
            await box.PressAsync("Enter"); // a second submit while the first is sent
            await page.WaitForTimeoutAsync(500); // (what a second submit would send has been sent by now)
            var addingWhileSent = dialog.GetByRole(AriaRole.Button, new() { Name = "Adding…" });
            var shownAsBusy = await addingWhileSent.CountAsync() == 1 && await addingWhileSent.IsDisabledAsync();
            release.SetResult();

            await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(dialog.GetByLabel("Done: Passport")).ToHaveCountAsync(1);
            Assert.Equal(1, posts);
            var items = (JsonArray)(await dora.Send(HttpMethod.Get, $"/api/tasks/{taskId}/checklist"))["items"]!;
            Assert.Single(items);
            Assert.True(shownAsBusy, "The Add button said Adding… and was disabled while the item was sent.");
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_comment_edited_in_another_tab_before_the_save_keeps_the_typed_text_and_shows_both_to_choose()
    {
        using var tess = await server.Api().RegisterAndLogin("Tess Twotabs");
        var boardId = await tess.CreateBoard("Two tabs");
        var taskId = (await tess.CreateTask(boardId, "Plan"))["id"]!.GetValue<string>();
        var commentId = (await tess.Send(HttpMethod.Post, $"/api/tasks/{taskId}/comments", new { body = "First draft" }))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(server, tess.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}?task={taskId}");
            var comment = page.GetByRole(AriaRole.Listitem, new() { Name = "Comment by Tess Twotabs" });
            await comment.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
            var box = comment.GetByRole(AriaRole.Textbox, new() { Name = "Edit comment" });
            await box.FillAsync("Second draft, from this tab");
            // The same person saves another edit from another tab first.
            await tess.Send(HttpMethod.Patch, $"/api/comments/{commentId}", new { body = "Second draft, from the phone" }, ifMatch: "\"1\"");

            await comment.GetByRole(AriaRole.Button, new() { Name = "Save comment" }).ClickAsync();

            var conflict = comment.GetByRole(AriaRole.Group, new() { Name = "The comment was changed by someone else" });
            await Assertions.Expect(conflict).ToBeVisibleAsync(Visible);
            await Assertions.Expect(conflict).ToContainTextAsync("“Second draft, from the phone”");
            await Assertions.Expect(conflict).ToContainTextAsync("“Second draft, from this tab”");
            await Assertions.Expect(box).ToHaveValueAsync("Second draft, from this tab");
            Assert.Equal("Second draft, from the phone", await CommentBodyAsync(tess, taskId, commentId)); // nothing overwritten

            await conflict.GetByRole(AriaRole.Button, new() { Name = "Save mine" }).ClickAsync();
            await Assertions.Expect(box).ToBeHiddenAsync(new() { Timeout = 15_000 }); // saved: the edit form closed
            await Assertions.Expect(comment.GetByText("Second draft, from this tab")).ToBeVisibleAsync(Visible);
            Assert.Equal("Second draft, from this tab", await CommentBodyAsync(tess, taskId, commentId));
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_board_renamed_by_its_owner_shows_its_new_name_live_on_a_board_open_elsewhere()
    {
        using var olga = await server.Api().RegisterAndLogin("Olga Owner");
        var boardId = await olga.CreateBoard("Roadmap");
        var (ctx, page) = await LoggedIn(server, olga.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Roadmap", Level = 1 })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page).ToHaveTitleAsync("Roadmap · TaskHub");

            // Renamed from elsewhere (another tab, a script): the open board follows without a reload.
            await olga.Send(HttpMethod.Patch, $"/api/boards/{boardId}", new { name = "Roadmap 2027" }, ifMatch: "\"1\"");

            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Roadmap 2027", Level = 1 })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page).ToHaveTitleAsync("Roadmap 2027 · TaskHub", new() { Timeout = 15_000 });
        }
        finally { await ctx.CloseAsync(); }
    }

    private static async Task<JsonObject> LabelAsync(ApiClient api, string boardId, string labelId) =>
        ((JsonArray)(await api.Send(HttpMethod.Get, $"/api/boards/{boardId}/labels"))["items"]!).Select(l => l!.AsObject()).Single(l => l["id"]!.GetValue<string>() == labelId);

    private static async Task<string> LabelNameAsync(ApiClient api, string boardId, string labelId) =>
        (await LabelAsync(api, boardId, labelId))["name"]!.GetValue<string>();

    private static async Task<string> CommentBodyAsync(ApiClient api, string taskId, string commentId) =>
        ((JsonArray)(await api.Send(HttpMethod.Get, $"/api/tasks/{taskId}/comments"))["items"]!).Single(c => c!["id"]!.GetValue<string>() == commentId)!["body"]!.GetValue<string>();

    private static async Task<JsonObject> ItemAsync(ApiClient api, string taskId, string itemId) =>
        ((JsonArray)(await api.Send(HttpMethod.Get, $"/api/tasks/{taskId}/checklist"))["items"]!).Select(i => i!.AsObject()).Single(i => i["id"]!.GetValue<string>() == itemId);
}
