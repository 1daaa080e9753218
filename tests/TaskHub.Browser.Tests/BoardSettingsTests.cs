using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>Board settings (invitations, roles, rename, delete), the /invite page, the 404 page and tab titles.</summary>
[Collection("browser")]
public sealed class BoardSettingsTests(ServerFixture server)
{
    /// <summary>The invitation link from maildev (scripts/services.sh; the test server sends through it), waiting for the outbox.</summary>
    private static Task<string> InviteLinkFor(string address) => EmailLinkAsync(address, @"https?://\S+/invite\?token=[^\s""<>]+");

    [Fact]
    public async Task An_owner_invites_an_address_which_signs_up_from_the_email_link_and_lands_on_the_board()
    {
        using var owner = await server.Api().RegisterAndLogin("Olive Owner");
        var boardId = await owner.CreateBoard("Launch");
        await owner.CreateTask(boardId, "Countdown");
        var invitee = ApiClient.NewEmail("ivan-invitee");
        var (ctx, page) = await LoggedIn(server, owner.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page).ToHaveTitleAsync("Launch · TaskHub");
            await page.GetByRole(AriaRole.Link, new() { Name = "Board settings" }).ClickAsync();
            await Assertions.Expect(page).ToHaveTitleAsync("Launch settings · TaskHub");
            var form = page.GetByRole(AriaRole.Form, new() { Name = "Invite by email" });
            await form.GetByLabel("Email address").FillAsync(invitee);
            await form.GetByLabel("Invite as").SelectOptionAsync("member");
            await form.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
            var pending = page.GetByRole(AriaRole.List, new() { Name = "Pending invitations" });
            await Assertions.Expect(pending.GetByText(invitee)).ToBeVisibleAsync(Visible);
            await AssertAccessible(page.Locator("main"), "the board settings page");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "22-board-settings.png"), FullPage = true });
        }
        finally { await ctx.CloseAsync(); }

        var link = await InviteLinkFor(invitee);
        Assert.StartsWith(server.BaseUrl + "/invite?token=", link);

        // a fresh browser: the preview, then Sign up with the address filled in, then the board
        var fresh = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl });
        var p = await fresh.NewPageAsync();
        p.SetDefaultTimeout(15_000);
        try
        {
            await p.GotoAsync(link);
            await Assertions.Expect(p.GetByText("Olive Owner invited")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(p.Locator(".invite-card")).ToContainTextAsync("Launch");
            await Assertions.Expect(p.Locator(".invite-card")).ToContainTextAsync("member");
            await AssertAccessible(p.Locator(".auth-card"), "the invitation page");
            await p.GetByRole(AriaRole.Link, new() { Name = $"Sign up as {invitee}" }).ClickAsync();
            await Assertions.Expect(p.GetByLabel("Email")).ToHaveValueAsync(invitee);
            await p.GetByLabel("Name").FillAsync("Ivan Invitee");
            await p.GetByLabel("Password").FillAsync(ApiClient.Password);
            await p.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
            await Assertions.Expect(p).ToHaveURLAsync(new Regex($"/boards/{boardId}$"), new() { Timeout = 15_000 });
            await Assertions.Expect(p.GetByRole(AriaRole.Heading, new() { Name = "Launch" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(p.GetByText("Countdown")).ToBeVisibleAsync(Visible);
        }
        finally { await fresh.CloseAsync(); }
        var members = (await owner.Send(HttpMethod.Get, $"/api/boards/{boardId}/members"))["items"]!.AsArray();
        Assert.Contains(members, m => m!["email"]!.GetValue<string>() == invitee && m["role"]!.GetValue<string>() == "member");
    }

    [Fact]
    public async Task An_invitation_opened_while_signed_in_as_someone_else_says_so()
    {
        using var owner = await server.Api().RegisterAndLogin("Oscar Owner");
        using var other = await server.Api().RegisterAndLogin("Wanda Wrong");
        var boardId = await owner.CreateBoard("Private");
        var invitee = ApiClient.NewEmail("right-person");
        await owner.Send(HttpMethod.Post, $"/api/boards/{boardId}/invitations", new { email = invitee, role = "viewer" });
        var link = await InviteLinkFor(invitee);
        var (ctx, page) = await LoggedIn(server, other.Email);
        try
        {
            await page.GotoAsync(link);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = $"this invitation is for {invitee}" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Log out and continue as {invitee}" })).ToBeVisibleAsync(Visible);
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task An_owner_hands_over_renames_and_deletes_a_board_after_typing_its_name()
    {
        using var owner = await server.Api().RegisterAndLogin("Rita Rename");
        using var admin = await server.Api().RegisterAndLogin("Hank Heir");
        var boardId = await owner.CreateBoard("Old name");
        await owner.AddMember(boardId, admin.Email, "member");
        var (ctx, page) = await LoggedIn(server, owner.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}/settings");
            // make Hank an owner, then step down to admin
            await page.GetByRole(AriaRole.Button, new() { Name = "Make Hank Heir an owner" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Step down to admin" }).ClickAsync();
            await Assertions.Expect(page.GetByText("You are now an admin of this board")).ToBeVisibleAsync(Visible);
            var members = (await owner.Send(HttpMethod.Get, $"/api/boards/{boardId}/members"))["items"]!.AsArray();
            Assert.Equal("owner", members.Single(m => m!["userId"]!.GetValue<string>() == admin.UserId)!["role"]!.GetValue<string>());
            Assert.Equal("admin", members.Single(m => m!["userId"]!.GetValue<string>() == owner.UserId)!["role"]!.GetValue<string>());
            // as an admin: no rename, no delete
            await Assertions.Expect(page.GetByRole(AriaRole.Form, new() { Name = "Rename the board" })).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete this board…" })).ToHaveCountAsync(0);
        }
        finally { await ctx.CloseAsync(); }

        var (ctx2, page2) = await LoggedIn(server, admin.Email);
        try
        {
            await page2.GotoAsync($"/boards/{boardId}/settings");
            var rename = page2.GetByRole(AriaRole.Form, new() { Name = "Rename the board" });
            await rename.GetByLabel("Board name").FillAsync("New name");
            await rename.GetByRole(AriaRole.Button, new() { Name = "Rename" }).ClickAsync();
            await Assertions.Expect(page2.GetByRole(AriaRole.Heading, new() { Name = "New name: settings" })).ToBeVisibleAsync(Visible);
            Assert.Equal("New name", (await admin.Send(HttpMethod.Get, $"/api/boards/{boardId}"))["name"]!.GetValue<string>());

            await page2.GetByRole(AriaRole.Button, new() { Name = "Delete this board…" }).ClickAsync();
            var del = page2.GetByRole(AriaRole.Form, new() { Name = "Delete the board" });
            var button = del.GetByRole(AriaRole.Button, new() { Name = "Delete the board" });
            await del.GetByRole(AriaRole.Textbox).FillAsync("New nam");
            await Assertions.Expect(button).ToBeDisabledAsync();
            await del.GetByRole(AriaRole.Textbox).FillAsync("New name");
            await Assertions.Expect(button).ToBeEnabledAsync();
            await button.ClickAsync();
            await Assertions.Expect(page2.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
            await Assert.ThrowsAsync<HttpRequestException>(() => admin.Send(HttpMethod.Get, $"/api/boards/{boardId}"));
        }
        finally { await ctx2.CloseAsync(); }
    }

    [Fact]
    public async Task An_unknown_URL_shows_a_404_page_with_its_title()
    {
        using var api = await server.Api().RegisterAndLogin("Nora Nowhere");
        var (ctx, page) = await LoggedIn(server, api.Email);
        try
        {
            await Assertions.Expect(page).ToHaveTitleAsync("Boards · TaskHub");
            await page.GotoAsync("/no/such/page");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Page not found" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page).ToHaveTitleAsync("Page not found · TaskHub");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToHaveCountAsync(0);
            await AssertAccessible(page.Locator("main"), "the 404 page");
            await page.GetByRole(AriaRole.Link, new() { Name = "Go to your boards" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
            await page.GotoAsync("/settings");
            await Assertions.Expect(page).ToHaveTitleAsync("Settings · TaskHub");
        }
        finally { await ctx.CloseAsync(); }
    }
}
