using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Attachments;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// <c>Idempotency-Key</c>: a client that lost an answer sends the same request again with the same key, and the change
/// happens once (<see cref="IdempotencyKeys"/>).
/// </summary>
public abstract class IdempotencyKeyTests(TaskHubApplication app)
{
    private static Task<HttpResponseMessage> PostAsync(TestUser user, string url, object body, string? key) =>
        PostRawAsync(user, url, JsonSerializer.Serialize(body), key is null ? [] : [key]);

    private static Task<HttpResponseMessage> PostRawAsync(TestUser user, string url, string json, string[] keys) =>
        SendRawAsync(user, HttpMethod.Post, url, json, keys);

    internal static Task<HttpResponseMessage> SendAsync(TestUser user, HttpMethod method, string url, object? body, string key, string? ifMatch = null) =>
        SendRawAsync(user, method, url, body is null ? null : JsonSerializer.Serialize(body), [key], ifMatch);

    private static Task<HttpResponseMessage> SendRawAsync(TestUser user, HttpMethod method, string url, string? json, string[] keys, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        foreach (var k in keys) request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, k);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return user.Client.SendAsync(request);
    }

    /// <summary>Sends a repeat as a client does: again after a moment while the first request's answer is not kept yet
    /// (409 with Retry-After; the answer is kept just after the first request has answered).</summary>
    internal static async Task<HttpResponseMessage> RepeatAsync(Func<Task<HttpResponseMessage>> send)
    {
        for (var i = 0; ; i++)
        {
            var response = await send();
            if (i == 50 || response.StatusCode != HttpStatusCode.Conflict || response.Headers.RetryAfter is null) return response;
            await Task.Delay(100);
        }
    }

    private static Task<HttpResponseMessage> RepeatAsync(TestUser user, string url, object body, string key) =>
        RepeatAsync(() => PostAsync(user, url, body, key));

    /// <summary>Waits until the answer of the request with <paramref name="key"/> is kept.</summary>
    private async Task KeptAsync(TestUser user, string key)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await WithDbAsync(db => db.Set<IdempotentAnswer>().AnyAsync(a => a.UserId == user.Id && a.Key == key))) return;
            await Task.Delay(50);
        }
        Assert.Fail($"The answer of {key} was not kept within 5 s.");
    }

    internal static async Task<int> TaskCountAsync(TestUser user, Guid board) =>
        (await user.Client.GetJson($"/api/boards/{board}/tasks")).GetArrayLength();

    [Fact]
    public async Task ATaskSentTwiceWithOneKeyIsCreatedOnceAndTheSecondHearsTheFirstAnswer()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Write the launch post" }, key);
        var created = await first.Json(HttpStatusCode.Created);
        var seq = await ada.LastSeqAsync(board);
        var again = await RepeatAsync(ada, $"/api/boards/{board}/tasks", new { title = "Write the launch post" }, key);
        var replayed = await again.Json(HttpStatusCode.Created);

        Assert.Equal(created.GetRawText(), replayed.GetRawText());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        Assert.Equal(first.Headers.ETag, again.Headers.ETag);
        Assert.Equal("application/json", again.Content.Headers.ContentType?.MediaType);
        Assert.False(first.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal("true", Assert.Single(again.Headers.GetValues(IdempotencyKeys.ReplayedHeader)));
        Assert.Equal(1, await TaskCountAsync(ada, board));
        Assert.Equal(seq, await ada.LastSeqAsync(board)); // no second event

        // Without a key, the same request is a second task: the key is what makes it one.
        await (await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Write the launch post" }, null)).Json(HttpStatusCode.Created);
        Assert.Equal(2, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task EveryWriteThatTakesAKeyAppliesOnce()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "Card" })).GetProperty("id").GetGuid();
        var other = (await ada.CreateTaskAsync(board, new { title = "Other" })).GetProperty("id").GetGuid();

        var writes = new (string Url, object Body)[]
        {
            ($"/api/tasks/{task}/comments", new { body = "Looks good" }),
            ($"/api/tasks/{task}/checklist", new { text = "Proof-read" }),
            ($"/api/boards/{board}/labels", new { name = "bug", color = "red" }),
            ($"/api/tasks/{task}/move", new { status = "in_progress" }),
            ($"/api/tasks/{other}/move", new { status = "in_progress", afterId = task }),
            ($"/api/tasks/{task}/archive", new { }),
            ($"/api/tasks/{task}/unarchive", new { }),
            ($"/api/boards/{board}/members", new { email = bob.Email, role = "member" }),
            ($"/api/boards/{board}/invitations", new { email = $"guest-{Guid.NewGuid():N}@example.com" }),
        };
        foreach (var (url, body) in writes)
        {
            var key = Guid.NewGuid().ToString();
            var first = await PostAsync(ada, url, body, key);
            Assert.True(first.IsSuccessStatusCode, $"{url}: {(int)first.StatusCode} {await first.Content.ReadAsStringAsync()}");
            var seq = await ada.LastSeqAsync(board);
            var again = await RepeatAsync(ada, url, body, key);
            Assert.Equal(first.StatusCode, again.StatusCode);
            Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
            Assert.True(again.Headers.Contains(IdempotencyKeys.ReplayedHeader), url);
            Assert.Equal(seq, await ada.LastSeqAsync(board));
        }
        var comments = await ada.Client.GetJson($"/api/tasks/{task}/comments");
        Assert.Equal(1, comments.ValueKind == JsonValueKind.Array ? comments.GetArrayLength() : comments.GetProperty("items").GetArrayLength());
        Assert.Single((await ada.Client.GetJson($"/api/boards/{board}/invitations")).EnumerateArray());

        // A board has no seq of its own before it exists: count the caller's boards.
        var boards = (await ada.Client.GetJson("/api/boards")).GetArrayLength();
        var boardKey = Guid.NewGuid().ToString();
        await (await PostAsync(ada, "/api/boards", new { name = "Launch" }, boardKey)).Json(HttpStatusCode.Created);
        await (await RepeatAsync(ada, "/api/boards", new { name = "Launch" }, boardKey)).Json(HttpStatusCode.Created);
        Assert.Equal(boards + 1, (await ada.Client.GetJson("/api/boards")).GetArrayLength());
    }

    [Fact]
    public async Task EveryEditAndDeletionThatTakesAKeyAppliesOnceAndItsRepeatHearsTheFirstAnswer()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        var task = await ada.CreateTaskAsync(board, new { title = "Card" });
        var taskId = task.GetProperty("id").GetGuid();
        var doomed = (await ada.CreateTaskAsync(board, new { title = "Doomed" })).GetProperty("id").GetGuid();
        async Task<Guid> IdOf(string url, object body) =>
            (await (await PostAsync(ada, url, body, null)).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var comment = await IdOf($"/api/tasks/{taskId}/comments", new { body = "Looks good" });
        var item = await IdOf($"/api/tasks/{taskId}/checklist", new { text = "Proof-read" });
        var label = await IdOf($"/api/boards/{board}/labels", new { name = "bug", color = "red" });
        var invitation = await IdOf($"/api/boards/{board}/invitations", new { email = $"guest-{Guid.NewGuid():N}@example.com" });
        var file = new MultipartFormDataContent { { new ByteArrayContent("notes"u8.ToArray()), "file", "notes.txt" } };
        var attachment = (await (await ada.Client.PostAsync($"/api/tasks/{taskId}/attachments", file)).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        // With If-Match, a repeat's precondition fails once the first was applied: it hears the first answer, not 412.
        var version = $"\"{task.GetProperty("version").GetInt32()}\"";
        var writes = new (HttpMethod Method, string Url, object? Body, string? IfMatch)[]
        {
            (HttpMethod.Patch, $"/api/tasks/{taskId}", new { title = "Card, renamed" }, version),
            (HttpMethod.Patch, $"/api/tasks/{taskId}", new { priority = "high" }, null),
            (HttpMethod.Patch, $"/api/comments/{comment}", new { body = "Looks better" }, null),
            (HttpMethod.Patch, $"/api/checklist-items/{item}", new { done = true }, null),
            (HttpMethod.Patch, $"/api/labels/{label}", new { name = "defect" }, null),
            (HttpMethod.Patch, $"/api/boards/{board}/members/{bob.Id}", new { role = "admin" }, null),
            (HttpMethod.Patch, $"/api/boards/{board}", new { name = "Renamed" }, null),
            (HttpMethod.Delete, $"/api/comments/{comment}", null, null),
            (HttpMethod.Delete, $"/api/checklist-items/{item}", null, null),
            (HttpMethod.Delete, $"/api/labels/{label}", null, null),
            (HttpMethod.Delete, $"/api/attachments/{attachment}", null, null),
            (HttpMethod.Delete, $"/api/tasks/{doomed}", null, null),
            (HttpMethod.Delete, $"/api/invitations/{invitation}", null, null),
            (HttpMethod.Delete, $"/api/boards/{board}/members/{bob.Id}", null, null),
        };
        foreach (var (method, url, body, ifMatch) in writes)
        {
            var key = Guid.NewGuid().ToString();
            var first = await SendAsync(ada, method, url, body, key, ifMatch);
            var firstBody = await first.Content.ReadAsStringAsync();
            Assert.True(first.IsSuccessStatusCode, $"{method} {url}: {(int)first.StatusCode} {firstBody}");
            var seq = await ada.LastSeqAsync(board);
            var again = await RepeatAsync(() => SendAsync(ada, method, url, body, key, ifMatch));
            Assert.True(first.StatusCode == again.StatusCode, $"{method} {url}: {(int)again.StatusCode} {await again.Content.ReadAsStringAsync()}");
            Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
            Assert.Equal(first.Headers.ETag, again.Headers.ETag);
            Assert.True(again.Headers.Contains(IdempotencyKeys.ReplayedHeader), $"{method} {url}");
            Assert.Equal(seq, await ada.LastSeqAsync(board));
        }
        Assert.Equal("high", (await ada.Client.GetJson($"/api/tasks/{taskId}")).GetProperty("priority").GetString());

        // A board's deletion: its repeat finds no board, and hears the first answer instead of 404.
        var deleteKey = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(ada, HttpMethod.Delete, $"/api/boards/{board}", null, deleteKey)).StatusCode);
        var repeated = await RepeatAsync(() => SendAsync(ada, HttpMethod.Delete, $"/api/boards/{board}", null, deleteKey));
        Assert.Equal(HttpStatusCode.NoContent, repeated.StatusCode);
        Assert.True(repeated.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(HttpStatusCode.NotFound, (await ada.Client.GetAsync($"/api/boards/{board}")).StatusCode);
    }

    /// <summary>A multipart body as the web client sends an upload: built once, so a repeat is the same bytes
    /// (its boundary too).</summary>
    private static async Task<(byte[] Body, string ContentType)> FormAsync(string fileName, byte[] file, string? mapping = null)
    {
        var form = new MultipartFormDataContent($"TaskHubForm{Guid.NewGuid():N}") { { new ByteArrayContent(file), "file", fileName } };
        if (mapping is not null) form.Add(new StringContent(mapping), "mapping");
        return (await form.ReadAsByteArrayAsync(), form.Headers.ContentType!.ToString());
    }

    private static Task<HttpResponseMessage> PostFormAsync(TestUser user, string url, (byte[] Body, string ContentType) form, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(form.Body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", form.ContentType);
        request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, key);
        return user.Client.SendAsync(request);
    }

    [Fact]
    public async Task AnUploadOrImportSentAgainWithItsKeyAppliesOnceAndAnotherFileWithItIsRefused()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var taskId = (await ada.CreateTaskAsync(board, new { title = "Card" })).GetProperty("id").GetGuid();

        // An attachment: one on the task, one event, and the repeat hears the first 201.
        var upload = await FormAsync("notes.txt", "meeting notes"u8.ToArray());
        var key = Guid.NewGuid().ToString();
        var first = await PostFormAsync(ada, $"/api/tasks/{taskId}/attachments", upload, key);
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.True(first.StatusCode == HttpStatusCode.Created, $"{(int)first.StatusCode} {firstBody}");
        var seq = await ada.LastSeqAsync(board);
        var again = await RepeatAsync(() => PostFormAsync(ada, $"/api/tasks/{taskId}/attachments", upload, key));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(firstBody, await again.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        Assert.True(again.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(seq, await ada.LastSeqAsync(board));
        Assert.Single((await ada.Client.GetJson($"/api/tasks/{taskId}/attachments")).EnumerateArray());
        Assert.Equal(1, (await ada.Client.GetJson($"/api/tasks/{taskId}")).GetProperty("attachmentCount").GetInt32());
        // The first's pending row went with its attachment (in the same transaction as the key's row), and the repeat
        // found the key before it stored anything: no object of a repeat is left for the sweeper.
        var prefix = Attachment.TaskPrefix(board, taskId);
        Assert.Empty(await WithDbAsync(db => db.Set<PendingUpload>().Where(p => p.StorageKey.StartsWith(prefix)).Select(p => p.StorageKey).ToListAsync()));

        // The same key with another file (the same name, other bytes): 422, and nothing is added.
        var other = await FormAsync("notes.txt", "other notes"u8.ToArray());
        await (await PostFormAsync(ada, $"/api/tasks/{taskId}/attachments", other, key)).AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Single((await ada.Client.GetJson($"/api/tasks/{taskId}/attachments")).EnumerateArray());

        // An import: one new board however often it is sent.
        var exported = await (await ada.Client.GetAsync($"/api/boards/{board}/export?format=json")).Content.ReadAsStringAsync();
        var import = await FormAsync("board.json", Encoding.UTF8.GetBytes(exported));
        var boards = (await ada.Client.GetJson("/api/boards")).GetArrayLength();
        var importKey = Guid.NewGuid().ToString();
        var imported = await (await PostFormAsync(ada, "/api/imports/taskhub", import, importKey)).Json(HttpStatusCode.Created);
        var repeated = await RepeatAsync(() => PostFormAsync(ada, "/api/imports/taskhub", import, importKey));
        Assert.Equal(imported.GetProperty("boardId").GetGuid(), (await repeated.Json(HttpStatusCode.Created)).GetProperty("boardId").GetGuid());
        Assert.True(repeated.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(boards + 1, (await ada.Client.GetJson("/api/boards")).GetArrayLength());
    }

    [Fact]
    public async Task AKeySentWithAnotherRequestIsRefusedAndChangesNothing()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var other = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();
        await (await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "One" }, key)).Json(HttpStatusCode.Created);

        var otherBody = await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Two" }, key);
        await otherBody.AssertProblem(HttpStatusCode.UnprocessableEntity);
        var otherPath = await PostAsync(ada, $"/api/boards/{other}/tasks", new { title = "One" }, key);
        await otherPath.AssertProblem(HttpStatusCode.UnprocessableEntity);

        Assert.Equal(1, await TaskCountAsync(ada, board));
        Assert.Equal(0, await TaskCountAsync(ada, other));
    }

    public static TheoryData<string[]> MalformedKeys => new()
    {
        new[] { new string('k', IdempotencyKeys.MaxKeyLength + 1) },
        new[] { "two words" },
        new[] { "caf\u00e9" },
        new[] { "\"\"" },
        new[] { "one", "two" },
    };

    [Theory]
    [MemberData(nameof(MalformedKeys))]
    public async Task AMalformedKeyIsA400NamingItAndChangesNothing(string[] keys)
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();

        var response = await PostRawAsync(ada, $"/api/boards/{board}/tasks", """{"title": "One"}""", keys);

        await response.AssertFieldError(IdempotencyKeys.Field);
        Assert.Equal(0, await TaskCountAsync(ada, board));
    }

    /// <summary>A form whose boundary is longer than a form reader takes (5,000 characters; RFC 2046 allows 70) is the same
    /// client error with a key as without one: the fingerprint counts its bytes instead of its parts (it was a 500).</summary>
    [Fact]
    public async Task AnOverlongFormBoundaryIsAClientErrorWithOrWithoutAKey()
    {
        var ada = await app.SignUpAsync();
        var boundary = new string('b', 5000);
        var body = Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.json\"\r\nContent-Type: application/json\r\n\r\n{{}}\r\n--{boundary}--\r\n");
        async Task<HttpStatusCode> PostAsync(string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports/taskhub") { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
            if (key is not null) request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, key);
            return (await ada.Client.SendAsync(request)).StatusCode;
        }
        var without = await PostAsync(null);
        Assert.Equal(HttpStatusCode.BadRequest, without);
        Assert.Equal(without, await PostAsync(Guid.NewGuid().ToString()));
    }

    [Fact]
    public async Task AQuotedKeyIsTheSameKeyAndTheLongestKeyIsAccepted()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var longest = new string('k', IdempotencyKeys.MaxKeyLength);

        await (await PostRawAsync(ada, $"/api/boards/{board}/tasks", """{"title": "One"}""", [longest])).Json(HttpStatusCode.Created);
        var quoted = await RepeatAsync(() => PostRawAsync(ada, $"/api/boards/{board}/tasks", """{"title": "One"}""", [$"\"{longest}\""]));

        await quoted.Json(HttpStatusCode.Created);
        Assert.True(quoted.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(1, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task ARefusedRequestLeavesItsKeyFreeForTheCorrectedOne()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();

        await (await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "  " }, key)).AssertFieldError("title");
        var corrected = await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Now with a title" }, key);

        await corrected.Json(HttpStatusCode.Created);
        Assert.False(corrected.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(1, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task KeysBelongToTheirUserAndAnotherBoardStaysInvisible()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();
        await (await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Ada's" }, key)).Json(HttpStatusCode.Created);

        // Bob's request with Ada's key is his own: not a replay of Ada's answer, and her board is still not found.
        var bobs = await PostAsync(bob, $"/api/boards/{board}/tasks", new { title = "Ada's" }, key);

        await bobs.AssertProblem(HttpStatusCode.NotFound);
        Assert.False(bobs.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        var bobsBoard = await bob.CreateBoardAsync();
        await (await PostAsync(bob, $"/api/boards/{bobsBoard}/tasks", new { title = "Bob's" }, key)).Json(HttpStatusCode.Created);
        Assert.Equal(1, await TaskCountAsync(ada, board));
        Assert.Equal(1, await TaskCountAsync(bob, bobsBoard));
    }

    [Fact]
    public async Task RequestsWithOneKeyAtOnceApplyOnce()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();
        var seq = await ada.LastSeqAsync(board);

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Once" }, key)));

        Assert.Equal(1, await TaskCountAsync(ada, board));
        Assert.Equal(seq + 1, await ada.LastSeqAsync(board));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created && !r.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        await AssertOneAnswerOrStillRunningAsync(responses);
        // Asked again, every one of them now hears the first answer.
        var later = await RepeatAsync(ada, $"/api/boards/{board}/tasks", new { title = "Once" }, key);
        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.Equal(await responses.Single(r => r.StatusCode == HttpStatusCode.Created && !r.Headers.Contains(IdempotencyKeys.ReplayedHeader)).Content.ReadAsStringAsync(),
            await later.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AnswersKeptTogetherAreEachTheirOwnRequests()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var keeper = app.Services.GetRequiredService<AnswerKeeper>();
        var shared = keeper.SharedTransactions;
        var created = 0;
        // At once, so that several answers are kept in one transaction (AnswerKeeper's batch); a few rounds, until
        // one batch has held more than one answer.
        for (var round = 0; round < 5 && keeper.SharedTransactions == shared; round++)
        {
            var keys = Enumerable.Range(0, 12).Select(_ => Guid.NewGuid().ToString()).ToArray();
            var firsts = await Task.WhenAll(keys.Select((k, i) => PostAsync(ada, $"/api/boards/{board}/tasks", new { title = $"Task {round}.{i}" }, k)));
            var repeats = await Task.WhenAll(keys.Select((k, i) => RepeatAsync(ada, $"/api/boards/{board}/tasks", new { title = $"Task {round}.{i}" }, k)));
            created += keys.Length;
            for (var i = 0; i < keys.Length; i++)
            {
                var answer = await repeats[i].Json(HttpStatusCode.Created);
                Assert.Equal((await firsts[i].Json(HttpStatusCode.Created)).GetRawText(), answer.GetRawText());
                Assert.Equal($"Task {round}.{i}", answer.GetProperty("title").GetString());
                Assert.Equal(firsts[i].Headers.Location, repeats[i].Headers.Location);
            }
        }
        Assert.True(keeper.SharedTransactions > shared, "No transaction kept more than one answer.");
        Assert.Equal(created, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task AKeyWhoseAnswerIsNotKeptYetIs409()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var url = $"/api/boards/{board}/tasks";
        var body = new { title = "Once" };
        // Learn the request's fingerprint from a real one, then stand in for a request still running (its answer not
        // kept yet) and for one whose process ended between its commit and keeping its answer.
        var key = Guid.NewGuid().ToString();
        await (await PostAsync(ada, url, body, key)).Json(HttpStatusCode.Created);
        await KeptAsync(ada, key);
        var now = DateTime.UtcNow;
        await WithDbAsync(db => db.Set<IdempotentAnswer>().Where(a => a.UserId == ada.Id && a.Key == key).ExecuteDeleteAsync());
        await WithDbAsync(db => db.Set<IdempotentRequest>().Where(r => r.UserId == ada.Id && r.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, now)));

        var running = await PostAsync(ada, url, body, key);
        Assert.Equal(IdempotencyKeys.InProgressType, (await running.Json(HttpStatusCode.Conflict)).GetProperty("type").GetString());
        Assert.Equal(TimeSpan.FromSeconds(1), running.Headers.RetryAfter?.Delta);

        await WithDbAsync(db => db.Set<IdempotentRequest>().Where(r => r.UserId == ada.Id && r.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, now.AddMinutes(-5))));
        var lost = await PostAsync(ada, url, body, key);
        Assert.Equal(IdempotencyKeys.NotKeptType, (await lost.Json(HttpStatusCode.Conflict)).GetProperty("type").GetString());
        Assert.Null(lost.Headers.RetryAfter);
        Assert.Equal(1, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task AnAnswerTooLargeToKeepIsSentWholeAndARepeatHearsItWasApplied()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        using var small = app.WithWebHostBuilder(b => b.UseSetting("Idempotency:MaxStoredResponseBytes", "1024"));
        var client = small.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ada.AccessToken);
        var user = ada with { Client = client };
        var description = new string('d', 2000);
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(user, $"/api/boards/{board}/tasks", new { title = "Long", description }, key);
        Assert.Equal(description, (await first.Json(HttpStatusCode.Created)).GetProperty("description").GetString());
        var again = await RepeatAsync(user, $"/api/boards/{board}/tasks", new { title = "Long", description }, key);

        var problem = await again.Json(HttpStatusCode.Conflict);
        Assert.Equal(IdempotencyKeys.NotKeptType, problem.GetProperty("type").GetString());
        Assert.Null(again.Headers.RetryAfter);
        Assert.Equal(1, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task AMemberAddedByRequestsWithOneKeyAtOnceIsAddedOnceAndNoneHearsARefusal()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PostAsync(ada, $"/api/boards/{board}/members", new { email = bob.Email, role = "member" }, key)));

        // Without the key each request but one would hear "already a member" (409, no Retry-After): here every one
        // hears the first answer, or that it is still running.
        await AssertOneAnswerOrStillRunningAsync(responses);
        var members = await ada.Client.GetJson($"/api/boards/{board}/members");
        Assert.Equal(2, (members.ValueKind == JsonValueKind.Array ? members : members.GetProperty("items")).GetArrayLength());
    }

    [Fact]
    public async Task AnInvitationSentByRequestsWithOneKeyAtOnceIsSentOnceAndStaysValid()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();
        var email = $"guest-{Guid.NewGuid():N}@example.com";

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PostAsync(ada, $"/api/boards/{board}/invitations", new { email }, key)));

        var created = await AssertOneAnswerOrStillRunningAsync(responses);
        // The invitation the answers name is the one still pending: a repeat did not revoke it.
        var pending = Assert.Single((await ada.Client.GetJson($"/api/boards/{board}/invitations")).EnumerateArray());
        Assert.Equal(JsonDocument.Parse(created).RootElement.GetProperty("id").GetGuid(), pending.GetProperty("id").GetGuid());
    }

    /// <summary>Exactly one first answer (201, not replayed); the others are that same answer replayed, or 409 with
    /// Retry-After (still running). Returns the answer's body.</summary>
    private static async Task<string> AssertOneAnswerOrStillRunningAsync(HttpResponseMessage[] responses)
    {
        var first = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created && !r.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        var body = await first.Content.ReadAsStringAsync();
        foreach (var r in responses.Where(r => r != first))
        {
            var text = await r.Content.ReadAsStringAsync();
            // A replay, or a refusal replaced by one, keeps the headers the pipeline set before the endpoint.
            Assert.Equal("nosniff", Assert.Single(r.Headers.GetValues("X-Content-Type-Options")));
            if (r.StatusCode == HttpStatusCode.Created)
            {
                Assert.True(r.Headers.Contains(IdempotencyKeys.ReplayedHeader));
                Assert.Equal(body, text);
                continue;
            }
            Assert.True(r.StatusCode == HttpStatusCode.Conflict, $"{(int)r.StatusCode}: {text}");
            Assert.Equal(IdempotencyKeys.InProgressType, JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
            Assert.NotNull(r.Headers.RetryAfter);
        }
        return body;
    }

    [Fact]
    public async Task AKeyIsRememberedUntilTheCleanupForgetsItThenStartsAfresh()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var url = $"/api/boards/{board}/tasks";
        var (expired, fresh) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        await (await PostAsync(ada, url, new { title = "Long ago" }, expired)).Json(HttpStatusCode.Created);
        await (await PostAsync(ada, url, new { title = "Today" }, fresh)).Json(HttpStatusCode.Created);
        await KeptAsync(ada, expired);
        await KeptAsync(ada, fresh);
        await WithDbAsync(db => db.Set<IdempotentRequest>().Where(r => r.UserId == ada.Id && r.Key == expired)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, DateTime.UtcNow.AddHours(-25))));
        var older = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid().ToString()).ToArray();
        foreach (var key in older) await (await PostAsync(ada, url, new { title = "Older" }, key)).Json(HttpStatusCode.Created);
        // Their answers kept first: the answer keeper's update of two of them in one transaction, in the order they were
        // answered, and this update (in key order) could otherwise deadlock on MariaDB (seen once in CI).
        foreach (var key in older) await KeptAsync(ada, key);
        await WithDbAsync(db => db.Set<IdempotentRequest>().Where(r => r.UserId == ada.Id && older.Contains(r.Key))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CreatedAt, DateTime.UtcNow.AddHours(-26))));

        // Past its lifetime (24 h) but not yet cleaned up, the key is still answered (its row holds it).
        var remembered = await PostAsync(ada, url, new { title = "Long ago" }, expired);
        Assert.Equal("Long ago", (await remembered.Json(HttpStatusCode.Created)).GetProperty("title").GetString());
        Assert.True(remembered.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(6, await TaskCountAsync(ada, board));

        // The hourly clean-up forgets only the expired keys; after it, the key is a new request's, even with another body.
        // Two per transaction, so the clean-up goes on past its first batch (the test's other keys may have expired too).
        var deleted = await ExpiredKeyCleanup.DeleteExpiredAsync(app.Services.GetRequiredService<IServiceScopeFactory>(), new IdempotencyOptions(), TimeProvider.System, default, batchSize: 2);
        Assert.True(deleted >= 5, $"{deleted} deleted");
        var left = await WithDbAsync(db => db.Set<IdempotentRequest>().Where(r => r.UserId == ada.Id).Select(r => r.Key).ToListAsync());
        Assert.Equal([fresh], left);
        // Their kept answers went with them (the answers' rows cascade).
        Assert.Equal([fresh], await WithDbAsync(db => db.Set<IdempotentAnswer>().Where(a => a.UserId == ada.Id).Select(a => a.Key).ToListAsync()));
        var again = await PostAsync(ada, url, new { title = "Something else" }, expired);
        Assert.Equal("Something else", (await again.Json(HttpStatusCode.Created)).GetProperty("title").GetString());
        Assert.False(again.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(7, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task ASessionSignedOutHearsNoReplay()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();
        await (await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Private" }, key)).Json(HttpStatusCode.Created);

        await (await ada.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = ada.RefreshToken })).Json(HttpStatusCode.NoContent);
        var replay = await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Private" }, key);
        var other = await PostAsync(ada, $"/api/boards/{board}/tasks", new { title = "Another" }, key);

        // 401 and nothing else: neither the answer nor whether the key was used with another request.
        await replay.AssertProblem(HttpStatusCode.Unauthorized);
        await other.AssertProblem(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TheOpenApiDocumentNamesTheHeaderOnTheEndpointsThatTakeIt()
    {
        var doc = await app.CreateClient().GetJson("/openapi/v1.json");
        bool Takes(string path, string method) =>
            doc.GetProperty("paths").GetProperty(path).GetProperty(method).TryGetProperty("parameters", out var ps)
            && ps.EnumerateArray().Any(p => p.GetProperty("name").GetString() == IdempotencyKeys.Header && p.GetProperty("in").GetString() == "header");

        Assert.True(Takes("/api/boards/{boardId}/tasks", "post"));
        Assert.True(Takes("/api/tasks/{taskId}/comments", "post"));
        Assert.True(Takes("/api/tasks/{taskId}/attachments", "post"));
        Assert.True(Takes("/api/imports/trello", "post"));
        Assert.True(Takes("/api/webhooks/{webhookId}", "delete"));
        Assert.False(Takes("/api/imports/trello/preview", "post")); // (a read)
        Assert.False(Takes("/api/me/tokens", "post")); // (its answer holds the token's secret: not kept)
        Assert.False(Takes("/api/auth/logout", "post"));
    }

    private async Task<T> WithDbAsync<T>(Func<TaskHubDbContext, Task<T>> work)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TaskHubDbContext>());
    }
}

