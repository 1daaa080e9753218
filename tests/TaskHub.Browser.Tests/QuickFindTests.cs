using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>Ctrl+K quick-find (combobox, arrows, Enter opens the task) and the board's filters in the URL.</summary>
[Collection("browser")]
public sealed class QuickFindTests(ServerFixture server)
{
    [Fact]
    public async Task Ctrl_K_finds_a_task_on_another_board_and_Enter_opens_it()
    {
        using var api = await server.Api().RegisterAndLogin("Quinn Finder");
        var home = await api.CreateBoard("Home base");
        var other = await api.CreateBoard("Launch");
        await api.CreateTask(other, "Order the zeppelin balloons");
        var target = (await api.CreateTask(other, "Book the zeppelin hangar"))["id"]!.GetValue<string>();
        await api.CreateTask(home, "Unrelated chores");
        var (ctx, page) = await LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync($"/boards/{home}");
            await Assertions.Expect(page.GetByText("Unrelated chores")).ToBeVisibleAsync(Visible);
            await page.Keyboard.PressAsync("Control+k");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Quick find" });
            var box = dialog.GetByRole(AriaRole.Combobox, new() { Name = "Search tasks and comments" });
            await Assertions.Expect(box).ToBeFocusedAsync();
            await page.Keyboard.TypeAsync("zeppelin hangar");
            var options = dialog.GetByRole(AriaRole.Option);
            var hangar = options.Filter(new() { HasText = "Book the zeppelin hangar" });
            await Assertions.Expect(hangar).ToBeVisibleAsync(Visible);
            await Assertions.Expect(hangar.Locator("mark").First).ToBeVisibleAsync(Visible); // the server's <mark>, rendered as HTML
            await AssertAccessible(dialog, "quick-find");

            // arrows move the active option (aria-activedescendant); Enter opens that one
            var count = await options.CountAsync();
            var index = -1;
            for (var i = 0; i < count && index < 0; i++) if ((await options.Nth(i).TextContentAsync())!.Contains("Book the zeppelin hangar")) index = i;
            await Assertions.Expect(options.First).ToHaveAttributeAsync("aria-selected", "true");
            for (var i = 0; i < index; i++) await page.Keyboard.PressAsync("ArrowDown");
            await Assertions.Expect(hangar).ToHaveAttributeAsync("aria-selected", "true");
            Assert.Equal(await hangar.GetAttributeAsync("id"), await box.GetAttributeAsync("aria-activedescendant"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "21-quick-find.png") });
            await page.Keyboard.PressAsync("Enter");

            await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/boards/{other}$"));
            var task = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            await Assertions.Expect(task.GetByLabel("Title")).ToHaveValueAsync("Book the zeppelin hangar");
            _ = target;
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task Board_filters_are_in_the_URL_survive_a_reload_and_open_from_a_link()
    {
        using var api = await server.Api().RegisterAndLogin("Fran Filter");
        var board = await api.CreateBoard("Filtered");
        await api.CreateTask(board, "Hot item", "high");
        await api.CreateTask(board, "Cold item", "low");
        var (ctx, page) = await LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync($"/boards/{board}");
            var hot = page.Locator("article[data-task-id]", new() { HasText = "Hot item" });
            var cold = page.Locator("article[data-task-id]", new() { HasText = "Cold item" });
            await Assertions.Expect(cold).ToBeVisibleAsync(Visible);
            await page.GetByRole(AriaRole.Group, new() { Name = "Filters" }).GetByLabel("Priority").SelectOptionAsync("high");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex($"/boards/{board}\\?priority=high$"));
            await Assertions.Expect(cold).ToHaveCountAsync(0);

            await page.ReloadAsync();
            await Assertions.Expect(hot).ToBeVisibleAsync(Visible);
            await Assertions.Expect(cold).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByRole(AriaRole.Group, new() { Name = "Filters" }).GetByLabel("Priority")).ToHaveValueAsync("high");

            // a shared link in a fresh context: same filter
            var (ctx2, page2) = await LoggedIn(server, api.Email);
            try
            {
                await page2.GotoAsync($"/boards/{board}?priority=low&due=none");
                await Assertions.Expect(page2.Locator("article[data-task-id]", new() { HasText = "Cold item" })).ToBeVisibleAsync(Visible);
                await Assertions.Expect(page2.Locator("article[data-task-id]", new() { HasText = "Hot item" })).ToHaveCountAsync(0);
                await Assertions.Expect(page2.GetByRole(AriaRole.Group, new() { Name = "Filters" }).GetByLabel("Due")).ToHaveValueAsync("none");
            }
            finally { await ctx2.CloseAsync(); }
        }
        finally { await ctx.CloseAsync(); }
    }
}
