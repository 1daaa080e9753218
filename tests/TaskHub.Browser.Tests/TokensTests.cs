using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>Settings → API tokens: create, shown once with Copy, works against the API, last use, revoke.</summary>
[Collection("browser")]
public sealed class TokensTests(ServerFixture server)
{
    [Fact]
    public async Task A_token_is_shown_once_copied_works_shows_its_last_use_and_stops_working_when_revoked()
    {
        using var api = await server.Api().RegisterAndLogin("Tom Token");
        var (ctx, page) = await LoggedIn(server, api.Email);
        await ctx.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        try
        {
            await page.GotoAsync("/settings");
            var form = page.GetByRole(AriaRole.Form, new() { Name = "Create an API token" });
            await form.GetByLabel("Token name").FillAsync("CI export");
            await form.GetByLabel("Scope").SelectOptionAsync("write");
            await form.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
            var shown = page.GetByRole(AriaRole.Region, new() { Name = "Your new token" });
            await Assertions.Expect(shown.GetByText("it will not be shown again")).ToBeVisibleAsync(Visible);
            var token = await shown.GetByLabel("New token").InputValueAsync();
            Assert.False(string.IsNullOrWhiteSpace(token));
            await shown.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Token copied")).ToBeVisibleAsync(Visible);
            Assert.Equal(token, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
            await AssertAccessible(page.Locator("section[aria-labelledby=tokens-heading]"), "the API tokens section");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "23-api-tokens.png"), FullPage = true });

            // it works, and the list then says when it was last used; the token itself is not shown again
            using (var req = new HttpRequestMessage(HttpMethod.Get, "/api/me")) { req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token); Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(req)).StatusCode); }
            await page.ReloadAsync();
            var row = page.GetByRole(AriaRole.List, new() { Name = "API tokens" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "CI export" });
            await Assertions.Expect(row).ToContainTextAsync("Last used");
            await Assertions.Expect(row).ToContainTextAsync("Never expires");
            await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Your new token" })).ToHaveCountAsync(0);

            await row.GetByRole(AriaRole.Button, new() { Name = "Revoke CI export" }).ClickAsync();
            await Assertions.Expect(row).ToHaveCountAsync(0);
            using (var req = new HttpRequestMessage(HttpMethod.Get, "/api/me")) { req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token); Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(req)).StatusCode); }
        }
        finally { await ctx.CloseAsync(); }
    }
}