public sealed class IdempotencyKeyTestsOnSqlite(SqliteApplication app) : IdempotencyKeyTests(app), IClassFixture<SqliteApplication>;

public sealed class IdempotencyKeyTestsOnMariaDb(MariaDbApplication app) : IdempotencyKeyTests(app), IClassFixture<MariaDbApplication>;

/// <summary>SQLite with a clock a test moves on (<see cref="TaskHub.Tests.Jobs.ShiftableClock"/>), and an attachment store
/// that holds an upload's file until the test lets it through.</summary>
public sealed class SqliteShiftedClockApplication : SqliteApplication
{
    public TaskHub.Tests.Jobs.ShiftableClock Clock { get; } = new();
    /// <summary>Completed when an upload reaches the store; the store goes on once <see cref="Release"/> completes.</summary>
    public TaskCompletionSource Storing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class HeldStore(IAttachmentStore inner, SqliteShiftedClockApplication app) : IAttachmentStore
    {
        public async Task PutAsync(string key, Stream content, long length, string contentType, CancellationToken ct)
        {
            app.Storing.TrySetResult();
            await app.Release.Task;
            await inner.PutAsync(key, content, length, contentType, ct);
        }

        public Task<Stream> OpenReadAsync(string key, CancellationToken ct) => inner.OpenReadAsync(key, ct);
        public Task DeleteAsync(string key, CancellationToken ct) => inner.DeleteAsync(key, ct);
        public Task DeletePrefixAsync(string prefix, CancellationToken ct) => inner.DeletePrefixAsync(prefix, ct);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(Clock);
            s.AddSingleton<DiskAttachmentStore>();
            s.AddSingleton<IAttachmentStore>(sp => new HeldStore(sp.GetRequiredService<DiskAttachmentStore>(), this));
        });
    }
}

