using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using static TaskHub.Browser.Tests.Browser;

namespace TaskHub.Browser.Tests;

/// <summary>
/// A write whose answer is lost on the way back (the connection reset after the server committed it: a replica
/// stopping, a flaky network) is sent again with its Idempotency-Key, and the server applies it once.
/// </summary>
[Collection("browser")]
public sealed class LostAnswerTests(ServerFixture server)
{
    /// <summary>The POSTs the page sends to <paramref name="url"/>, as sent (key, type, body). The first reaches the server,
    /// which applies it (201), and its answer never reaches the page: the connection is reset. Those after it go through.</summary>
    private static async Task<ConcurrentQueue<(string? Key, string? ContentType, byte[]? Body)>> LoseTheFirstAnswerAsync(IPage page, string url)
    {
        var sent = new ConcurrentQueue<(string? Key, string? ContentType, byte[]? Body)>();
        var served = 0;
        await page.RouteAsync(url, async route =>
        {
            if (route.Request.Method != "POST") { await route.ContinueAsync(); return; }
            sent.Enqueue((await route.Request.HeaderValueAsync("idempotency-key"), await route.Request.HeaderValueAsync("content-type"), route.Request.PostDataBuffer));
            if (Interlocked.Increment(ref served) > 1) { await route.ContinueAsync(); return; }
            var answer = await route.FetchAsync();
            Assert.Equal(201, answer.Status);
            await route.AbortAsync("connectionreset");
        });
        return sent;
    }

    [Fact]
    public async Task A_task_whose_answer_was_lost_is_sent_again_and_created_once()
    {
        using var api = await server.Api().RegisterAndLogin("Lou Lost");
        var boardId = await api.CreateBoard("Lost answers");
        var (ctx, page) = await LoggedIn(server, api.Email, 1400, 900);
        var sent = await LoseTheFirstAnswerAsync(page, $"**/api/boards/{boardId}/tasks");
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await page.GetByRole(AriaRole.Button, new() { Name = "New task" }).ClickAsync();
            var dialog = page.GetByRole(AriaRole.Dialog);
            await dialog.GetByLabel("Title").FillAsync("Sent through a bad network");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Create task" }).ClickAsync();

            // The dialog closes as for any creation (no error for the user), and the board shows the card once.
            await Assertions.Expect(dialog).ToBeHiddenAsync(new() { Timeout = 15_000 });
            var cards = page.Locator("section[data-status='todo'] article[data-task-id]", new() { HasText = "Sent through a bad network" });
            await Assertions.Expect(cards).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            var keys = sent.Select(a => a.Key).ToArray();
            Assert.Equal(2, keys.Length);
            Assert.False(string.IsNullOrEmpty(keys[0]));
            Assert.Equal(keys[0], keys[1]);
            Assert.Single(await api.Tasks(boardId));
            await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Failed" })).ToHaveCountAsync(0);
        }
        finally
        {
            await ctx.CloseAsync();
        }
    }
    [Fact]
    public async Task A_file_whose_answer_was_lost_is_sent_again_with_the_same_bytes_and_stored_once()
    {
        using var api = await server.Api().RegisterAndLogin("Lou Upload");
        var boardId = await api.CreateBoard("Lost uploads");
        var taskId = (await api.CreateTask(boardId, "Needs a file"))["id"]!.GetValue<string>();
        var (ctx, page) = await LoggedIn(server, api.Email, 1400, 900);
        var sent = await LoseTheFirstAnswerAsync(page, $"**/api/tasks/{taskId}/attachments");
        try
        {
            await page.GotoAsync($"/boards/{boardId}?task={taskId}");
            var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Edit task" });
            await Assertions.Expect(dialog.GetByText("No files yet.")).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await dialog.GetByTestId("attach-input").SetInputFilesAsync(new FilePayload { Name = "minutes.txt", MimeType = "text/plain", Buffer = "what was decided"u8.ToArray() });

            // The upload is sent again (its progress bar ends), the file shows once, with no error for the user, and the
            // server holds it once.
            for (var i = 0; i < 150 && sent.Count < 2; i++) await Task.Delay(100);
            await Assertions.Expect(dialog.GetByRole(AriaRole.Progressbar, new() { Name = "Uploading minutes.txt" })).ToHaveCountAsync(0, new() { Timeout = 15_000 });
            var files = dialog.GetByRole(AriaRole.List, new() { Name = "Files", Exact = true });
            await Assertions.Expect(files.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "minutes.txt" })).ToHaveCountAsync(1, new() { Timeout = 15_000 });
            // (at least one repeat; a second if the first repeat came before the answer was kept: 409 with Retry-After)
            var attempts = sent.ToArray();
            Assert.True(attempts.Length >= 2, $"{attempts.Length} attempt(s)");
            Assert.False(string.IsNullOrEmpty(attempts[0].Key));
            Assert.Contains("what was decided", System.Text.Encoding.UTF8.GetString(attempts[0].Body ?? []));
            Assert.All(attempts, a =>
            {
                Assert.Equal(attempts[0].Key, a.Key);
                Assert.Equal(attempts[0].ContentType, a.ContentType);
                Assert.Equal(attempts[0].Body, a.Body); // the same bytes, the multipart boundary included
            });
            var stored = (JsonArray)(await api.Send(HttpMethod.Get, $"/api/tasks/{taskId}/attachments"))["items"]!;
            Assert.Single(stored);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "Failed" })).ToHaveCountAsync(0);
        }
        finally
        {
            await ctx.CloseAsync();
        }
    }
}
