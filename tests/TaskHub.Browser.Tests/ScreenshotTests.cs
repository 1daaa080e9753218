using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

/// <summary>
/// A picture of every main page (<see cref="MainPages"/>, the list axe scans) in the light and the dark theme, on a
/// desktop (1280×800) and a phone (390×844): artifacts/screenshots/pages/{page}-{theme}-{device}.png (git-ignored).
/// </summary>
[Collection("browser")]
public sealed class ScreenshotTests(ServerFixture server)
{
    [Theory]
    [InlineData("light", "desktop")]
    [InlineData("dark", "desktop")]
    [InlineData("light", "phone")]
    [InlineData("dark", "phone")]
    public async Task Every_main_page_is_pictured(string theme, string device)
    {
        var dir = Path.Combine(server.ScreenshotDir, "pages");
        Directory.CreateDirectory(dir);
        string File(string name) => Path.Combine(dir, $"{name}-{theme}-{device}.png");
        foreach (var name in MainPages.Names) System.IO.File.Delete(File(name)); // only this run's pictures count

        using var seed = await MainPages.SeedAsync(server);
        var scheme = theme == "dark" ? ColorScheme.Dark : ColorScheme.Light;
        var phone = device == "phone";
        var ctx = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.BaseUrl, ColorScheme = scheme,
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1280, Height = 800 },
            IsMobile = phone, HasTouch = phone, DeviceScaleFactor = phone ? 2 : 1,
        });
        var page = await ctx.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        try
        {
            await MainPages.WalkAsync(server, page, seed, scheme, async name =>
            {
                await page.WaitForTimeoutAsync(300); // transitions (card flash, dialog) settle
                await page.ScreenshotAsync(new() { Path = File(name), Animations = ScreenshotAnimations.Disabled });
            });
        }
        finally { await ctx.CloseAsync(); }

        var missing = MainPages.Names.Where(n => !System.IO.File.Exists(File(n)) || new FileInfo(File(n)).Length < 1000).ToList();
        Assert.True(missing.Count == 0, $"no {theme} {device} screenshot of: {string.Join(", ", missing)}");
    }
}
