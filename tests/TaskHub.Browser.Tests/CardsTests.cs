using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

/// <summary>Cards a team can work in: order, labels, checklist, comments with mentions, conflicts — against the real server.</summary>
[Collection("browser")]
public sealed class CardsTests(ServerFixture server)
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 15_000 };

    private async Task<(IBrowserContext, IPage)> LoggedIn(string email)
    {
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(ApiClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
        return (ctx, page);
    }

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
}
