using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// Touch screens give no HTML5 drag-and-drop: on a phone a card is held, dragged (the board scrolls when the finger
/// nears its edge) and dropped in another column, which the server then has. Real touch input through the DevTools
/// protocol (Input.dispatchTouchEvent): the browser makes the pointer and touch events, and would scroll if the
/// page let it.
/// </summary>
[Collection("browser")]
public sealed class TouchDragTests(ServerFixture server)
{

    private static Task Touch(ICDPSession cdp, string type, double x, double y) =>
        cdp.SendAsync("Input.dispatchTouchEvent", new Dictionary<string, object>
        {
            ["type"] = type,
            ["touchPoints"] = type == "touchEnd" ? Array.Empty<object>() : new object[] { new Dictionary<string, object> { ["x"] = x, ["y"] = y, ["id"] = 1 } },
        });

    [Fact]
    public async Task On_a_phone_a_touch_drag_moves_a_card_to_another_column_and_the_server_has_it_there()
    {
        using var api = await server.Api().RegisterAndLogin("Tess Touch");
        var boardId = await api.CreateBoard("Touch board");
        var id = (await api.CreateTask(boardId, "Drag me by touch", "high"))["id"]!.GetValue<string>();
        await api.CreateTask(boardId, "Stay in To do");
        var there = (await api.CreateTask(boardId, "Already in progress"))["id"]!.GetValue<string>();
        await api.PatchTask(there, new { status = "in_progress" });

        var (ctx, page) = await LoggedIn(server, api.Email, phone: true);
        try
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Touch board" })).ToBeVisibleAsync(Visible);
            await page.GotoAsync($"/boards/{boardId}");
            var card = page.Locator(".column[data-status=todo] .card", new() { HasText = "Drag me by touch" });
            await Assertions.Expect(card).ToBeVisibleAsync(Visible);
            var box = (await card.BoundingBoxAsync())!;
            var (x, y) = (box.X + box.Width / 2, box.Y + box.Height / 2);

            var cdp = await ctx.NewCDPSessionAsync(page);
            await Touch(cdp, "touchStart", x, y);
            await Task.Delay(500); // held still: picked up
            await Assertions.Expect(page.Locator(".drag-ghost")).ToBeVisibleAsync();
            // towards the right edge: the board scrolls until "In progress" is under the finger's way back
            for (var i = 1; i <= 8; i++) await Touch(cdp, "touchMove", x + (380 - x) * i / 8, y);
            await page.WaitForFunctionAsync("() => document.querySelector('.columns').scrollLeft >= 200", null, new() { Timeout = 10_000, PollingInterval = 20 });
            for (var i = 1; i <= 4; i++) await Touch(cdp, "touchMove", 380 - (380 - 195) * i / 4.0, y);
            await Assertions.Expect(page.Locator(".column[data-status=in_progress] .drop-line")).ToBeVisibleAsync();
            await Touch(cdp, "touchEnd", 195, y);

            await Assertions.Expect(page.Locator(".column[data-status=in_progress] .card", new() { HasText = "Drag me by touch" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.Locator(".drag-ghost")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0); // the drop opened no dialog
            for (var i = 0; i < 100 && (await api.GetTask(id))["status"]!.GetValue<string>() != "in_progress"; i++) await Task.Delay(100);
            Assert.Equal("in_progress", (await api.GetTask(id))["status"]!.GetValue<string>());
            Assert.Equal("todo", (await api.Tasks(boardId)).Select(t => t!.AsObject()).Single(t => t["title"]!.GetValue<string>() == "Stay in To do")["status"]!.GetValue<string>());
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "31-phone-touch-drag.png") });
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task On_a_phone_a_touch_drag_reorders_a_column()
    {
        using var api = await server.Api().RegisterAndLogin("Tom Touch");
        var boardId = await api.CreateBoard("Touch order");
        foreach (var t in new[] { "Alpha", "Bravo", "Charlie" }) await api.CreateTask(boardId, t);

        var (ctx, page) = await LoggedIn(server, api.Email, phone: true);
        try
        {
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Touch order" })).ToBeVisibleAsync(Visible);
            await page.GotoAsync($"/boards/{boardId}");
            var titles = page.Locator(".column[data-status=todo] .card .card-title");
            await Assertions.Expect(titles).ToHaveTextAsync(["Alpha", "Bravo", "Charlie"], new() { Timeout = 15_000 });
            var from = (await page.Locator(".card", new() { HasText = "Charlie" }).BoundingBoxAsync())!;
            var to = (await page.Locator(".card", new() { HasText = "Alpha" }).BoundingBoxAsync())!;

            var cdp = await ctx.NewCDPSessionAsync(page);
            var x = from.X + from.Width / 2;
            await Touch(cdp, "touchStart", x, from.Y + from.Height / 2);
            await Task.Delay(500);
            for (var i = 1; i <= 6; i++) await Touch(cdp, "touchMove", x, from.Y + from.Height / 2 + (to.Y + 10 - (from.Y + from.Height / 2)) * i / 6);
            await Touch(cdp, "touchEnd", x, to.Y + 10);

            await Assertions.Expect(titles).ToHaveTextAsync(["Charlie", "Alpha", "Bravo"]);
            for (var i = 0; i < 100; i++)
            {
                var order = (await api.Tasks(boardId)).Select(t => t!["title"]!.GetValue<string>()).ToList();
                if (order.SequenceEqual(["Charlie", "Alpha", "Bravo"])) return;
                await Task.Delay(100);
            }
            Assert.Fail("the server does not have Charlie at the top");
        }
        finally { await ctx.CloseAsync(); }
    }
}
