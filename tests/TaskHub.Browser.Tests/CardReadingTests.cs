using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// Reading a card: priorities capitalised alike in the menus and on the cards, done cards look done, a card grows with
/// its title (the windowed column lays out the real heights), one avatar when the assignee is the supervisor, icons
/// (SVG) rather than text glyphs.
/// </summary>
[Collection("browser")]
public sealed class CardReadingTests(ServerFixture server)
{
    private static readonly string Long = string.Join(' ', Enumerable.Repeat("a long title that keeps going", 6));

    [Fact]
    public async Task Cards_read_well_priorities_done_long_titles_one_avatar_and_icons()
    {
        using var api = await server.Api().RegisterAndLogin("Rhea Reader");
        var boardId = await api.CreateBoard("Reading board");
        await api.CreateTask(boardId, "Short one", "high");
        await api.CreateTask(boardId, Long, "low");
        await api.CreateTask(boardId, "Below the long one");
        var both = (await api.CreateTask(boardId, "Mine twice", "urgent"))["id"]!.GetValue<string>();
        await api.PatchTask(both, new { assigneeId = api.UserId, supervisorId = api.UserId });
        await api.Send(HttpMethod.Post, $"/api/tasks/{both}/comments", new { body = "A comment" });
        var done = (await api.CreateTask(boardId, "Finished work"))["id"]!.GetValue<string>();
        await api.PatchTask(done, new { status = "done" });

        var (ctx, page) = await Browser.LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            var card = (string text) => page.Locator(".card", new() { HasText = text });
            await Assertions.Expect(card("Below the long one")).ToBeVisibleAsync(Visible);

            // priorities: capitalised in both menus, on the cards and in their names
            Assert.Equal(["Any", "Urgent", "High", "Medium", "Low"], await page.GetByLabel("Priority").Locator("option").AllInnerTextsAsync());
            Assert.Equal("High", await card("Short one").Locator(".prio").TextContentAsync());
            Assert.Contains("High priority", await card("Short one").GetAttributeAsync("aria-label"));

            // a long title is shown whole: the card grows and the next card starts below it
            var longBox = (await card("a long title").BoundingBoxAsync())!;
            var belowBox = (await card("Below the long one").BoundingBoxAsync())!;
            var shortBox = (await card("Short one").BoundingBoxAsync())!;
            var longTitle = (await card("a long title").Locator(".card-title").BoundingBoxAsync())!;
            var shortTitle = (await card("Short one").Locator(".card-title").BoundingBoxAsync())!;
            Assert.True(longTitle.Height > 2.5 * shortTitle.Height, $"the long title shows {longTitle.Height} px, one line is {shortTitle.Height} px: not all of its lines");
            Assert.True(longBox.Height > shortBox.Height, $"the long card is {longBox.Height} px, the short one {shortBox.Height} px");
            Assert.True(belowBox.Y >= longBox.Y + longBox.Height, $"the next card (top {belowBox.Y}) overlaps the long one (bottom {longBox.Y + longBox.Height})");
            var title = card("a long title").Locator(".card-title");
            Assert.True(await title.EvaluateAsync<bool>("e => e.scrollHeight <= e.clientHeight + 1"), "the long title is cut off");

            // done: struck through, muted, with a check, and said
            var finished = card("Finished work");
            Assert.Contains("line-through", await finished.Locator(".card-title").EvaluateAsync<string>("e => getComputedStyle(e).textDecorationLine"));
            Assert.NotEqual(await card("Short one").Locator(".card-title").EvaluateAsync<string>("e => getComputedStyle(e).color"),
                await finished.Locator(".card-title").EvaluateAsync<string>("e => getComputedStyle(e).color"));
            await Assertions.Expect(finished.Locator(".done-check")).ToBeVisibleAsync();
            Assert.Contains("(done)", await finished.GetAttributeAsync("aria-label"));

            // assignee = supervisor: one avatar naming both roles
            var mine = card("Mine twice");
            await Assertions.Expect(mine.Locator(".avatar")).ToHaveCountAsync(1);
            await Assertions.Expect(mine.GetByRole(AriaRole.Img, new() { Name = "Assignee and supervisor: Rhea Reader" })).ToBeVisibleAsync();

            // icons are SVG, not text glyphs
            await Assertions.Expect(mine.GetByTestId("comment-count").Locator("svg")).ToHaveCountAsync(1);
            await Assertions.Expect(mine.GetByTestId("comment-count")).ToHaveTextAsync("1");
            var theme = page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Switch to .* theme$") });
            await Assertions.Expect(theme.Locator("svg")).ToHaveCountAsync(1);
            await Assertions.Expect(theme).ToHaveTextAsync("");
            await page.GetByRole(AriaRole.Button, new() { Name = "New task" }).ClickAsync();
            var close = page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Close" });
            await Assertions.Expect(close.Locator("svg")).ToHaveCountAsync(1);
            await Assertions.Expect(close).ToHaveTextAsync("");
            Assert.Equal(["Urgent", "High", "Medium", "Low"], await page.GetByRole(AriaRole.Dialog).GetByLabel("Priority").Locator("option").AllInnerTextsAsync());
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "33-card-reading.png") });
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_long_windowed_column_of_cards_of_different_heights_scrolls_to_its_last_card_without_overlaps()
    {
        using var api = await server.Api().RegisterAndLogin("Wanda Window");
        var boardId = await api.CreateBoard("Tall cards");
        for (var i = 0; i < 120; i++) await api.CreateTask(boardId, i % 3 == 0 ? $"Card {i:000} {Long}" : $"Card {i:000}");

        var (ctx, page) = await Browser.LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Card 000" })).ToBeVisibleAsync(Visible);
            Assert.True(await page.Locator(".column[data-status=todo] .card").CountAsync() < 120, "the column is not windowed");
            var body = page.Locator(".column[data-status=todo] .column-body");
            // scroll down in steps (each step measures the cards it shows) to the very bottom
            for (var i = 0; i < 60; i++)
            {
                var atEnd = await body.EvaluateAsync<bool>("e => { e.scrollTop += e.clientHeight * 0.8; return e.scrollTop + e.clientHeight >= e.scrollHeight - 1; }");
                await page.WaitForTimeoutAsync(50);
                if (atEnd) break;
            }
            await body.EvaluateAsync("e => { e.scrollTop = e.scrollHeight; }");
            await Assertions.Expect(page.Locator(".card", new() { HasText = "Card 119" })).ToBeInViewportAsync();
            // near the bottom the cards are as tall as their titles: Card 117's long title, Card 118's short one
            var tall = (await page.Locator(".card", new() { HasText = "Card 117" }).Locator(".card-title").BoundingBoxAsync())!;
            var small = (await page.Locator(".card", new() { HasText = "Card 118" }).Locator(".card-title").BoundingBoxAsync())!;
            Assert.True(tall.Height > 2.5 * small.Height, $"Card 117's title shows {tall.Height} px, Card 118's {small.Height} px");
            var tops = await page.Locator(".column[data-status=todo] .card-slot").EvaluateAllAsync<double[][]>(
                "els => els.map(e => [e.getBoundingClientRect().top, e.getBoundingClientRect().bottom]).sort((a, b) => a[0] - b[0])");
            for (var i = 1; i < tops.Length; i++)
                Assert.True(tops[i][0] >= tops[i - 1][1] - 0.5, $"card slots overlap: one ends at {tops[i - 1][1]}, the next starts at {tops[i][0]}");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "34-tall-cards-bottom.png") });
        }
        finally { await ctx.CloseAsync(); }
    }
}
