using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>Sign-up sends the browser's IANA time zone, and signs up on UTC when the server refuses it.</summary>
[Collection("browser")]
public sealed class SignUpTimeZoneTests(ServerFixture server)
{

    private async Task<string> SignUp(string zone, Func<IRoute, Task>? register = null)
    {
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseUrl, TimezoneId = zone });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        if (register != null) await page.RouteAsync("**/api/auth/register", register);
        try
        {
            var email = ApiClient.NewEmail("zoe");
            await page.GotoAsync("/signup");
            await page.GetByLabel("Name").FillAsync("Zoe Zone");
            await page.GetByLabel("Email").FillAsync(email);
            await page.GetByLabel("Password").FillAsync(ApiClient.Password);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
            using var api = server.Api();
            await api.Login(email);
            return (await api.Send(HttpMethod.Get, "/api/me"))["timeZone"]!.GetValue<string>();
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task Sign_up_stores_the_browsers_time_zone()
    {
        Assert.Equal("Pacific/Auckland", await SignUp("Pacific/Auckland"));
    }

    [Fact]
    public async Task A_refused_time_zone_signs_up_on_utc_instead_of_failing()
    {
        var bodies = new List<JsonObject>();
        var zone = await SignUp("America/Sao_Paulo", async route =>
        {
            var body = JsonNode.Parse(route.Request.PostData!)!.AsObject();
            bodies.Add(body);
            if (body.ContainsKey("timeZone")) // as a server that does not know the zone answers
                await route.FulfillAsync(new() { Status = 400, ContentType = "application/problem+json",
                    Body = """{"title":"One or more validation errors occurred.","status":400,"errors":{"timeZone":["Unknown time zone."]}}""" });
            else await route.ContinueAsync();
        });
        Assert.Equal("UTC", zone);
        Assert.Equal(2, bodies.Count);
        Assert.Equal("America/Sao_Paulo", bodies[0]["timeZone"]!.GetValue<string>());
        Assert.False(bodies[1].ContainsKey("timeZone"));
    }
}
