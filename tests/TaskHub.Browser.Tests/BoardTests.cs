using System.Diagnostics;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

[Collection("browser")]
public sealed class BoardTests(ServerFixture server, ITestOutputHelper output)
{

    private void Log(string line) { output.WriteLine(line); Console.WriteLine(line); }

    private async Task<(IBrowserContext, IPage)> NewPage(int width = 1400, int height = 900)
    {
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        return (ctx, page);
    }

    private static async Task LogIn(IPage page, string email)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(ApiClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
    }

    private static ILocator Card(IPage page, string status, string title) =>
        page.Locator($"section[data-status='{status}'] article[data-task-id]", new() { HasText = title });

    private Task Shot(IPage page, string name) => page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, name + ".png") });

    [Fact]
    public async Task A_user_signs_up_creates_a_board_and_a_task_and_drags_it_to_done()
    {
        var (ctx, page) = await NewPage();
        try
        {
            var email = ApiClient.NewEmail("ada");
            await page.GotoAsync("/signup");
            await Shot(page, "01-signup");
            await page.GetByLabel("Name").FillAsync("Ada Lovelace");
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);

            await page.GetByLabel("Board name").FillAsync("Launch plan");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create board" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Launch plan" })).ToBeVisibleAsync(Visible);

            await page.GetByRole(AriaRole.Button, new() { Name = "New task" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Title").FillAsync("Write the press release");
            await dialog.GetByLabel("Priority").SelectOptionAsync("high");
            await dialog.GetByLabel("Deadline (your local time)").FillAsync(DateTime.Now.AddHours(20).ToString("yyyy-MM-ddTHH:mm"));
            await dialog.GetByLabel("Assignee").SelectOptionAsync(new SelectOptionValue { Label = "Ada Lovelace" });
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create task" }).ClickAsync();

            var card = Card(page, "todo", "Write the press release");
            await Assertions.Expect(card).ToBeVisibleAsync(Visible);
            await Assertions.Expect(card.Locator(".chip.due-soon")).ToBeVisibleAsync();
            await Assertions.Expect(card.GetByRole(AriaRole.Img, new() { Name = "Assignee: Ada Lovelace" })).ToBeVisibleAsync();
            await Shot(page, "02-board-with-task");

            await card.DragToAsync(page.Locator("section[data-status='done']"));
            await Assertions.Expect(Card(page, "done", "Write the press release")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("count-done")).ToHaveTextAsync("1");

            // the server agrees (poll: the PATCH is optimistic)
            using var api = server.Api();
            await api.Login(email);
            var boards = (await api.Send(HttpMethod.Get, "/api/boards"))["items"]!.AsArray();
            var boardId = boards.Single()!["id"]!.GetValue<string>();
            string? status = null;
            for (var i = 0; i < 50 && status != "done"; i++)
            {
                status = (await api.Tasks(boardId)).Single()!["status"]!.GetValue<string>();
                if (status != "done") await Task.Delay(100);
            }
            Assert.Equal("done", status);

            // the task dialog shows the history
            await Card(page, "done", "Write the press release").ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Complementary, new() { Name = "Activity" }).GetByText("moved")).ToBeVisibleAsync(Visible);
            await Shot(page, "03-task-dialog");
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task Two_users_in_two_browsers_see_each_others_changes_live()
    {
        using var alice = await server.Api().RegisterAndLogin("Alice Archer");
        using var bob = await server.Api().RegisterAndLogin("Bob Baker");
        var boardId = await alice.CreateBoard("Shared board");
        await alice.AddMember(boardId, bob.Email, "member");

        var (ctxA, pageA) = await NewPage();
        var (ctxB, pageB) = await NewPage(430, 900); // Bob on a phone-sized window
        // The board speaks the MessagePack hub protocol: its handshake asks for it and the pushes come as binary frames.
        // Its URL carries the short hub token (which every live WebSocket keeps), not the JWT.
        var handshakes = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var hubUrls = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var binaryFrames = 0;
        pageB.WebSocket += (_, ws) =>
        {
            if (!ws.Url.Contains("/hubs/board")) return;
            hubUrls.Enqueue(ws.Url);
            ws.FrameSent += (_, f) => { if (f.Text is { } t) handshakes.Enqueue(t); };
            ws.FrameReceived += (_, f) => { if (f.Binary is { Length: > 0 }) Interlocked.Increment(ref binaryFrames); };
        };
        try
        {
            await LogIn(pageA, alice.Email);
            await LogIn(pageB, bob.Email);
            await pageA.GotoAsync($"/boards/{boardId}");
            await pageB.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(pageA.GetByRole(AriaRole.Img, new() { Name = "Bob Baker is viewing" })).ToBeVisibleAsync(Visible);

            // Alice creates a task in her browser; Bob sees it without reloading
            await pageA.GetByRole(AriaRole.Button, new() { Name = "New task" }).ClickAsync();
            await pageA.GetByRole(AriaRole.Dialog).GetByLabel("Title").FillAsync("Order the cake");
            await pageA.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Create task" }).ClickAsync();
            await Assertions.Expect(Card(pageB, "todo", "Order the cake")).ToBeVisibleAsync(Visible);

            // Bob moves it with the keyboard; Alice sees it move
            await Card(pageB, "todo", "Order the cake").FocusAsync();
            await pageB.Keyboard.PressAsync("ArrowRight");
            await Assertions.Expect(Card(pageB, "in_progress", "Order the cake")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(Card(pageA, "in_progress", "Order the cake")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(pageA.GetByTestId("live-region")).ToContainTextAsync("Bob Baker moved");
            await Shot(pageB, "04-phone-board");

            // a change made elsewhere (the API) shows up in both
            var id = await Card(pageA, "in_progress", "Order the cake").GetAttributeAsync("data-task-id");
            await alice.PatchTask(id!, new { title = "Order the big cake", priority = "urgent" });
            await Assertions.Expect(Card(pageB, "in_progress", "Order the big cake")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(Card(pageA, "in_progress", "Order the big cake")).ToBeVisibleAsync(Visible);
            await Shot(pageA, "05-live-desktop");
            Assert.StartsWith("{\"protocol\":\"messagepack\",\"version\":1}", handshakes.First());
            Assert.True(binaryFrames > 0);
            Assert.NotEmpty(hubUrls);
            Assert.All(hubUrls, u => Assert.Matches(@"[?&]access_token=h1\.[A-Za-z0-9_-]{60,80}$", u));
        }
        finally { await ctxA.CloseAsync(); await ctxB.CloseAsync(); }
    }

    [Fact]
    public async Task A_viewer_cannot_drag_a_card_and_is_told_why()
    {
        using var owner = await server.Api().RegisterAndLogin("Olga Owner");
        using var viewer = await server.Api().RegisterAndLogin("Victor Viewer");
        var boardId = await owner.CreateBoard("Read only for some");
        var id = (await owner.CreateTask(boardId, "Do not touch"))["id"]!.GetValue<string>();
        await owner.AddMember(boardId, viewer.Email, "viewer");

        var (ctx, page) = await NewPage();
        try
        {
            await LogIn(page, viewer.Email);
            await page.GotoAsync($"/boards/{boardId}");
            var card = Card(page, "todo", "Do not touch");
            await Assertions.Expect(card).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "New task" })).ToHaveCountAsync(0);

            await card.DragToAsync(page.Locator("section[data-status='done']"));
            await Assertions.Expect(page.GetByText("Viewers can't change tasks.")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(Card(page, "todo", "Do not touch")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("count-done")).ToHaveTextAsync("0");
            await Shot(page, "07-viewer");
            Assert.Equal("todo", (await owner.GetTask(id))["status"]!.GetValue<string>());
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_board_of_5000_tasks_opens_quickly_renders_only_visible_cards_and_drags_fast()
    {
        using var api = await server.Api().RegisterAndLogin("Big Board");
        var boardId = await api.CreateBoard("Five thousand");
        var priorities = new[] { "low", "medium", "high", "urgent" };
        var seed = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, 5000), new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => await api.CreateTask(boardId, $"Seeded task {i:D4}", priorities[i % 4]));
        Log($"[5000 tasks] seeded through the REST API in {seed.ElapsedMilliseconds} ms (16 in flight)");

        var (ctx, page) = await NewPage();
        try
        {
            await LogIn(page, api.Email);
            var open = Stopwatch.StartNew();
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page.Locator("section[data-status='todo'] article[data-task-id]").First).ToBeVisibleAsync(Visible);
            open.Stop();
            await Assertions.Expect(page.GetByTestId("count-todo")).ToHaveTextAsync("5000");
            var rendered = await page.Locator("article[data-task-id]").CountAsync();
            Log($"[5000 tasks] board open (navigation → first card visible): {open.ElapsedMilliseconds} ms; cards in the DOM: {rendered}");
            Assert.True(rendered < 200, $"expected a windowed column, found {rendered} cards in the DOM");
            Assert.True(open.Elapsed < TimeSpan.FromSeconds(10), $"opening took {open.ElapsedMilliseconds} ms");
            await Shot(page, "08-big-board");

            var title = (await page.Locator("section[data-status='todo'] article[data-task-id] .card-title").First.TextContentAsync())!;
            // scrolling far down renders cards from the end of the list (and unmounts the first ones)
            await page.Locator("section[data-status='todo'] .column-body").EvaluateAsync("el => el.scrollTop = el.scrollHeight");
            await Assertions.Expect(Card(page, "todo", title)).ToHaveCountAsync(0, new() { Timeout = 15_000 });
            await Assertions.Expect(page.Locator("section[data-status='todo'] article[data-task-id]").Last).ToBeVisibleAsync(Visible);

            await page.Locator("section[data-status='todo'] .column-body").EvaluateAsync("el => el.scrollTop = 0");
            var first = Card(page, "todo", title);
            await Assertions.Expect(first).ToBeVisibleAsync(Visible);
            var drag = Stopwatch.StartNew();
            await first.DragToAsync(page.Locator("section[data-status='in_progress']"));
            await Assertions.Expect(Card(page, "in_progress", title)).ToBeVisibleAsync(Visible);
            drag.Stop();
            Log($"[5000 tasks] drag to In progress (drag start → card shown in the new column): {drag.ElapsedMilliseconds} ms");
            Assert.True(drag.Elapsed < TimeSpan.FromSeconds(10), $"the drag took {drag.ElapsedMilliseconds} ms");
            await Assertions.Expect(page.GetByTestId("count-todo")).ToHaveTextAsync("4999");

            var moved = await Card(page, "in_progress", title).GetAttributeAsync("data-task-id");
            string? status = null;
            for (var i = 0; i < 50 && status != "in_progress"; i++)
            {
                status = (await api.GetTask(moved!))["status"]!.GetValue<string>();
                if (status != "in_progress") await Task.Delay(100);
            }
            Assert.Equal("in_progress", status);
        }
        finally { await ctx.CloseAsync(); }
    }
}
