using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>Files on a task: upload with a progress bar, the list, an image's thumbnail, the card's count, delete, 413.</summary>
[Collection("browser")]
public sealed class AttachmentsTests(ServerFixture server)
{
    /// <summary>A 2×2 PNG.</summary>
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==");

    [Fact]
    public async Task Uploading_shows_progress_lists_the_file_with_a_thumbnail_counts_it_on_the_card_and_deletes_it()
    {
        using var api = await server.Api().RegisterAndLogin("Fiona Files");
        var boardId = await api.CreateBoard("Files board");
        var taskId = (await api.CreateTask(boardId, "Needs files"))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(server, api.Email);
        try
        {
            await page.GotoAsync($"/boards/{boardId}?task={taskId}");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            await Assertions.Expect(dialog.GetByText("No files yet.")).ToBeVisibleAsync(Visible);

            // a 1.5 MB text file through a throttled upload link (300 KB/s): the bar shows partial progress
            var cdp = await ctx.NewCDPSessionAsync(page);
            await cdp.SendAsync("Network.enable");
            await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
            {
                ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = 300 * 1024,
            });
            var big = new byte[1536 * 1024];
            Array.Fill(big, (byte)'a');
            await dialog.GetByTestId("attach-input").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = big });
            var bar = dialog.GetByRole(AriaRole.Progressbar, new() { Name = "Uploading notes.txt" });
            await Assertions.Expect(bar).ToBeVisibleAsync(Visible);
            var seen = new List<double>();
            for (var i = 0; i < 200 && await bar.CountAsync() > 0; i++)
            {
                try { seen.Add(await bar.EvaluateAsync<double>("p => p.value", null, new() { Timeout = 500 })); } catch (TimeoutException) { break; } catch (PlaywrightException) { break; }
                await Task.Delay(50);
            }
            Assert.Contains(seen, v => v > 0 && v < 100); // partial progress was shown, not just 0 then done
            await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
            {
                ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = -1,
            });
            var files = dialog.GetByRole(AriaRole.List, new() { Name = "Files", Exact = true });
            var row = files.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "notes.txt" });
            await Assertions.Expect(row).ToBeVisibleAsync(Visible);
            await Assertions.Expect(row).ToContainTextAsync("1.5 MB");
            await Assertions.Expect(row).ToContainTextAsync("Fiona Files");
            await Assertions.Expect(bar).ToHaveCountAsync(0);

            // an image: a thumbnail (its bytes fetched with the token, shown as a data: URL) and a preview
            await dialog.GetByTestId("attach-input").SetInputFilesAsync(new FilePayload { Name = "dot.png", MimeType = "image/png", Buffer = Png });
            var thumb = dialog.GetByRole(AriaRole.Button, new() { Name = "Preview dot.png" }).Locator("img");
            await Assertions.Expect(thumb).ToBeVisibleAsync(Visible);
            await Assertions.Expect(thumb).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png;base64,"));
            Assert.True(await thumb.EvaluateAsync<int>("i => i.naturalWidth") == 2, "the thumbnail did not decode");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Preview dot.png" }).ClickAsync();
            await Assertions.Expect(dialog.GetByRole(AriaRole.Img, new() { Name = "Preview of dot.png" })).ToBeVisibleAsync(Visible);
            await page.ScreenshotAsync(new() { Path = Path.Combine(server.ScreenshotDir, "20-attachments.png") });
            await AssertAccessible(dialog, "the task dialog with files");

            // the card counts them (live, from the AttachmentAdded events)
            var card = page.Locator("article[data-task-id]", new() { HasText = "Needs files" });
            await Assertions.Expect(card.GetByTestId("attachment-count")).ToHaveTextAsync("2");

            // over the server's limit (2 MB here): the 413's message and what to do, in a toast
            var tooBig = new byte[ServerFixture.MaxAttachmentBytes + 10_000];
            await dialog.GetByTestId("attach-input").SetInputFilesAsync(new FilePayload { Name = "huge.bin", MimeType = "application/octet-stream", Buffer = tooBig });
            var alert = page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Couldn't attach “huge.bin”" });
            await Assertions.Expect(alert).ToBeVisibleAsync(Visible);
            await Assertions.Expect(alert).ToContainTextAsync("larger than the limit of 2 MB");
            await Assertions.Expect(alert).ToContainTextAsync("Compress or split the file");

            // delete the image: gone from the list, the card counts 1, and the server agrees
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Delete dot.png" }).ClickAsync();
            await Assertions.Expect(files.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);
            await Assertions.Expect(card.GetByTestId("attachment-count")).ToHaveTextAsync("1");
            var left = (await api.Send(HttpMethod.Get, $"/api/tasks/{taskId}/attachments"))["items"]!.AsArray();
            Assert.Equal("notes.txt", Assert.Single(left)!["fileName"]!.GetValue<string>());
        }
        finally { await ctx.CloseAsync(); }
    }
}
