using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>The landing page, onboarding on an empty account, the favicon, relative deadlines.</summary>
[Collection("browser")]
public sealed class FirstImpressionsTests(ServerFixture server)
{

    private Task<IBrowserContext> NewContext() => server.Browser.NewContextAsync(new BrowserNewContextOptions
    {
        BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 }, TimezoneId = "UTC", Locale = "en-US",
    });

    private static async Task LogIn(IPage page, string email)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(ApiClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
    }

    [Fact]
    public async Task A_visitor_who_is_not_signed_in_sees_what_TaskHub_is_and_the_way_in_and_the_favicon_is_served()
    {
        var ctx = await NewContext();
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await page.GotoAsync("/");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("task board");
            Assert.EndsWith("/", page.Url); // not sent straight to the login card
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "20-landing.png"), FullPage = true });
            await page.GetByRole(AriaRole.Link, new() { NameRegex = new("^Sign up") }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Create your account" })).ToBeVisibleAsync(Visible);
            await page.GoBackAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome back" })).ToBeVisibleAsync(Visible);

            foreach (var (path, type) in new[] { ("/favicon.ico", "image/"), ("/favicon.svg", "image/svg+xml") })
            {
                var r = await page.APIRequest.GetAsync(path);
                Assert.True(r.Status == 200, $"{path}: {r.Status}");
                Assert.StartsWith(type, r.Headers["content-type"]);
            }
            Assert.Equal("/favicon.svg", await page.Locator("link[rel=icon][type='image/svg+xml']").GetAttributeAsync("href"));
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task An_empty_account_gets_a_guide_and_a_sample_board_made_through_the_API()
    {
        using var api = await server.Api().RegisterAndLogin("Nina Newcomer");
        var ctx = await NewContext();
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await LogIn(page, api.Email);
            var guide = page.GetByRole(AriaRole.Region, new() { Name = "Welcome to TaskHub" });
            await Assertions.Expect(guide.Locator("ol > li")).ToHaveCountAsync(3);
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "21-onboarding.png") });
            await guide.GetByRole(AriaRole.Button, new() { Name = "Create a sample board" }).ClickAsync();

            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sample board", Level = 1 })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("count-todo")).ToHaveTextAsync("3");
            await Assertions.Expect(page.GetByTestId("count-in_progress")).ToHaveTextAsync("1");
            await Assertions.Expect(page.GetByTestId("count-done")).ToHaveTextAsync("1");

            var boards = (await api.Send(HttpMethod.Get, "/api/boards"))["items"]!.AsArray();
            var board = Assert.Single(boards);
            Assert.Equal("Sample board", board!["name"]!.GetValue<string>());
            var tasks = await api.Tasks(board["id"]!.GetValue<string>());
            Assert.Equal(5, tasks.Count);
            Assert.Contains(tasks, t => t!["title"]!.GetValue<string>().StartsWith("Welcome!", StringComparison.Ordinal));

            // with a board, the guide is gone
            await page.GetByRole(AriaRole.Link, new() { Name = "Boards" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Sample board" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create a sample board" })).ToHaveCountAsync(0);
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task Deadlines_read_as_relative_days_with_the_full_date_in_the_tooltip_on_cards_and_in_my_tasks_whose_rows_open_the_task()
    {
        using var api = await server.Api().RegisterAndLogin("Rita Relative");
        var boardId = await api.CreateBoard("Relative dates");
        var today = DateTime.UtcNow.Date;
        var soon = (await api.CreateTask(boardId, "Due tomorrow"))["id"]!.GetValue<string>();
        var late = (await api.CreateTask(boardId, "Due two days ago"))["id"]!.GetValue<string>();
        var later = (await api.CreateTask(boardId, "Due in three days"))["id"]!.GetValue<string>();
        await api.PatchTask(soon, new { dueAt = today.AddDays(1).AddHours(12), assigneeId = api.UserId });
        await api.PatchTask(late, new { dueAt = today.AddDays(-2).AddHours(12) });
        await api.PatchTask(later, new { dueAt = today.AddDays(3).AddHours(9) });

        var ctx = await NewContext(); // the browser's zone is UTC, like the dates above
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await LogIn(page, api.Email);
            await page.GotoAsync($"/boards/{boardId}");
            var chip = page.Locator(".card", new() { HasText = "Due tomorrow" }).GetByTestId("due");
            await Assertions.Expect(chip).ToHaveTextAsync("tomorrow", new() { Timeout = 15_000 });
            await Assertions.Expect(chip).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex($"^Due .*{today.AddDays(1).Year}"));
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Due two days ago" }).GetByTestId("due")).ToHaveTextAsync("Overdue · 2 days ago");
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Due in three days" }).GetByTestId("due")).ToHaveTextAsync("in 3 days");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "22-relative-dates.png") });

            await page.GetByRole(AriaRole.Link, new() { Name = "My tasks" }).ClickAsync();
            var row = page.Locator(".task-row", new() { HasText = "Due tomorrow" });
            await Assertions.Expect(row.GetByTestId("due")).ToHaveTextAsync("tomorrow", new() { Timeout = 15_000 });
            await Assertions.Expect(row.GetByTestId("due")).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("^Due "));

            // a row opens the task itself, not just its board
            await row.ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Dialog).GetByLabel("Title")).ToHaveValueAsync("Due tomorrow", new() { Timeout = 15_000 });
        }
        finally { await ctx.CloseAsync(); }
    }
}
