using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>The top bar's bell (inbox) and the board's notification level, against the real server.</summary>
[Collection("browser")]
public sealed class InboxTests(ServerFixture server)
{
    private static readonly LocatorAssertionsToHaveAttributeOptions Live = new() { Timeout = 15_000 };

    private Task<(IBrowserContext, IPage)> LoggedIn(string email) => Browser.LoggedIn(server, email, 1280, 800);

    /// <summary>axe-core over part of the page: no violations (the message lists them).</summary>
    private static async Task AssertAccessible(ILocator part, string what)
    {
        var result = await part.RunAxe();
        Assert.True(result.Violations.Length == 0, $"{what}: " + string.Join("; ", result.Violations.Select(v =>
            $"{v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
    }

    private static async Task PollUntil(Func<Task<int>> read, int expected, string what)
    {
        var last = -1;
        for (var i = 0; i < 100 && last != expected; i++)
        {
            last = await read();
            if (last != expected) await Task.Delay(100);
        }
        Assert.True(last == expected, $"{what}: expected {expected}, server says {last}");
    }

    [Fact]
    public async Task The_bell_counts_assignments_live_opens_the_task_and_marks_all_read()
    {
        using var alice = await server.Api().RegisterAndLogin("Alice Assigner");
        using var bob = await server.Api().RegisterAndLogin("Bob Bell");
        var boardId = await alice.CreateBoard("Inbox board");
        await alice.AddMember(boardId, bob.Email, "member");
        var first = (await alice.CreateTask(boardId, "First for Bob"))["id"]!.GetValue<string>();
        var second = (await alice.CreateTask(boardId, "Second for Bob"))["id"]!.GetValue<string>();

        var (ctx, page) = await LoggedIn(bob.Email);
        try
        {
            var bell = page.GetByRole(AriaRole.Button, new() { NameRegex = new("^Notifications, \\d+ unread$") });
            var badge = page.GetByTestId("inbox-badge");
            await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 0 unread", Live);
            await Assertions.Expect(badge).ToHaveCountAsync(0);

            // Alice assigns through the API; Bob's page (the boards list, no board open) counts up live: 1, then 2
            await alice.PatchTask(first, new { assigneeId = bob.UserId });
            await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 1 unread", Live);
            await Assertions.Expect(badge).ToHaveTextAsync("1");
            await alice.PatchTask(second, new { assigneeId = bob.UserId });
            await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 2 unread", Live);
            await Assertions.Expect(badge).ToHaveTextAsync("2");
            // the bell only: some generated avatar colours fail color-contrast with white initials (not the inbox's)
            await AssertAccessible(page.Locator("header.topbar .inbox"), "the bell");

            // the panel: Escape closes it and gives the bell its focus back
            await bell.ClickAsync();
            var panel = page.GetByRole(AriaRole.Dialog, new() { Name = "Notifications" });
            await Assertions.Expect(panel).ToBeVisibleAsync(Visible);
            var firstItem = panel.GetByRole(AriaRole.Button, new() { Name = "Alice Assigner assigned “First for Bob” to you" });
            await Assertions.Expect(firstItem).ToBeVisibleAsync(Visible);
            await Assertions.Expect(panel.Locator("li.inbox-item.unread")).ToHaveCountAsync(2);
            await AssertAccessible(panel, "inbox panel");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "13-inbox-panel.png") });
            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(panel).ToHaveCountAsync(0);
            await Assertions.Expect(bell).ToBeFocusedAsync();

            // clicking an item marks it read and opens that task's dialog on its board
            await bell.ClickAsync();
            await firstItem.ClickAsync();
            var taskDialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            await Assertions.Expect(taskDialog).ToBeVisibleAsync(Visible);
            await Assertions.Expect(taskDialog.GetByLabel("Title")).ToHaveValueAsync("First for Bob");
            Assert.Contains($"/boards/{boardId}", page.Url);
            await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 1 unread", Live);
            await PollUntil(bob.UnreadCount, 1, "unread after opening one");
            await taskDialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

            // on the board page too (same hub connection), pushes still arrive; then mark all read → 0
            var third = (await alice.CreateTask(boardId, "Third for Bob"))["id"]!.GetValue<string>();
            await alice.PatchTask(third, new { assigneeId = bob.UserId });
            await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 2 unread", Live);
            await bell.ClickAsync();
            await panel.GetByRole(AriaRole.Button, new() { Name = "Mark all read" }).ClickAsync();
            await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 0 unread", Live);
            await Assertions.Expect(badge).ToHaveCountAsync(0);
            await Assertions.Expect(panel.Locator("li.inbox-item.unread")).ToHaveCountAsync(0);
            await PollUntil(bob.UnreadCount, 0, "unread after mark all read");

            // a reload reads the count from the server: still 0
            await page.ReloadAsync();
            await Assertions.Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 0 unread", Live);
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Inbox board" })).ToBeVisibleAsync(Visible);
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task The_board_notification_level_shows_the_saved_value_and_saves_changes()
    {
        using var owner = await server.Api().RegisterAndLogin("Nora Notify");
        var boardId = await owner.CreateBoard("Quiet board");
        var (ctx, page) = await LoggedIn(owner.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            var level = page.GetByLabel("Notification level");
            var email = page.GetByRole(AriaRole.Switch, new() { Name = "Email me" });
            await Assertions.Expect(level).ToBeEnabledAsync();
            await Assertions.Expect(level).ToHaveValueAsync("participating");
            await Assertions.Expect(email).ToBeCheckedAsync();

            await level.SelectOptionAsync("watching");
            await Assertions.Expect(page.GetByText("This board: Watching, emails on")).ToBeVisibleAsync(Visible);
            await email.ClickAsync();
            await Assertions.Expect(page.GetByText("This board: Watching, emails off")).ToBeVisibleAsync(Visible);
            var saved = await owner.Send(HttpMethod.Get, $"/api/boards/{boardId}/notification-settings");
            Assert.Equal("watching", saved["level"]!.GetValue<string>());
            Assert.False(saved["email"]!.GetValue<bool>());
            await AssertAccessible(page.Locator(".board-head"), "board header");

            // the value shown comes from the server
            await owner.Send(HttpMethod.Put, $"/api/boards/{boardId}/notification-settings", new { level = "muted", email = false });
            await page.ReloadAsync();
            await Assertions.Expect(level).ToBeEnabledAsync();
            await Assertions.Expect(level).ToHaveValueAsync("muted");
            await Assertions.Expect(email).ToBeDisabledAsync();
        }
        finally { await ctx.CloseAsync(); }
    }
}
