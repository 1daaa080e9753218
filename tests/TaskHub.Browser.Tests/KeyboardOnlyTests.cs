using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// The board with the keyboard only: create a card, open it, edit it, move it with ← → ↑ ↓, delete it — and after
/// every step the focus is on a visible element that makes sense there, never lost to the page's body.
/// </summary>
[Collection("browser")]
public sealed class KeyboardOnlyTests(ServerFixture server)
{

    /// <summary>The focused element, checked: not the body, rendered, with a size, inside the viewport. Returns its description.</summary>
    private static async Task<string> FocusIsSensible(IPage page, string step)
    {
        string? problem = null;
        for (var i = 0; i < 50; i++)
        {
            problem = await page.EvaluateAsync<string?>(@"() => {
                const a = document.activeElement;
                if (!a || a === document.body || a === document.documentElement) return 'the focus is on the page body';
                if (!a.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return 'the focused ' + a.tagName + ' is hidden';
                const r = a.getBoundingClientRect();
                if (r.width < 4 || r.height < 4) return 'the focused ' + a.tagName + ' has no size';
                if (r.bottom < 0 || r.right < 0 || r.top > innerHeight || r.left > innerWidth) return 'the focused ' + a.tagName + ' is off screen';
                return null;
            }");
            if (problem == null) break;
            await Task.Delay(50); // a move re-mounts the card and focuses it a frame later
        }
        Assert.True(problem == null, $"after {step}: {problem}");
        return await page.EvaluateAsync<string>("() => { const a = document.activeElement; return a.tagName + ' ' + (a.getAttribute('aria-label') || a.textContent || '').slice(0, 60); }");
    }

    /// <summary>Tab (at most 80 times) until <paramref name="target"/> has the focus.</summary>
    private static async Task TabTo(IPage page, ILocator target, string what)
    {
        for (var i = 0; i < 80; i++)
        {
            if (await target.EvaluateAsync<bool>("e => e === document.activeElement")) return;
            await page.Keyboard.PressAsync("Tab");
        }
        Assert.Fail($"Tab never reached {what}");
    }

    [Fact]
    public async Task With_the_keyboard_only_a_card_is_created_opened_edited_moved_four_ways_and_deleted_and_the_focus_stays_sensible()
    {
        using var api = await server.Api().RegisterAndLogin("Kira Keyboard");
        var boardId = await api.CreateBoard("Keys only");
        foreach (var title in new[] { "Second in progress", "First in progress" })
        {
            var t = (await api.CreateTask(boardId, title))["id"]!.GetValue<string>();
            await api.PatchTask(t, new { status = "in_progress" });
        }
        var (ctx, page) = await Browser.LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(page.Locator(".card", new() { HasText = "First in progress" })).ToBeVisibleAsync(Visible);

            // create: Tab to New task, Enter, type the title, Enter submits
            var newTask = page.GetByRole(AriaRole.Button, new() { Name = "New task" });
            await TabTo(page, newTask, "New task");
            await page.Keyboard.PressAsync("Enter");
            var dialog = page.GetByRole(AriaRole.Dialog);
            await Assertions.Expect(dialog.GetByLabel("Title")).ToBeFocusedAsync();
            await FocusIsSensible(page, "opening New task");
            await page.Keyboard.TypeAsync("Typed card");
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(dialog).ToHaveCountAsync(0, new() { Timeout = 15_000 });
            var card = page.Locator(".card", new() { HasText = "Typed card" });
            await Assertions.Expect(page.Locator(".column[data-status=todo] .card", new() { HasText = "Typed card" })).ToBeVisibleAsync(Visible);
            await Assertions.Expect(newTask).ToBeFocusedAsync(); // back where the user was
            await FocusIsSensible(page, "creating the card");

            // open: Tab to the card, Enter
            await TabTo(page, card, "the new card");
            await FocusIsSensible(page, "tabbing to the card");
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(dialog.GetByLabel("Title")).ToBeFocusedAsync();
            await FocusIsSensible(page, "opening the card");

            // edit: replace the title, Enter saves and gives the focus back to the card
            await page.Keyboard.PressAsync("ControlOrMeta+A");
            await page.Keyboard.TypeAsync("Edited by keys");
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(dialog).ToHaveCountAsync(0, new() { Timeout = 15_000 });
            card = page.Locator(".card", new() { HasText = "Edited by keys" });
            await Assertions.Expect(card).ToBeFocusedAsync();
            await FocusIsSensible(page, "saving the edit");
            var id = await card.GetAttributeAsync("data-task-id");

            async Task<string[]> Column(string status) => [.. await page.Locator($".column[data-status={status}] .card .card-title").AllInnerTextsAsync()];
            async Task Moved(string key, string status, int index, string step)
            {
                await page.Keyboard.PressAsync(key);
                var inColumn = page.Locator($".column[data-status={status}] .card", new() { HasText = "Edited by keys" });
                await Assertions.Expect(inColumn).ToBeVisibleAsync(Visible);
                await Assertions.Expect(inColumn).ToBeFocusedAsync();
                for (var i = 0; i < 100 && await page.Locator($".column[data-status={status}] .card").Nth(index).GetAttributeAsync("data-task-id") != id; i++) await Task.Delay(50);
                Assert.True(await page.Locator($".column[data-status={status}] .card").Nth(index).GetAttributeAsync("data-task-id") == id,
                    $"after {step} the board shows {status} as {string.Join(", ", await Column(status))}; server: {string.Join(", ", (await api.Tasks(boardId)).Select(t => $"{t!["title"]}@{t["status"]}/{t["position"]}"))}; live region: {await page.Locator("[aria-live]").AllInnerTextsAsync().ContinueWith(t => string.Join(" / ", t.Result))}");
                Assert.StartsWith("ARTICLE Edited by keys", await FocusIsSensible(page, step));
                // the server has it there too
                for (var i = 0; i < 100; i++)
                {
                    var items = (await api.Tasks(boardId)).Select(t => t!.AsObject()).Where(t => t["status"]!.GetValue<string>() == status).Select(t => t["id"]!.GetValue<string>()).ToList();
                    if (items.IndexOf(id!) == index) return;
                    await Task.Delay(100);
                }
                Assert.Fail($"after {step} the server does not have the card at {index} of {status}: {string.Join(", ", await Column(status))}");
            }
            await Moved("ArrowRight", "in_progress", 0, "→ (to In progress, at the top)");
            await Moved("ArrowDown", "in_progress", 1, "↓ (below the first card)");
            await Moved("ArrowUp", "in_progress", 0, "↑ (back to the top)");
            await Moved("ArrowLeft", "todo", 0, "← (back to To do)");

            // delete: the focus goes to what took its place (the column here: the card was alone in To do)
            await page.Keyboard.PressAsync("Delete");
            await Assertions.Expect(card).ToHaveCountAsync(0);
            var after = await FocusIsSensible(page, "deleting the card");
            Assert.StartsWith("SECTION", after);
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "32-keyboard-only.png") });
        }
        finally { await ctx.CloseAsync(); }
    }
}
