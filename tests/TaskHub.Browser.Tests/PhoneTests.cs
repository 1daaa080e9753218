using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>A phone (390×844): nothing wider than the screen, "Log out" reachable in the top bar.</summary>
[Collection("browser")]
public sealed class PhoneTests(ServerFixture server)
{

    private static async Task AssertNoHorizontalOverflow(IPage page, string what)
    {
        var sizes = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        var (doc, view) = (sizes[0], sizes[1]);
        Assert.True(doc <= view, $"{what}: the page is {doc} px wide on a {view} px screen");
        var bar = page.Locator(".topbar");
        if (await bar.CountAsync() > 0)
        {
            var over = await bar.EvaluateAsync<int>("e => e.scrollWidth - e.clientWidth");
            Assert.True(over <= 0, $"{what}: the top bar overflows by {over} px");
        }
    }

    [Fact]
    public async Task On_a_phone_no_page_overflows_and_log_out_is_reachable()
    {
        using var api = await server.Api().RegisterAndLogin("Phoebe Phone-User-With-A-Long-Name");
        var boardId = await api.CreateBoard("Phone board");
        var t = await api.CreateTask(boardId, "A rather long task title that should wrap on a small screen without breaking the layout");
        await api.PatchTask(t["id"]!.GetValue<string>(), new { assigneeId = api.UserId, dueAt = DateTime.UtcNow.AddDays(2) });

        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await page.GotoAsync("/");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync(Visible);
            await AssertNoHorizontalOverflow(page, "landing");
            await page.GotoAsync("/login");
            await page.GetByLabel("Email").FillAsync(api.Email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Phone board" })).ToBeVisibleAsync(Visible);

            foreach (var (path, ready, name) in new[] {
                ("/", "Phone board", "boards"), ($"/boards/{boardId}", "A rather long task title", "board"),
                ("/my-tasks", "A rather long task title", "my-tasks"), ("/settings", "Save profile", "settings"), ($"/boards/{boardId}/reports", "Completion rate", "reports") })
            {
                await page.GotoAsync(path);
                await Assertions.Expect(page.GetByText(ready).First).ToBeVisibleAsync(Visible);
                await AssertNoHorizontalOverflow(page, name);
                var logOut = page.GetByRole(AriaRole.Button, new() { Name = "Log out" });
                await Assertions.Expect(logOut).ToBeInViewportAsync(new() { Ratio = 1 });
                await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, $"30-phone-{name}.png") });
            }

            await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome back" })).ToBeVisibleAsync(Visible);
        }
        finally { await ctx.CloseAsync(); }
    }
}
