using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

/// <summary>Shared steps for the browser tests: a logged-in page, axe over part of a page.</summary>
public static class Browser
{
    public static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 15_000 };

    public static async Task<(IBrowserContext, IPage)> LoggedIn(ServerFixture server, string email)
    {
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(ApiClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
        return (ctx, page);
    }

    /// <summary>axe-core over part of the page: no violations (the message lists them).</summary>
    public static async Task AssertAccessible(ILocator part, string what)
    {
        var result = await part.RunAxe();
        Assert.True(result.Violations.Length == 0, $"{what}: " + string.Join("; ", result.Violations.Select(v =>
            $"{v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
    }
}
