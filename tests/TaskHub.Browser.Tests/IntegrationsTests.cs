using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>Import a Trello export through the boards page (with a changed column mapping); webhooks in a board's settings.</summary>
[Collection("browser")]
public sealed class IntegrationsTests(ServerFixture server)
{
    private static byte[] TrelloExport() => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        name = "Garden plan",
        lists = new object[]
        {
            new { id = "L1", name = "Ideas", closed = false, pos = 1 },
            new { id = "L2", name = "Doing", closed = false, pos = 2 },
            new { id = "L3", name = "Done", closed = false, pos = 3 },
        },
        labels = Array.Empty<object>(),
        cards = new object[]
        {
            new { id = "C1", name = "Plant tomatoes", desc = "", idList = "L1", closed = false, pos = 1, idLabels = Array.Empty<string>() },
            new { id = "C2", name = "Build a trellis", desc = "", idList = "L2", closed = false, pos = 1, idLabels = Array.Empty<string>() },
            new { id = "C3", name = "Buy seeds", desc = "", idList = "L3", closed = false, pos = 1, idLabels = Array.Empty<string>() },
        },
        checklists = Array.Empty<object>(),
        actions = Array.Empty<object>(),
    }));

    [Fact]
    public async Task A_Trello_export_is_previewed_remapped_and_imported_into_a_new_board()
    {
        using var api = await server.Api().RegisterAndLogin("Ivy Import");
        await api.CreateBoard("Existing"); // past onboarding
        var (ctx, page) = await LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync("/");
            var panel = page.GetByRole(AriaRole.Region, new() { Name = "Import a board" });
            await panel.GetByLabel("From").SelectOptionAsync("trello");
            await panel.GetByLabel("File").SetInputFilesAsync(new FilePayload { Name = "trello.json", MimeType = "application/json", Buffer = TrelloExport() });

            // the server's guesses, then a change: "Ideas" goes to In progress instead of To do
            var ideas = panel.GetByLabel("Column for “Ideas”");
            await Assertions.Expect(ideas).ToHaveValueAsync("todo", new() { Timeout = 15_000 });
            await Assertions.Expect(panel.GetByLabel("Column for “Doing”")).ToHaveValueAsync("in_progress");
            await Assertions.Expect(panel.GetByLabel("Column for “Done”")).ToHaveValueAsync("done");
            await ideas.SelectOptionAsync("in_progress");
            await AssertAccessible(panel, "the import panel");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "40-import-mapping.png"), FullPage = true });
            await panel.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();

            await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/boards/[0-9a-f-]{36}$"), new() { Timeout = 15_000 });
            await Assertions.Expect(page.GetByText("Imported “Garden plan”")).ToBeVisibleAsync(Visible);
            var inProgress = page.Locator("section[data-status='in_progress']");
            await Assertions.Expect(inProgress.GetByText("Plant tomatoes")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(inProgress.GetByText("Build a trellis")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.Locator("section[data-status='done']").GetByText("Buy seeds")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.Locator("section[data-status='todo']").GetByText("Plant tomatoes")).ToHaveCountAsync(0);
        }
        finally { await ctx.CloseAsync(); }
    }

    [Fact]
    public async Task A_webhook_to_a_private_address_is_refused_with_the_reason_and_a_public_one_is_listed()
    {
        // The test server does not set Webhooks:AllowPrivateTargets: a loopback URL must be refused with the reason.
        using var api = await server.Api().RegisterAndLogin("Hank Hook");
        var boardId = await api.CreateBoard("Hooked");
        var (ctx, page) = await LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}/settings");
            var section = page.GetByRole(AriaRole.Region, new() { Name = "Webhooks" });
            await Assertions.Expect(section.GetByText("No webhooks yet.")).ToBeVisibleAsync(Visible);
            var form = section.GetByRole(AriaRole.Form, new() { Name = "Add a webhook" });
            await form.GetByLabel("Payload URL").FillAsync("http://127.0.0.1:9/hook");
            await form.GetByLabel("Secret (16–200 characters)").FillAsync("a-secret-of-20-chars");
            await form.GetByLabel("Format").SelectOptionAsync("slack");
            await form.GetByLabel("TaskCreated").CheckAsync();
            await form.GetByLabel("TaskMoved").CheckAsync();
            await form.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
            await Assertions.Expect(form.GetByRole(AriaRole.Alert)).ToContainTextAsync("private, loopback or link-local", new() { Timeout = 15_000 });
            await Assertions.Expect(form.GetByLabel("Payload URL")).ToHaveAttributeAsync("aria-invalid", "true");
            await Assertions.Expect(section.GetByRole(AriaRole.List, new() { Name = "Webhooks" })).ToHaveCountAsync(0);

            // a public address (TEST-NET-3, no DNS needed) is accepted and listed with its format and events
            await form.GetByLabel("Payload URL").FillAsync("http://203.0.113.7/hook");
            await form.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
            var row = section.GetByRole(AriaRole.List, new() { Name = "Webhooks" }).GetByRole(AriaRole.Listitem).Filter(new() { HasText = "http://203.0.113.7/hook" });
            await Assertions.Expect(row).ToBeVisibleAsync(Visible);
            await Assertions.Expect(row).ToContainTextAsync("Slack · TaskCreated, TaskMoved");
            await Assertions.Expect(row).ToContainTextAsync("No deliveries yet");
            await Assertions.Expect(row.GetByLabel("Active")).ToBeCheckedAsync();
            await Assertions.Expect(form.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
            await AssertAccessible(section, "the webhooks section");
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "41-webhooks.png"), FullPage = true });

            // it is on the server too, and survives a reload
            await page.ReloadAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Region, new() { Name = "Webhooks" }).GetByText("http://203.0.113.7/hook")).ToBeVisibleAsync(Visible);
        }
        finally { await ctx.CloseAsync(); }
    }
}
