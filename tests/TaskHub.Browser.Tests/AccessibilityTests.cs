using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

/// <summary>axe-core over every main page, in the light and the dark theme: no critical, serious or moderate violations.</summary>
[Collection("browser")]
public sealed class AccessibilityTests(ServerFixture server)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 15_000 };
    private static readonly string[] Failing = ["critical", "serious", "moderate"];

    private static async Task Scan(IPage page, string name, List<string> found, string dir)
    {
        await page.WaitForTimeoutAsync(300); // transitions (card flash, dialog) settle
        var result = await page.RunAxe();
        foreach (var v in result.Violations)
            found.Add($"{name}: {v.Id} [{v.Impact}] ({v.Help}) at {string.Join(" | ", v.Nodes.Take(4).Select(n => n.Html))}");
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, $"a11y-{name}.png") });
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public async Task Every_main_page_passes_axe(string theme)
    {
        using var owner = await server.Api().RegisterAndLogin("Axel Axe");
        using var other = await server.Api().RegisterAndLogin("Vera Viewer");
        var boardId = await owner.CreateBoard("Accessible board");
        await owner.AddMember(boardId, other.Email, "member");
        var soon = (await owner.CreateTask(boardId, "Due soon", "high"))["id"]!.GetValue<string>();
        var late = (await owner.CreateTask(boardId, "Overdue", "urgent"))["id"]!.GetValue<string>();
        await owner.CreateTask(boardId, "No date", "low");
        await owner.PatchTask(soon, new { dueAt = DateTime.UtcNow.AddHours(20), assigneeId = owner.UserId, supervisorId = other.UserId });
        await owner.PatchTask(late, new { dueAt = DateTime.UtcNow.AddDays(-1), assigneeId = other.UserId, status = "in_progress" });

        var scheme = theme == "dark" ? ColorScheme.Dark : ColorScheme.Light;
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, ColorScheme = scheme });
        var otherCtx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ColorScheme = scheme });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var found = new List<string>();
        try
        {
            await page.GotoAsync("/");
            await Scan(page, $"landing-{theme}", found, server.ScreenshotDir);
            await page.GotoAsync("/signup");
            await Assertions.Expect(page.GetByLabel("Name")).ToBeVisibleAsync(Visible);
            await Scan(page, $"signup-{theme}", found, server.ScreenshotDir);
            await page.GotoAsync("/login");
            await Assertions.Expect(page.GetByLabel("Email")).ToBeVisibleAsync(Visible);
            await Scan(page, $"login-{theme}", found, server.ScreenshotDir);

            await page.GetByLabel("Email").FillAsync(owner.Email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Accessible board" })).ToBeVisibleAsync(Visible);
            await Scan(page, $"boards-{theme}", found, server.ScreenshotDir);

            // someone else on the board, so the presence avatars show
            var otherPage = await otherCtx.NewPageAsync();
            await otherPage.GotoAsync("/login");
            await otherPage.GetByLabel("Email").FillAsync(other.Email);
            await otherPage.GetByLabel("Password").FillAsync(ApiClient.Password);
            await otherPage.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(otherPage.GetByRole(AriaRole.Link, new() { Name = "Accessible board" })).ToBeVisibleAsync(Visible);
            await otherPage.GotoAsync($"/boards/{boardId}");

            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Overdue" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.Locator(".presence .avatar")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            await Scan(page, $"board-{theme}", found, server.ScreenshotDir);

            await page.Locator(".card", new() { HasText = "Due soon" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToBeVisibleAsync(Visible);
            await Scan(page, $"task-dialog-{theme}", found, server.ScreenshotDir);
            await page.Keyboard.PressAsync("Escape");

            await page.GotoAsync($"/boards/{boardId}/reports");
            await Assertions.Expect(page.GetByText("Completion rate")).ToBeVisibleAsync(Visible);
            // the trend charts (a chunk loaded afterwards) are part of the page that is scanned
            await Assertions.Expect(page.Locator("#overdue-canvas")).ToBeVisibleAsync(Visible);
            await Scan(page, $"reports-{theme}", found, server.ScreenshotDir);

            await page.GotoAsync("/my-tasks");
            await Assertions.Expect(page.GetByText("Due soon")).ToBeVisibleAsync(Visible);
            await Scan(page, $"my-tasks-{theme}", found, server.ScreenshotDir);

            await page.GotoAsync("/settings");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save profile" })).ToBeVisibleAsync(Visible);
            await Scan(page, $"settings-{theme}", found, server.ScreenshotDir);
        }
        finally { await ctx.CloseAsync(); await otherCtx.CloseAsync(); }

        var report = Path.Combine(server.RepoRoot, "artifacts", $"axe-{theme}.txt");
        await File.WriteAllLinesAsync(report, found);
        var failing = found.Where(f => Failing.Any(i => f.Contains($"[{i}]", StringComparison.Ordinal))).ToList();
        Assert.True(failing.Count == 0, $"{failing.Count} axe violations ({theme}):\n" + string.Join('\n', failing));
    }

    [Fact]
    public async Task Keyboard_skip_link_enter_opens_a_card_and_focus_comes_back_after_close_and_delete()
    {
        using var api = await server.Api().RegisterAndLogin("Kim Keys");
        var boardId = await api.CreateBoard("Keyboard board");
        await api.CreateTask(boardId, "Third card");
        await api.CreateTask(boardId, "Second card");
        await api.CreateTask(boardId, "First card");
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await page.GotoAsync("/login");
            await page.GetByLabel("Email").FillAsync(api.Email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Keyboard board" })).ToBeVisibleAsync(Visible);
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Third card" })).ToBeVisibleAsync(Visible);

            // the first Tab reaches the skip link; Enter on it lands on the first card
            await page.Keyboard.PressAsync("Tab");
            var skip = page.GetByRole(AriaRole.Link, new() { Name = "Skip to the board" });
            await Assertions.Expect(skip).ToBeFocusedAsync();
            await page.Keyboard.PressAsync("Enter");
            var order = await page.Locator(".column[data-status=todo] .card .card-title").AllInnerTextsAsync();
            var first = page.Locator(".card", new() { HasText = order[0] });
            await Assertions.Expect(first).ToBeFocusedAsync();
            Assert.NotEqual("none", await first.EvaluateAsync<string>("e => getComputedStyle(e).outlineStyle"));

            // Enter opens the card with the focus on its title, not on the × button; Escape gives the focus back to the card
            await page.Keyboard.PressAsync("Enter");
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Assertions.Expect(dialog.GetByLabel("Title")).ToBeFocusedAsync();
            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(dialog).ToHaveCountAsync(0);
            await Assertions.Expect(first).ToBeFocusedAsync();

            // Delete: the focus moves to the card that took its place
            await page.Keyboard.PressAsync("Delete");
            await Assertions.Expect(first).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator(".card", new() { HasText = order[1] })).ToBeFocusedAsync();
        }
        finally { await ctx.CloseAsync(); }
    }
}
