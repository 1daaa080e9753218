using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// The app's main pages, each waited for until it shows its content: the one list the accessibility scan (axe) and the
/// screenshots walk, so a page added here is checked and pictured in both themes and (screenshots) on a phone too.
/// </summary>
public static class MainPages
{

    /// <summary>Every page <see cref="WalkAsync"/> visits, in order.</summary>
    public static readonly string[] Names = ["landing", "signup", "login", "boards", "board", "task-dialog", "reports", "my-tasks", "settings"];

    public sealed record Seed(ApiClient Owner, ApiClient Other, string BoardId) : IDisposable
    {
        public void Dispose() { Owner.Dispose(); Other.Dispose(); }
    }

    /// <summary>A board with a second member and three cards: due soon (assignee and supervisor), overdue in progress, no date.</summary>
    public static async Task<Seed> SeedAsync(ServerFixture server)
    {
        var owner = await server.Api().RegisterAndLogin("Axel Axe");
        var other = await server.Api().RegisterAndLogin("Vera Viewer");
        var boardId = await owner.CreateBoard("Accessible board");
        await owner.AddMember(boardId, other.Email, "member");
        var soon = (await owner.CreateTask(boardId, "Due soon", "high"))["id"]!.GetValue<string>();
        var late = (await owner.CreateTask(boardId, "Overdue", "urgent"))["id"]!.GetValue<string>();
        var done = (await owner.CreateTask(boardId, "Shipped already", "low"))["id"]!.GetValue<string>();
        await owner.CreateTask(boardId, "No date", "low");
        await owner.PatchTask(soon, new { dueAt = DateTime.UtcNow.AddHours(20), assigneeId = owner.UserId, supervisorId = other.UserId });
        await owner.PatchTask(late, new { dueAt = DateTime.UtcNow.AddDays(-1), assigneeId = other.UserId, supervisorId = other.UserId, status = "in_progress" });
        await owner.PatchTask(done, new { status = "done", assigneeId = owner.UserId });
        return new Seed(owner, other, boardId);
    }

    /// <summary>
    /// Logs in as the seed's owner in <paramref name="page"/> and visits every page of <see cref="Names"/>, calling
    /// <paramref name="atPage"/> on each once it shows its content. The other member has the board open meanwhile
    /// (presence avatars), in a context of the same colour scheme.
    /// </summary>
    public static async Task WalkAsync(ServerFixture server, IPage page, Seed seed, ColorScheme scheme, Func<string, Task> atPage)
    {
        var otherCtx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ColorScheme = scheme });
        try
        {
            await page.GotoAsync("/");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync(Visible);
            await atPage("landing");
            await page.GotoAsync("/signup");
            await Assertions.Expect(page.GetByLabel("Name")).ToBeVisibleAsync(Visible);
            await atPage("signup");
            await page.GotoAsync("/login");
            await Assertions.Expect(page.GetByLabel("Email")).ToBeVisibleAsync(Visible);
            await atPage("login");

            await page.GetByLabel("Email").FillAsync(seed.Owner.Email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Accessible board" })).ToBeVisibleAsync(Visible);
            await atPage("boards");

            // someone else on the board, so the presence avatars show
            var otherPage = await otherCtx.NewPageAsync();
            await otherPage.GotoAsync("/login");
            await otherPage.GetByLabel("Email").FillAsync(seed.Other.Email);
            await otherPage.GetByLabel("Password").FillAsync(ApiClient.Password);
            await otherPage.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(otherPage.GetByRole(AriaRole.Link, new() { Name = "Accessible board" })).ToBeVisibleAsync(Visible);
            await otherPage.GotoAsync($"/boards/{seed.BoardId}");

            await page.GotoAsync($"/boards/{seed.BoardId}");
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Overdue" })).ToBeAttachedAsync(new() { Timeout = 15_000 });
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Due soon" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.Locator(".presence .avatar")).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            await atPage("board");

            await page.Locator(".card", new() { HasText = "Due soon" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Dialog)).ToBeVisibleAsync(Visible);
            await atPage("task-dialog");
            await page.Keyboard.PressAsync("Escape");

            await page.GotoAsync($"/boards/{seed.BoardId}/reports");
            await Assertions.Expect(page.GetByText("Completion rate")).ToBeVisibleAsync(Visible);
            // the trend charts (a chunk loaded afterwards) are part of the page that is scanned
            await Assertions.Expect(page.Locator("#overdue-canvas")).ToBeVisibleAsync(Visible);
            await atPage("reports");

            await page.GotoAsync("/my-tasks");
            await Assertions.Expect(page.GetByText("Due soon")).ToBeVisibleAsync(Visible);
            await atPage("my-tasks");

            await page.GotoAsync("/settings");
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Save profile" })).ToBeVisibleAsync(Visible);
            await atPage("settings");
        }
        finally { await otherCtx.CloseAsync(); }
    }
}
