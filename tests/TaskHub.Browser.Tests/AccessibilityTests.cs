using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>axe-core over every main page, in the light and the dark theme: no critical, serious or moderate violations.</summary>
[Collection("browser")]
public sealed class AccessibilityTests(ServerFixture server)
{
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
        using var seed = await MainPages.SeedAsync(server);
        var scheme = theme == "dark" ? ColorScheme.Dark : ColorScheme.Light;
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, ColorScheme = scheme });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var found = new List<string>();
        var scanned = new List<string>();
        try
        {
            await MainPages.WalkAsync(server, page, seed, scheme, async name => { scanned.Add(name); await Scan(page, $"{name}-{theme}", found, server.ScreenshotDir); });
        }
        finally { await ctx.CloseAsync(); }
        Assert.Equal(MainPages.Names, scanned);

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