public sealed class IdempotencyKeyTimeTests(SqliteShiftedClockApplication app) : IClassFixture<SqliteShiftedClockApplication>
{
    [Fact]
    public async Task AKeysTimeIsWhenItsChangeWasSavedNotWhenItsRequestBegan()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var taskId = (await ada.CreateTaskAsync(board, new { title = "Card" })).GetProperty("id").GetGuid();
        var form = new MultipartFormDataContent { { new ByteArrayContent("a large file, slow to store"u8.ToArray()), "file", "slow.txt" } };
        var key = Guid.NewGuid().ToString();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{taskId}/attachments") { Content = form };
        request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, key);
        try
        {
            // Storing the file takes long: the clock moves on 2 minutes (past StillRunning) before the attachment's write.
            var sending = ada.Client.SendAsync(request);
            await app.Storing.Task.WaitAsync(TimeSpan.FromSeconds(10));
            app.Clock.Offset = TimeSpan.FromMinutes(2);
            var moved = app.Clock.GetUtcNow().UtcDateTime;
            app.Release.SetResult();
            Assert.Equal(HttpStatusCode.Created, (await sending).StatusCode);

            // The key's time is its save's: a repeat just after the answer (before it is kept) is told to send again,
            // not that the answer was lost.
            await using var scope = app.Services.CreateAsyncScope();
            var row = await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<IdempotentRequest>().AsNoTracking()
                .SingleAsync(r => r.UserId == ada.Id && r.Key == key);
            Assert.True(row.CreatedAt >= moved.AddSeconds(-1), $"stamped {row.CreatedAt:O}, the clock moved to {moved:O}");
        }
        finally
        {
            app.Release.TrySetResult();
            app.Clock.Offset = TimeSpan.Zero;
        }
    }
}

