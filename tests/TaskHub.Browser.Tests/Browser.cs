using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

/// <summary>Shared steps for the browser tests: a logged-in page, axe over part of a page.</summary>
public static class Browser
{
    public static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 15_000 };

    /// <summary>A new browser context logged in as <paramref name="email"/>; <paramref name="phone"/>: a 390 × 844 touch screen;
    /// <paramref name="baseUrl"/>: another TaskHub than the fixture's server (the local cluster's balancer).</summary>
    public static async Task<(IBrowserContext, IPage)> LoggedIn(ServerFixture server, string email, int width = 1280, int height = 860, bool phone = false, string? baseUrl = null)
    {
        var url = baseUrl ?? server.BaseUrl;
        var ctx = await server.Browser.NewContextAsync(phone
            ? new BrowserNewContextOptions { BaseURL = url, ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2 }
            : new BrowserNewContextOptions { BaseURL = url, ViewportSize = new ViewportSize { Width = width, Height = height } });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(ApiClient.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Boards" })).ToBeVisibleAsync(Visible);
        return (ctx, page);
    }

    /// <summary>The first link matching <paramref name="pattern"/> in an email to <paramref name="address"/> in maildev (scripts/services.sh; the test server sends through it), waiting for the outbox.</summary>
    public static async Task<string> EmailLinkAsync(string address, string pattern)
    {
        using var http = new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1080"), Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < 120; i++)
        {
            var all = await http.GetFromJsonAsync<JsonElement>("/email");
            foreach (var m in all.EnumerateArray())
            {
                if (!m.GetProperty("to").EnumerateArray().Any(t => string.Equals(t.GetProperty("address").GetString(), address, StringComparison.OrdinalIgnoreCase))) continue;
                var text = m.TryGetProperty("text", out var t) ? t.GetString() ?? "" : "";
                var link = Regex.Match(text, pattern);
                if (link.Success) return link.Value;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"no email for {address} with a link like {pattern} in maildev within 30 s");
    }

    /// <summary>axe-core over part of the page: no violations (the message lists them).</summary>
    public static async Task AssertAccessible(ILocator part, string what)
    {
        var result = await part.RunAxe();
        Assert.True(result.Violations.Length == 0, $"{what}: " + string.Join("; ", result.Violations.Select(v =>
            $"{v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
    }
}
