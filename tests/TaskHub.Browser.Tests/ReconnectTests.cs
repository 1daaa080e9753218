using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

[Collection("browser")]
public sealed class ReconnectTests(ServerFixture server)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 30_000 };

    [Fact]
    public async Task After_a_dropped_connection_the_board_shows_reconnecting_and_catches_up_on_missed_changes()
    {
        using var api = await server.Api().RegisterAndLogin("Rita Reconnect");
        var boardId = await api.CreateBoard("Flaky network");
        var id = (await api.CreateTask(boardId, "Before the drop"))["id"]!.GetValue<string>();

        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        var block = false;
        IWebSocketRoute? current = null;
        await page.RouteWebSocketAsync(new Regex("/hubs/board"), ws =>
        {
            if (block) { _ = ws.CloseAsync(new() { Code = 1011, Reason = "network down" }); return; }
            current = ws;
            ws.ConnectToServer();
        });
        try
        {
            await page.GotoAsync("/login");
            await page.GetByLabel("Email").FillAsync(api.Email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page.Locator("article[data-task-id]", new() { HasText = "Before the drop" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("reconnecting")).ToHaveCountAsync(0);
            Assert.NotNull(current);

            // the network drops: the open socket closes and new ones are refused
            block = true;
            await current!.CloseAsync(new() { Code = 1011, Reason = "network down" });
            await Assertions.Expect(page.GetByTestId("reconnecting")).ToBeVisibleAsync(Visible);
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "12-reconnecting.png") });

            // changes happen meanwhile
            await api.PatchTask(id, new { status = "done", title = "Changed while offline" });
            await api.CreateTask(boardId, "Created while offline");

            block = false; // the network comes back: the client re-joins with its seq and catches up
            await Assertions.Expect(page.Locator("section[data-status='done'] article[data-task-id]", new() { HasText = "Changed while offline" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.Locator("section[data-status='todo'] article[data-task-id]", new() { HasText = "Created while offline" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("reconnecting")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        }
        finally { await ctx.CloseAsync(); }
    }
}
