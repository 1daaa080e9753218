using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// What a person types while their last label, checklist item or comment is on its way stays in the box when the
/// answer comes. The answer is held here (the page's route) until they have typed: the live event often shows the new
/// item before the answer arrives, and a slow network leaves time to type. And a change someone else makes meanwhile
/// does not replace what they are typing.
/// </summary>
[Collection("browser")]
public sealed class TypedWhileSendingTests(ServerFixture server)
{
    /// <summary>Holds the answer of the first POST to <paramref name="url"/> (it reaches the server and is applied) until
    /// the returned release is called.</summary>
    private static async Task<Action> HoldTheFirstAnswerAsync(IPage page, string url)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        await page.RouteAsync(url, async route =>
        {
            if (route.Request.Method != "POST" || Interlocked.Increment(ref held) > 1) { await route.ContinueAsync(); return; }
            var answer = await route.FetchAsync();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await route.FulfillAsync(new() { Response = answer });
        });
        return release.SetResult;
    }

    [Fact]
    public async Task The_next_label_typed_before_the_last_ones_answer_is_kept()
    {
        using var lena = await server.Api().RegisterAndLogin("Lena Quick");
        var boardId = await lena.CreateBoard("Typed while sending");
        var (ctx, page) = await LoggedIn(server, lena.Email);
        var release = await HoldTheFirstAnswerAsync(page, $"**/api/boards/{boardId}/labels");
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Labels" }).ClickAsync();
            var labels = page.GetByRole(AriaRole.Dialog, new() { Name = "Labels" });
            var name = labels.GetByLabel("New label name");
            await name.FillAsync("Bug");
            await labels.GetByRole(AriaRole.Button, new() { Name = "Add label" }).ClickAsync();
            // The live event shows it while its answer is still held; the next one is typed meanwhile.
            await Assertions.Expect(labels.GetByLabel("Name of Bug")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(labels.GetByRole(AriaRole.Button, new() { Name = "Adding…" })).ToBeDisabledAsync();
            await name.FillAsync("Docs");
            release();
            // The answer taken in (the button is back), and the box still holds what was typed.
            var add = labels.GetByRole(AriaRole.Button, new() { Name = "Add label" });
            await Assertions.Expect(add).ToBeEnabledAsync(new() { Timeout = 15_000 });
            await Assertions.Expect(name).ToHaveValueAsync("Docs");
            await add.ClickAsync();
            await Assertions.Expect(labels.GetByLabel("Name of Docs")).ToBeVisibleAsync(Visible);
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_label_name_being_typed_stays_when_someone_else_renames_the_label()
    {
        using var rita = await server.Api().RegisterAndLogin("Rita Renamer");
        var (boardId, labelId, ctx, labels) = await DocsBeingRenamedAsync(server, rita);
        try
        {
            // Another tab renames and recolours it: the colour, untouched here, follows; the name being typed stays.
            await rita.Send(HttpMethod.Patch, $"/api/labels/{labelId}", new { name = "Guides", color = "teal" });
            await Assertions.Expect(labels.GetByLabel("Colour of Guides")).ToHaveValueAsync("teal", new() { Timeout = 15_000 });
            await Assertions.Expect(labels.GetByLabel("Name of Guides")).ToHaveValueAsync("Documentation");
        }
        finally { await ctx.CloseAsync(); }
    }

    /// <summary>A board with a label "Docs" (blue), open in <paramref name="person"/>'s labels dialog with "Documentation"
    /// typed as its new name, not saved.</summary>
    internal static async Task<(string BoardId, string LabelId, IBrowserContext Ctx, ILocator Labels)> DocsBeingRenamedAsync(ServerFixture server, ApiClient person)
    {
        var boardId = await person.CreateBoard("Renamed meanwhile");
        var labelId = (await person.Send(HttpMethod.Post, $"/api/boards/{boardId}/labels", new { name = "Docs", color = "blue" }))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(server, person.Email);
        await page.GotoAsync($"/boards/{boardId}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Labels" }).ClickAsync();
        var labels = page.GetByRole(AriaRole.Dialog, new() { Name = "Labels" });
        await labels.GetByLabel("Name of Docs").FillAsync("Documentation");
        return (boardId, labelId, ctx, labels);
    }

    [Fact]
    public async Task More_of_a_comment_typed_while_it_posts_is_kept()
    {
        using var cleo = await server.Api().RegisterAndLogin("Cleo Quick");
        var boardId = await cleo.CreateBoard("Comments while sending");
        var taskId = (await cleo.CreateTask(boardId, "Discuss"))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(server, cleo.Email);
        var release = await HoldTheFirstAnswerAsync(page, $"**/api/tasks/{taskId}/comments");
        try
        {
            await page.GotoAsync($"/boards/{boardId}?task={taskId}");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            var box = dialog.GetByRole(AriaRole.Textbox, new() { Name = "Comment", Exact = true });
            await box.FillAsync("Looks good");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Comment", Exact = true }).ClickAsync();
            await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Posting…" })).ToBeVisibleAsync(Visible);
            await box.PressAsync("End");
            await box.PressSequentiallyAsync(", and one more thing");
            release();
            var posted = dialog.GetByRole(AriaRole.Listitem, new() { Name = "Comment by Cleo Quick" });
            await Assertions.Expect(posted).ToContainTextAsync("Looks good", new() { Timeout = 15_000 });
            await Assertions.Expect(dialog.GetByRole(AriaRole.Button, new() { Name = "Comment", Exact = true })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(box).ToHaveValueAsync("Looks good, and one more thing");
        }
        finally { await ctx.CloseAsync(); }
    }
}