/// <summary>A repeat goes wherever the load balancer sends it: another replica answers it from the shared database.</summary>
public sealed class IdempotencyKeyAcrossReplicasTests(TaskHub.Tests.Realtime.ScaleOutCluster cluster) : IClassFixture<TaskHub.Tests.Realtime.ScaleOutCluster>
{
    [Fact]
    public async Task AWriteAppliedByOneReplicaIsAnsweredAgainByTheOtherAndAppliedOnce()
    {
        var ada = await cluster.A.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var onB = ada with { Client = cluster.B.ClientWithToken(ada.AccessToken) };
        var key = Guid.NewGuid().ToString();

        var first = await Send(ada, board, key);
        var created = await first.Json(HttpStatusCode.Created);
        var again = await IdempotencyKeyTests.RepeatAsync(() => Send(onB, board, key));

        Assert.Equal(created.GetRawText(), (await again.Json(HttpStatusCode.Created)).GetRawText());
        Assert.True(again.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal(1, (await onB.Client.GetJson($"/api/boards/{board}/tasks")).GetArrayLength());
    }

    private static Task<HttpResponseMessage> Send(TestUser user, Guid board, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{board}/tasks") { Content = JsonContent.Create(new { title = "From the stopping replica" }) };
        request.Headers.Add(IdempotencyKeys.Header, key);
        return user.Client.SendAsync(request);
    }
}

/// <summary>
/// The migration that moved kept answers to a table of their own (<see cref="IdempotentAnswer"/>) keeps the answers
/// already kept: a key used before the upgrade is still answered with its first answer after it. The schema is taken
/// back to before that migration (its Down copies the answers back) and forward again.
/// </summary>
public abstract class IdempotentAnswersMigrationTests(TaskHubApplication app)
{
    [Fact]
    public async Task AnAnswerKeptBeforeTheUpgradeIsStillReplayedAfterIt()
    {
        var (ada, url, key, first) = await CreatedWithKeptAnswerAsync("Before");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();
            var migrations = db.Database.GetMigrations().ToList();
            var answers = migrations.FindIndex(m => m.EndsWith("_IdempotentAnswers", StringComparison.Ordinal));
            await migrator.MigrateAsync(migrations[answers - 1]);
            await migrator.MigrateAsync();
        }

