using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

[Collection("browser")]
public sealed class PagesTests(ServerFixture server)
{

    [Fact]
    public async Task An_owner_invites_a_member_changes_a_role_and_sees_my_tasks_reports_and_settings()
    {
        using var owner = await server.Api().RegisterAndLogin("Paula Planner");
        using var other = await server.Api().RegisterAndLogin("Quentin Quill");
        var boardId = await owner.CreateBoard("Quarterly");
        var t = await owner.CreateTask(boardId, "Assigned to me");
        await owner.PatchTask(t["id"]!.GetValue<string>(), new { assigneeId = owner.UserId, status = "done" });

        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 860 }, ColorScheme = ColorScheme.Dark });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await page.GotoAsync("/login");
            await page.GetByLabel("Email").FillAsync(owner.Email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Quarterly" })).ToBeVisibleAsync(Visible);

            // members: invite by email as a viewer, then promote to member
            await page.GetByRole(AriaRole.Link, new() { Name = "Quarterly" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Members" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Email").FillAsync(other.Email);
            await dialog.Locator("form.invite select").SelectOptionAsync("viewer");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();
            var roleSelect = dialog.GetByLabel("Role of Quentin Quill");
            await Assertions.Expect(roleSelect).ToHaveValueAsync("viewer", new() { Timeout = 15_000 });
            await roleSelect.SelectOptionAsync("member");
            await Assertions.Expect(page.GetByText("Quentin Quill is now member")).ToBeVisibleAsync(Visible);
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "09-members-dark.png") });
            var members = (await owner.Send(HttpMethod.Get, $"/api/boards/{boardId}/members"))["items"]!.AsArray();
            Assert.Equal("member", members.Single(m => m!["userId"]!.GetValue<string>() == other.UserId)!["role"]!.GetValue<string>());
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync();

            // reports
            await page.GetByRole(AriaRole.Link, new() { Name = "Reports" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Completion rate")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.Locator(".stat", new() { HasText = "Completed" }).Locator(".stat-value")).ToHaveTextAsync("1");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "10-reports-dark.png") });

            // my tasks
            await page.GetByRole(AriaRole.Link, new() { Name = "My tasks" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Assigned to me")).ToBeVisibleAsync(Visible);

            // settings: rename, notifications
            await page.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
            await page.GetByRole(AriaRole.Textbox, new() { Name = "Name", Exact = true }).FillAsync("Paula P. Planner");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save profile" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Profile saved")).ToBeVisibleAsync(Visible);
            await page.GetByLabel("Digest").SelectOptionAsync("weekly");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save notifications" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Notification settings saved")).ToBeVisibleAsync(Visible);
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "11-settings-dark.png"), FullPage = true });
            Assert.Equal("Paula P. Planner", (await owner.Send(HttpMethod.Get, "/api/me"))["displayName"]!.GetValue<string>());
            Assert.Equal("weekly", (await owner.Send(HttpMethod.Get, "/api/me/notification-settings"))["digest"]!.GetValue<string>());
        }
        finally { await ctx.CloseAsync(); }
    }
    [Fact]
    public async Task Deleting_a_card_can_be_undone_and_otherwise_deletes_it_on_the_server()
    {
        using var api = await server.Api().RegisterAndLogin("Dora Delete");
        var boardId = await api.CreateBoard("Deletions");
        var id = (await api.CreateTask(boardId, "Maybe delete me"))["id"]!.GetValue<string>();
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await page.GotoAsync("/login");
            await page.GetByLabel("Email").FillAsync(api.Email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
            await page.GotoAsync($"/boards/{boardId}");
            var card = page.Locator("article[data-task-id]", new() { HasText = "Maybe delete me" });
            await card.FocusAsync();
            await page.Keyboard.PressAsync("Delete");
            await Assertions.Expect(card).ToHaveCountAsync(0);
            await page.GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
            await Assertions.Expect(card).ToBeVisibleAsync(Visible);
            await Task.Delay(5_500);
            Assert.Equal("Maybe delete me", (await api.GetTask(id))["title"]!.GetValue<string>()); // undone: still there

            await card.FocusAsync();
            await page.Keyboard.PressAsync("Delete");
            await Assertions.Expect(card).ToHaveCountAsync(0);
            var gone = false;
            for (var i = 0; i < 100 && !gone; i++)
            {
                try { await api.GetTask(id); await Task.Delay(100); }
                catch (HttpRequestException e) when (e.Message.Contains("404")) { gone = true; }
            }
            Assert.True(gone, "the task was not deleted on the server after the undo window");
        }
        finally { await ctx.CloseAsync(); }
    }
}
