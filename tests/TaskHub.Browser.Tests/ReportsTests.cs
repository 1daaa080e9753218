using Microsoft.Playwright;

namespace TaskHub.Browser.Tests;

/// <summary>The reports page's trend charts: drawn (Chart.js on canvas), downloadable as CSV and PNG, 8 weeks or 6 months.</summary>
[Collection("browser")]
public sealed class ReportsTests(ServerFixture server)
{
    /// <summary>Pixels of the canvas in exactly the given colour (bars are solid rectangles of their dataset's colour).</summary>
    private const string CountColour = """
        ([c, rgb]) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2] && d[i + 3] === 255) n++;
          return n;
        }
        """;

    /// <summary>Pixels that differ from the top-left one (the painted background): 0 for a blank canvas.</summary>
    private const string CountDrawn = """
        c => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 4; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) n++;
          return n;
        }
        """;

    private static async Task<string> DownloadText(IPage page, ILocator button)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => button.ClickAsync());
        return await File.ReadAllTextAsync((await download.PathAsync())!);
    }

    [Fact]
    public async Task The_trend_charts_draw_and_download_as_CSV_and_PNG()
    {
        using var owner = await server.Api().RegisterAndLogin("Rita Reports");
        using var otto = await server.Api().RegisterAndLogin("Otto Overdue");
        var boardId = await owner.CreateBoard("Trend board");
        await owner.AddMember(boardId, otto.Email, "member");
        var a = (await owner.CreateTask(boardId, "Started then done"))["id"]!.GetValue<string>();
        var b = (await owner.CreateTask(boardId, "Done at once"))["id"]!.GetValue<string>();
        var c = (await owner.CreateTask(boardId, "Otto's late one"))["id"]!.GetValue<string>();
        var d = (await owner.CreateTask(boardId, "Nobody's late one"))["id"]!.GetValue<string>();
        await owner.PatchTask(a, new { status = "in_progress" });
        await owner.PatchTask(a, new { status = "done" });
        await owner.PatchTask(b, new { status = "done" });
        await owner.PatchTask(c, new { assigneeId = otto.UserId, dueAt = DateTime.UtcNow.AddDays(-1) });
        await owner.PatchTask(d, new { dueAt = DateTime.UtcNow.AddDays(-2) });

        var (ctx, page) = await Browser.LoggedIn(server, owner.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}/reports");
            var burnup = page.Locator("section[data-chart=burnup]");
            await Assertions.Expect(burnup.GetByRole(AriaRole.Heading, new() { Name = "Burn-up and throughput" })).ToBeVisibleAsync(Browser.Visible);
            var canvas = burnup.Locator("canvas");
            await Assertions.Expect(canvas).ToHaveAttributeAsync("aria-label",
                "Burn-up over the last 8 weeks: scope from 0 to 4 tasks, done from 0 to 2; 4 created and 2 completed in the range.");

            // drawn: more than a background, and the "created" bars in the light theme's accent (#5e6ad2)
            Assert.True(await canvas.EvaluateAsync<int>(CountDrawn) > 1000, "the burn-up canvas is blank");
            var accentPixels = await page.EvaluateAsync<int>($"({CountColour})([document.querySelector('#burnup-canvas'), [94, 106, 210]])");
            Assert.True(accentPixels > 100, $"no created bars drawn ({accentPixels} accent pixels)");
            var overduePixels = await page.EvaluateAsync<int>($"({CountColour})([document.querySelector('#overdue-canvas'), [192, 38, 58]])");
            Assert.True(overduePixels > 100, $"no overdue bars drawn ({overduePixels} danger pixels)");
            Assert.True(await page.Locator("#cycle-canvas").EvaluateAsync<int>(CountDrawn) > 1000, "the cycle-time canvas is blank");

            // the text alternative: a table per chart
            var overdue = page.Locator("section[data-chart=overdue]");
            await Assertions.Expect(overdue.Locator("table caption")).ToHaveTextAsync("Overdue open tasks by assignee");
            await Assertions.Expect(overdue.Locator("table tbody tr")).ToHaveCountAsync(2);

            // CSV: eight weeks, everything in the last one
            var csv = await DownloadText(page, burnup.GetByRole(AriaRole.Button, new() { Name = "Download CSV: Burn-up and throughput" }));
            var lines = csv.TrimEnd().Split("\r\n");
            Assert.Equal("period_start,period_end,created,completed,scope,done", lines[0]);
            Assert.Equal(9, lines.Length);
            Assert.All(lines[1..8], l => Assert.EndsWith(",0,0,0,0", l));
            Assert.EndsWith(",4,2,4,2", lines[8]);
            Assert.Matches(@"^\d{4}-\d{2}-\d{2},\d{4}-\d{2}-\d{2},", lines[8]);

            var overdueCsv = await DownloadText(page, overdue.GetByRole(AriaRole.Button, new() { Name = "Download CSV: Overdue by assignee" }));
            Assert.Equal($"assignee_id,assignee,overdue\r\n{otto.UserId},Otto Overdue,1\r\n,Unassigned,1\r\n", overdueCsv);

            var cycleCsv = await DownloadText(page, page.Locator("section[data-chart=cycle]").GetByRole(AriaRole.Button, new() { Name = "Download CSV: Cycle time" }));
            Assert.StartsWith("bucket,min_hours,max_hours,tasks\r\n<1d,0,24,2\r\n", cycleCsv);

            // PNG: a real PNG file
            var png = await page.RunAndWaitForDownloadAsync(() => burnup.GetByRole(AriaRole.Button, new() { Name = "Download PNG: Burn-up and throughput" }).ClickAsync());
            Assert.EndsWith(".png", png.SuggestedFilename);
            var bytes = await File.ReadAllBytesAsync((await png.PathAsync())!);
            Assert.True(bytes.Length > 2000, $"PNG of {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);

            // six months: six rows
            await page.GetByRole(AriaRole.Button, new() { Name = "6 months" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "6 months" })).ToHaveAttributeAsync("aria-pressed", "true");
            await Assertions.Expect(burnup.Locator("table tbody tr")).ToHaveCountAsync(6);
            var monthly = (await DownloadText(page, burnup.GetByRole(AriaRole.Button, new() { Name = "Download CSV: Burn-up and throughput" }))).TrimEnd().Split("\r\n");
            Assert.Equal(7, monthly.Length);
            Assert.EndsWith(",4,2,4,2", monthly[6]);
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "reports-trends.png"), FullPage = true });

            // printing: the buttons and the range switch are not on paper
            await page.EmulateMediaAsync(new() { Media = Media.Print });
            await Assertions.Expect(burnup.GetByRole(AriaRole.Button, new() { Name = "Download CSV: Burn-up and throughput" })).ToBeHiddenAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Group, new() { Name = "Trend range" })).ToBeHiddenAsync();
            await Assertions.Expect(canvas).ToBeVisibleAsync();

            // the dark theme redraws with its own colours: the overdue bars in its --danger (#ff6b78)
            await page.EmulateMediaAsync(new() { Media = Media.Screen, ColorScheme = ColorScheme.Dark });
            var dark = 0;
            for (var i = 0; i < 50 && dark <= 100; i++, await page.WaitForTimeoutAsync(100))
                dark = await page.EvaluateAsync<int>($"({CountColour})([document.querySelector('#overdue-canvas'), [255, 107, 120]])");
            Assert.True(dark > 100, $"the overdue bars were not redrawn in the dark theme's colour ({dark} pixels)");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "reports-trends-dark.png"), FullPage = true });
        }
        finally { await ctx.CloseAsync(); }
    }
}
