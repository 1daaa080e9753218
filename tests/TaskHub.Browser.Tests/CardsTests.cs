using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>Cards a team can work in: order, labels, checklist, comments with mentions, conflicts — against the real server.</summary>
[Collection("browser")]
public sealed class CardsTests(ServerFixture server)
{

    private Task<(IBrowserContext, IPage)> LoggedIn(string email) => Browser.LoggedIn(server, email, 1400, 900);

    private static ILocator Cards(IPage page, string status) => page.Locator($"section[data-status='{status}'] article[data-task-id] .card-title");
    private static ILocator Card(IPage page, string status, string title) =>
        page.Locator($"section[data-status='{status}'] article[data-task-id]", new() { HasText = title });

    private Task Shot(IPage page, string name) => page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, name + ".png") });

    private static async Task AssertAccessible(ILocator part, string what)
    {
        var result = await part.RunAxe();
        Assert.True(result.Violations.Length == 0, $"{what}: " + string.Join("; ", result.Violations.Select(v =>
            $"{v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
    }

    private static async Task<string[]> ServerOrder(ApiClient api, string boardId, string status)
    {
        var tasks = await api.Tasks(boardId);
        return tasks.Where(t => t!["status"]!.GetValue<string>() == status).Select(t => t!["title"]!.GetValue<string>()).ToArray();
    }

    private static async Task PollOrder(ApiClient api, string boardId, string status, string[] expected)
    {
        string[] last = [];
        for (var i = 0; i < 100; i++)
        {
            last = await ServerOrder(api, boardId, status);
            if (last.SequenceEqual(expected)) return;
            await Task.Delay(100);
        }
        Assert.Equal(expected, last);
    }

    [Fact]
    public async Task Dragging_a_card_within_its_column_reorders_it_for_everyone_and_the_keyboard_moves_it_up()
    {
        using var alice = await server.Api().RegisterAndLogin("Alice Order");
        using var bob = await server.Api().RegisterAndLogin("Bob Order");
        var boardId = await alice.CreateBoard("Ordered");
        await alice.AddMember(boardId, bob.Email, "member");
        foreach (var t in new[] { "Alpha", "Bravo", "Charlie" }) await alice.CreateTask(boardId, t);

        var (ctxA, pageA) = await LoggedIn(alice.Email);
        var (ctxB, pageB) = await LoggedIn(bob.Email);
        try
        {
            await pageA.GotoAsync($"/boards/{boardId}");
            await pageB.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(Cards(pageA, "todo")).ToHaveTextAsync(["Alpha", "Bravo", "Charlie"]);
            await Assertions.Expect(pageA.GetByRole(AriaRole.Img, new() { Name = "Bob Order is viewing" })).ToBeVisibleAsync(Visible);

            // drop Charlie on the upper half of Alpha: the slot above Alpha (the top)
            await Card(pageA, "todo", "Charlie").DragToAsync(Card(pageA, "todo", "Alpha"), new() { TargetPosition = new() { X = 40, Y = 8 } });
            await Assertions.Expect(Cards(pageA, "todo")).ToHaveTextAsync(["Charlie", "Alpha", "Bravo"]);
            await Assertions.Expect(Cards(pageB, "todo")).ToHaveTextAsync(["Charlie", "Alpha", "Bravo"]);
            await PollOrder(alice, boardId, "todo", ["Charlie", "Alpha", "Bravo"]);

            // drop Charlie on the lower half of Bravo (the last card): the bottom
            await Card(pageA, "todo", "Charlie").DragToAsync(Card(pageA, "todo", "Bravo"), new() { TargetPosition = new() { X = 40, Y = 80 } });
            await Assertions.Expect(Cards(pageB, "todo")).ToHaveTextAsync(["Alpha", "Bravo", "Charlie"]);

            // Bob moves Bravo up with the keyboard (↑), Alice sees it
            await Card(pageB, "todo", "Bravo").FocusAsync();
            await pageB.Keyboard.PressAsync("ArrowUp");
            await Assertions.Expect(Cards(pageB, "todo")).ToHaveTextAsync(["Bravo", "Alpha", "Charlie"]);
            await Assertions.Expect(Cards(pageA, "todo")).ToHaveTextAsync(["Bravo", "Alpha", "Charlie"]);
            await Assertions.Expect(Card(pageB, "todo", "Bravo")).ToBeFocusedAsync();
            await PollOrder(alice, boardId, "todo", ["Bravo", "Alpha", "Charlie"]);

            // and into another column, between two cards
            var d1 = await alice.CreateTask(boardId, "Delta");
            var e1 = await alice.CreateTask(boardId, "Echo");
            await alice.Send(HttpMethod.Post, $"/api/tasks/{d1["id"]}/move", new { status = "done" });
            await alice.Send(HttpMethod.Post, $"/api/tasks/{e1["id"]}/move", new { status = "done", afterId = d1["id"]!.GetValue<string>() });
            await Assertions.Expect(Cards(pageA, "done")).ToHaveTextAsync(["Delta", "Echo"]);
            await Card(pageA, "todo", "Alpha").DragToAsync(Card(pageA, "done", "Echo"), new() { TargetPosition = new() { X = 40, Y = 8 } });
            await Assertions.Expect(Cards(pageB, "done")).ToHaveTextAsync(["Delta", "Alpha", "Echo"]);
            await PollOrder(alice, boardId, "done", ["Delta", "Alpha", "Echo"]);
            await Shot(pageB, "cards-01-order");
        }
        finally { await ctxA.CloseAsync(); await ctxB.CloseAsync(); }
    }

    [Fact]
    public async Task Labels_are_managed_put_on_a_task_and_filter_the_board()
    {
        using var lena = await server.Api().RegisterAndLogin("Lena Label");
        var boardId = await lena.CreateBoard("Labelled");
        await lena.CreateTask(boardId, "Fix the login bug");
        await lena.CreateTask(boardId, "Write the newsletter");
        var (ctx, page) = await LoggedIn(lena.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Labels" }).ClickAsync();
            var labelsDialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Labels" });
            await labelsDialog.GetByLabel("New label name").FillAsync("Bug");
            await labelsDialog.GetByLabel("New label colour").SelectOptionAsync("red");
            await labelsDialog.GetByRole(AriaRole.Button, new() { Name = "Add label" }).ClickAsync();
            await Assertions.Expect(labelsDialog.GetByLabel("Name of Bug")).ToBeVisibleAsync(Visible);
            await labelsDialog.GetByLabel("New label name").FillAsync("Docs");
            await labelsDialog.GetByRole(AriaRole.Button, new() { Name = "Add label" }).ClickAsync();
            // rename Docs to Writing and recolour it
            await labelsDialog.GetByLabel("Name of Docs").FillAsync("Writing");
            await labelsDialog.GetByLabel("Colour of Docs").SelectOptionAsync("teal");
            await labelsDialog.GetByRole(AriaRole.Form, new() { Name = "Label Docs" }).GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(labelsDialog.GetByLabel("Name of Writing")).ToBeVisibleAsync(Visible);
            await AssertAccessible(labelsDialog, "labels dialog");
            await labelsDialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

            await Card(page, "todo", "Fix the login bug").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            await dialog.GetByLabel("Label Bug").CheckAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(Card(page, "todo", "Fix the login bug").Locator(".label-chip", new() { HasText = "Bug" })).ToBeVisibleAsync(Visible);

            await page.GetByRole(AriaRole.Group, new() { Name = "Filters" }).GetByLabel("Label", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Bug" });
            await Assertions.Expect(Cards(page, "todo")).ToHaveTextAsync(["Fix the login bug"]);
            await page.GetByRole(AriaRole.Group, new() { Name = "Filters" }).GetByLabel("Label", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Writing" });
            await Assertions.Expect(Cards(page, "todo")).ToHaveCountAsync(0);
            await page.GetByRole(AriaRole.Group, new() { Name = "Filters" }).GetByLabel("Label", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "No label" });
            await Assertions.Expect(Cards(page, "todo")).ToHaveTextAsync(["Write the newsletter"]);

            // a label made elsewhere shows up live in the filter
            await lena.Send(HttpMethod.Post, $"/api/boards/{boardId}/labels", new { name = "Urgent stuff", color = "orange" });
            await Assertions.Expect(page.GetByRole(AriaRole.Group, new() { Name = "Filters" }).GetByLabel("Label", new() { Exact = true }).Locator("option", new() { HasText = "Urgent stuff" })).ToHaveCountAsync(1);
            await Shot(page, "cards-02-labels");
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_checklist_item_ticked_in_the_dialog_shows_progress_on_the_card_and_a_comment_mentions_a_member()
    {
        using var maya = await server.Api().RegisterAndLogin("Maya Maker");
        using var bob = await server.Api().RegisterAndLogin("Bob Mentioned");
        var boardId = await maya.CreateBoard("Checklists");
        await maya.AddMember(boardId, bob.Email, "member");
        var taskId = (await maya.CreateTask(boardId, "Ship the release"))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(maya.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Card(page, "todo", "Ship the release").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            foreach (var item in new[] { "Tag the build", "Write notes", "Announce" })
            {
                await dialog.GetByLabel("New checklist item").FillAsync(item);
                await dialog.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
                await Assertions.Expect(dialog.GetByLabel($"Done: {item}")).ToBeVisibleAsync(Visible);
            }
            await dialog.GetByLabel("Done: Tag the build").CheckAsync();
            var progress = Card(page, "todo", "Ship the release").GetByRole(AriaRole.Img, new() { Name = "Checklist: 1 of 3 done" });
            await Assertions.Expect(progress).ToBeVisibleAsync(Visible);
            await Assertions.Expect(progress).ToHaveTextAsync("1/3");
            // reorder: Announce up twice → first
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Move “Announce” up" }).ClickAsync();
            await Assertions.Expect(dialog.Locator(".checklist-text").Nth(1)).ToHaveValueAsync("Announce");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Move “Announce” up" }).ClickAsync();
            await Assertions.Expect(dialog.Locator(".checklist-text").First).ToHaveValueAsync("Announce");

            // a comment with a mention chosen from the autocomplete
            var box = dialog.GetByRole(AriaRole.Textbox, new() { Name = "Comment", Exact = true });
            await box.FillAsync("");
            await box.PressSequentiallyAsync("Please review, @Bo");
            var options = dialog.GetByRole(AriaRole.Listbox, new() { Name = "Mention a member" });
            await Assertions.Expect(options.GetByRole(AriaRole.Option, new() { Name = "Bob Mentioned" })).ToBeVisibleAsync(Visible);
            await box.PressAsync("Enter");
            await Assertions.Expect(box).ToHaveValueAsync($"Please review, @[Bob Mentioned]({bob.UserId}) ");
            await box.PressSequentiallyAsync("thanks **a lot**");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Comment", Exact = true }).ClickAsync();
            var comment = dialog.GetByRole(AriaRole.Listitem, new() { Name = "Comment by Maya Maker" });
            await Assertions.Expect(comment.Locator($"span[data-user-id='{bob.UserId}']", new() { HasText = "@Bob Mentioned" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(comment.Locator("strong", new() { HasText = "a lot" })).ToBeVisibleAsync();
            await Assertions.Expect(Card(page, "todo", "Ship the release").GetByRole(AriaRole.Img, new() { Name = "1 comment" })).ToBeVisibleAsync(Visible);
            // the server recorded the mention
            var comments = (JsonArray)(await maya.Send(HttpMethod.Get, $"/api/tasks/{taskId}/comments"))["items"]!;
            Assert.Contains(bob.UserId, comments.Single()!["mentions"]!.AsArray().Select(m => m!.GetValue<string>()));

            // edit it: the "edited" marker
            await comment.GetByRole(AriaRole.Button, new() { Name = "Edit" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Textbox, new() { Name = "Edit comment" }).FillAsync("Changed my mind");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save comment" }).ClickAsync();
            await Assertions.Expect(comment.GetByText("(edited)")).ToBeVisibleAsync(Visible);
            // the timeline says what happened, in words
            await Assertions.Expect(dialog.GetByRole(AriaRole.Complementary, new() { Name = "Activity" }).GetByText("ticked “Tag the build”")).ToBeVisibleAsync(Visible);

            await AssertAccessible(dialog, "task dialog with checklist, labels and comments");
            await Shot(page, "cards-03-checklist-comments");
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_change_made_elsewhere_while_the_dialog_has_typed_edits_keeps_them_and_a_field_both_changed_asks()
    {
        using var carol = await server.Api().RegisterAndLogin("Carol Cole");
        var boardId = await carol.CreateBoard("Conflicts");
        var id = (await carol.CreateTask(boardId, "Original title"))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(carol.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Card(page, "todo", "Original title").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            await dialog.GetByLabel("Title").FillAsync("My typed title");

            // someone else changes the description: it shows live, the typed title stays
            await carol.PatchTask(id, new { description = "Written elsewhere" });
            await Assertions.Expect(dialog.GetByLabel("Description")).ToHaveValueAsync("Written elsewhere", new() { Timeout = 15_000 });
            await Assertions.Expect(dialog.GetByText("Carol Cole changed the description")).ToBeVisibleAsync();
            await Assertions.Expect(dialog.GetByLabel("Title")).ToHaveValueAsync("My typed title");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            var saved = await carol.GetTask(id);
            Assert.Equal("My typed title", saved["title"]!.GetValue<string>());
            Assert.Equal("Written elsewhere", saved["description"]!.GetValue<string>());

            // both change the title: both values show, the user chooses
            await Card(page, "todo", "My typed title").ClickAsync();
            await dialog.GetByLabel("Title").FillAsync("Mine again");
            await carol.PatchTask(id, new { title = "Theirs" });
            var conflict = dialog.GetByRole(AriaRole.Group, new() { Name = "The title was changed by someone else too" });
            await Assertions.Expect(conflict).ToContainTextAsync("Theirs", new() { Timeout = 15_000 });
            await Assertions.Expect(conflict).ToContainTextAsync("Mine again");
            await AssertAccessible(dialog, "task dialog with a conflict");
            await Shot(page, "cards-04-conflict");
            await conflict.GetByRole(AriaRole.Button, new() { Name = "Keep mine" }).ClickAsync();
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            Assert.Equal("Mine again", (await carol.GetTask(id))["title"]!.GetValue<string>());
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_task_is_archived_from_its_dialog_and_restored_from_the_archived_list()
    {
        using var ann = await server.Api().RegisterAndLogin("Ann Archive");
        var boardId = await ann.CreateBoard("Archive");
        await ann.CreateTask(boardId, "Old news");
        var (ctx, page) = await LoggedIn(ann.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Card(page, "todo", "Old news").ClickAsync();
            await page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" }).GetByRole(AriaRole.Button, new() { Name = "Archive" }).ClickAsync();
            await Assertions.Expect(Card(page, "todo", "Old news")).ToHaveCountAsync(0);
            await page.GetByRole(AriaRole.Button, new() { Name = "Archived" }).ClickAsync();
            var archived = page.GetByRole(AriaRole.Dialog, new() { Name = "Archived tasks" });
            await archived.GetByRole(AriaRole.Button, new() { Name = "Restore “Old news”" }).ClickAsync();
            await Assertions.Expect(archived.GetByText("Nothing is archived.")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(Card(page, "todo", "Old news")).ToBeVisibleAsync(Visible);
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_description_edit_shows_in_the_timeline_and_its_word_diff_opens_on_demand()
    {
        using var dee = await server.Api().RegisterAndLogin("Dee Diff");
        var boardId = await dee.CreateBoard("Diffs");
        var taskId = (await dee.CreateTask(boardId, "Footer"))["id"]!.GetValue<string>();
        await dee.PatchTask(taskId, new { description = "Ship the old footer today <b>now</b>" });
        var (ctx, page) = await LoggedIn(dee.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Card(page, "todo", "Footer").ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            await dialog.GetByLabel("Description").FillAsync("Ship the new footer tomorrow <b>now</b>");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Assertions.Expect(dialog).ToHaveCountAsync(0);

            await Card(page, "todo", "Footer").ClickAsync();
            var activity = dialog.GetByRole(AriaRole.Complementary, new() { Name = "Activity" });
            var edit = activity.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "edited the description" });
            await Assertions.Expect(edit).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            await Assertions.Expect(activity.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "added a description" })
                .GetByRole(AriaRole.Button, new() { Name = "Show changes" })).ToHaveCountAsync(0); // nothing to compare
            var toggle = edit.GetByRole(AriaRole.Button, new() { Name = "Show changes" });
            await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "false");
            await Assertions.Expect(edit.Locator(".description-diff")).ToHaveCountAsync(0); // on demand only
            await toggle.ClickAsync();

            var hide = edit.GetByRole(AriaRole.Button, new() { Name = "Hide changes" });
            await Assertions.Expect(hide).ToHaveAttributeAsync("aria-expanded", "true");
            var diff = edit.GetByRole(AriaRole.Group, new() { Name = "Changes to the description: 2 words added, 2 removed" });
            await Assertions.Expect(diff).ToBeVisibleAsync(Visible);
            Assert.Equal(await diff.GetAttributeAsync("id"), await hide.GetAttributeAsync("aria-controls"));
            Assert.Equal(["removed: old", "removed: today"], (await diff.Locator("del").AllInnerTextsAsync()).Select(t => t.Trim()).Select(Squash));
            Assert.Equal(["added: new", "added: tomorrow"], (await diff.Locator("ins").AllInnerTextsAsync()).Select(t => t.Trim()).Select(Squash));
            // The description's own markup is text, never HTML.
            await Assertions.Expect(diff.Locator("b")).ToHaveCountAsync(0);
            await Assertions.Expect(diff).ToContainTextAsync("<b>now</b>");
            await AssertAccessible(activity, "timeline with a description diff");
            await Shot(page, "description-diff");

            await hide.ClickAsync();
            await Assertions.Expect(edit.Locator(".description-diff")).ToHaveCountAsync(0);
        }
        finally { await ctx.CloseAsync(); }
    }

    private static string Squash(string s) => string.Join(' ', s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public async Task A_card_the_system_escalated_says_so_live_until_a_person_sets_the_priority()
    {
        using var eva = await server.Api().RegisterAndLogin("Eva Escalated");
        using var ops = await server.Api().RegisterAndLogin("Ops Admin", server.AdminEmail);
        var boardId = await eva.CreateBoard("Escalations");
        var taskId = (await eva.Send(HttpMethod.Post, $"/api/boards/{boardId}/tasks",
            new { title = "Renew the certificate", priority = "low", dueAt = DateTime.UtcNow.AddHours(2) }))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(eva.Email);
        var admin = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl });
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            var card = Card(page, "todo", "Renew the certificate");
            await Assertions.Expect(card).ToBeVisibleAsync(Visible);
            await Assertions.Expect(card.GetByTestId("escalated")).ToHaveCountAsync(0);

            // The real job, run by hand from the jobs dashboard as an administrator would.
            var jobs = await admin.NewPageAsync();
            await jobs.GotoAsync($"/hangfire/recurring?access_token={Uri.EscapeDataString(ops.AccessToken)}");
            await jobs.Locator("input.js-jobs-list-checkbox[value='priority-escalation']").CheckAsync();
            await jobs.Locator("button.js-jobs-list-command", new() { HasText = "Trigger now" }).ClickAsync();

            var marker = card.GetByTestId("escalated");
            await Assertions.Expect(marker).ToBeVisibleAsync(new() { Timeout = 45_000 }); // pushed live, no reload
            await Assertions.Expect(marker).ToHaveTextAsync("Escalated");
            await Assertions.Expect(card).ToHaveAttributeAsync("class", new System.Text.RegularExpressions.Regex("prio-high"));
            var escalatedAt = (await eva.GetTask(taskId))["escalatedAt"]!.GetValue<string>();
            var name = await marker.GetAttributeAsync("aria-label");
            Assert.StartsWith("Escalated: TaskHub raised the priority to High on ", name);
            Assert.StartsWith("Escalated automatically on ", await marker.GetAttributeAsync("title"));
            var shown = await page.EvaluateAsync<string>("at => new Date(at).toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })", escalatedAt);
            Assert.EndsWith(shown, name);
            await AssertAccessible(card, "an escalated card");
            await Shot(page, "escalated-card");

            // A person setting the priority takes the marker off (live as well).
            await eva.PatchTask(taskId, new { priority = "urgent" });
            await Assertions.Expect(marker).ToHaveCountAsync(0, new() { Timeout = 15_000 });
            await page.ReloadAsync();
            await Assertions.Expect(Card(page, "todo", "Renew the certificate")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(Card(page, "todo", "Renew the certificate").GetByTestId("escalated")).ToHaveCountAsync(0);
        }
        finally
        {
            await admin.CloseAsync();
            await ctx.CloseAsync();
        }
    }
}