        var again = await IdempotencyKeyTests.SendAsync(ada, HttpMethod.Post, url, new { title = "Before" }, key);
        Assert.Equal(first.GetProperty("id").GetString(), (await again.Json(HttpStatusCode.Created)).GetProperty("id").GetString());
        Assert.True(again.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Single((await ada.Client.GetJson(url)).EnumerateArray());
    }

    /// <summary>The migration runs before the Deployment rolls, so replicas of the version before it keep writing keys for a
    /// while: their statements (the key's row with its answer columns, then the answer kept into them) still work.</summary>
    [Fact]
    public async Task TheVersionBeforeStillKeepsItsKeysWhileTheDeploymentRolls()
    {
        var ada = await app.SignUpAsync();
        var key = Guid.NewGuid().ToString();
        var now = DateTime.UtcNow;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO idempotent_requests (`Key`, UserId, Body, CreatedAt, Fingerprint, Headers, Status)
            VALUES ({key}, {ada.Id}, {null as string}, {now}, {new string('f', 64)}, {null as string}, {null as int?})
            """);
        Assert.Equal(1, await db.Database.ExecuteSqlAsync(
            $"UPDATE idempotent_requests SET Status = {201}, Headers = {"{}"}, Body = {"{}"} WHERE UserId = {ada.Id} AND `Key` = {key}"));
        Assert.True(await db.Set<IdempotentRequest>().AnyAsync(r => r.UserId == ada.Id && r.Key == key));
    }

    /// <summary>While the Deployment rolls, a request served by a replica of the version before has its answer kept in the
    /// key's own row; the repeat, reaching a replica of this version, hears that answer (not 409 "not kept").</summary>
    [Fact]
    public async Task AnAnswerTheVersionBeforeKeptDuringTheRollIsReplayed()
    {
        var (ada, url, key, first) = await CreatedWithKeptAnswerAsync("Rolling");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            // As the version before keeps it: in the key's row, with no row in idempotent_answers.
            var answer = await db.Set<IdempotentAnswer>().AsNoTracking().SingleAsync(a => a.UserId == ada.Id && a.Key == key);
            Assert.Equal(1, await db.Database.ExecuteSqlAsync(
                $"UPDATE idempotent_requests SET Status = {answer.Status}, Headers = {answer.Headers}, Body = {answer.Body} WHERE UserId = {ada.Id} AND `Key` = {key}"));
            Assert.Equal(1, await db.Set<IdempotentAnswer>().Where(a => a.UserId == ada.Id && a.Key == key).ExecuteDeleteAsync());
        }

        var again = await IdempotencyKeyTests.SendAsync(ada, HttpMethod.Post, url, new { title = "Rolling" }, key);
        Assert.Equal(first.GetProperty("id").GetString(), (await again.Json(HttpStatusCode.Created)).GetProperty("id").GetString());
        Assert.True(again.Headers.Contains(IdempotencyKeys.ReplayedHeader));
        Assert.Equal($"/api/tasks/{first.GetProperty("id").GetString()}", again.Headers.Location?.OriginalString);
        Assert.Single((await ada.Client.GetJson(url)).EnumerateArray());
    }

    /// <summary>A task created on a new board with a new key, once its answer is kept.</summary>
    private async Task<(TestUser Ada, string Url, string Key, JsonElement First)> CreatedWithKeptAnswerAsync(string title)
    {
        var ada = await app.SignUpAsync();
        var url = $"/api/boards/{await ada.CreateBoardAsync()}/tasks";
        var key = Guid.NewGuid().ToString();
        var first = await (await IdempotencyKeyTests.SendAsync(ada, HttpMethod.Post, url, new { title }, key)).Json(HttpStatusCode.Created);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        for (var i = 0; !await db.Set<IdempotentAnswer>().AnyAsync(a => a.UserId == ada.Id && a.Key == key); i++)
        {
            Assert.True(i < 100, "the answer was not kept within 5 s");
            await Task.Delay(50);
        }
        return (ada, url, key, first);
    }
}

public sealed class IdempotentAnswersMigrationTestsOnSqlite(SqliteApplication app) : IdempotentAnswersMigrationTests(app), IClassFixture<SqliteApplication>;

public sealed class IdempotentAnswersMigrationTestsOnMariaDb(MariaDbApplication app) : IdempotentAnswersMigrationTests(app), IClassFixture<MariaDbApplication>;
