using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime.Internal.Auth;
using Microsoft.AspNetCore.Http;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Notifications;

/// <summary>
/// A stand-in for Amazon EventBridge on 127.0.0.1 that checks each request's Signature V4 with the AWS SDK's
/// own signer, records the entries, and can fail chosen entries once (a partial failure).
/// </summary>
public sealed class FakeEventBridge : IAsyncDisposable
{
    public const string AccessKey = "AKIDEXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    public const string Region = "eu-west-1";

    public LocalEndpoint Endpoint { get; private set; } = null!;
    public ConcurrentQueue<JsonElement> Accepted { get; } = new();
    public ConcurrentQueue<int> CallSizes { get; } = new();
    public ConcurrentQueue<string> Rejected { get; } = new();
    public int BadSignatures;
    public ConcurrentDictionary<string, int> FailuresLeft { get; } = new();

    public static async Task<FakeEventBridge> StartAsync()
    {
        var fake = new FakeEventBridge();
        fake.Endpoint = await LocalEndpoint.StartAsync(fake.HandleAsync);
        return fake;
    }

    private async Task HandleAsync(HttpContext ctx, string body)
    {
        if (!SignatureIsValid(ctx.Request, body) || ctx.Request.Headers["X-Amz-Target"] != "AWSEvents.PutEvents")
        {
            Interlocked.Increment(ref BadSignatures);
            ctx.Response.StatusCode = 403;
            await ctx.Response.WriteAsync("""{"__type":"InvalidSignatureException","message":"bad signature"}""");
            return;
        }
        var entries = JsonDocument.Parse(body).RootElement.GetProperty("Entries").EnumerateArray().Select(e => e.Clone()).ToList();
        CallSizes.Enqueue(entries.Count);
        var results = new List<object>();
        var failed = 0;
        foreach (var entry in entries)
        {
            var detail = entry.GetProperty("Detail").GetString()!;
            var key = JsonDocument.Parse(detail).RootElement.GetProperty("idempotencyKey").GetString()!;
            if (FailuresLeft.TryGetValue(key, out var left) && left > 0)
            {
                FailuresLeft[key] = left - 1;
                Rejected.Enqueue(key);
                failed++;
                results.Add(new { ErrorCode = "InternalFailure", ErrorMessage = "try again" });
                continue;
            }
            Accepted.Enqueue(entry);
            results.Add(new { EventId = Guid.NewGuid().ToString() });
        }
        ctx.Response.ContentType = "application/x-amz-json-1.1";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new { FailedEntryCount = failed, Entries = results }));
    }

    /// <summary>Rebuilds the canonical request from what arrived and signs it with AWSSDK.Core's AWS4Signer.</summary>
    private static bool SignatureIsValid(HttpRequest request, string body)
    {
        var auth = request.Headers.Authorization.ToString();
        if (!auth.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal)) return false;
        var parts = auth["AWS4-HMAC-SHA256 ".Length..].Split(", ").Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var scope = parts["Credential"].Split('/');
        if (scope[0] != AccessKey || scope[2] != Region || scope[3] != "events") return false;
        var signedHeaders = parts["SignedHeaders"];
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
        var canonicalHeaders = string.Concat(signedHeaders.Split(';').Select(h =>
            $"{h}:{(h == "host" ? request.Host.Value! : request.Headers[h].ToString()).Trim()}\n"));
        var canonical = $"{request.Method}\n{(string.IsNullOrEmpty(request.Path) ? "/" : request.Path.Value)}\n\n{canonicalHeaders}\n{signedHeaders}\n{payloadHash}";
        var signedAt = DateTime.ParseExact(request.Headers["X-Amz-Date"].ToString(), "yyyyMMdd'T'HHmmss'Z'",
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        var expected = AWS4Signer.ComputeSignature(AccessKey, SecretKey, Region, signedAt, "events", signedHeaders, canonical).Signature;
        return expected == parts["Signature"] && request.Headers["X-Amz-Content-Sha256"] == payloadHash;
    }

    public ValueTask DisposeAsync() => Endpoint.DisposeAsync();
}

public sealed class EventBridgeApplication : SqliteApplication
{
    public FakeEventBridge Bus { get; } = FakeEventBridge.StartAsync().GetAwaiter().GetResult();

    public EventBridgeApplication()
    {
        Settings["EventBridge:BusName"] = "taskhub-test-bus";
        Settings["EventBridge:ServiceUrl"] = Bus.Endpoint.Url + "/";
        Settings["EventBridge:Region"] = FakeEventBridge.Region;
        Settings["EventBridge:AccessKeyId"] = FakeEventBridge.AccessKey;
        Settings["EventBridge:SecretAccessKey"] = FakeEventBridge.SecretKey;
        Settings["Outbox:FirstRetrySeconds"] = "0.1";
        Settings["Outbox:MaxRetrySeconds"] = "0.3";
        Settings["Email:Transport"] = "eventbridge";
    }
}

public sealed class EventBridgeTests(EventBridgeApplication app) : IClassFixture<EventBridgeApplication>
{
    private IEnumerable<JsonElement> EntriesOf(Guid board) =>
        app.Bus.Accepted.Where(e => e.GetProperty("Detail").GetString()!.Contains(board.ToString()));

    private List<string?> KeysOf(Guid board) =>
        EntriesOf(board).Select(e => JsonDocument.Parse(e.GetProperty("Detail").GetString()!).RootElement.GetProperty("idempotencyKey").GetString()).ToList();

    [Fact]
    public async Task ChangesArePublishedAsSignedEventsWithTheirIdempotencyKey()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "published" })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "done" })).Json(System.Net.HttpStatusCode.OK);
        await ada.Client.DeleteAsync($"/api/tasks/{id}");

        Assert.True(await LiveBoard.EventuallyAsync(() => EntriesOf(board).Count() == 3));
        var entries = EntriesOf(board).ToList();
        Assert.Equal(["TaskCreated", "TaskDeleted", "TaskUpdated"], entries.Select(e => e.GetProperty("DetailType").GetString()).Order(StringComparer.Ordinal));
        Assert.All(entries, e =>
        {
            Assert.Equal("taskhub", e.GetProperty("Source").GetString());
            Assert.Equal("taskhub-test-bus", e.GetProperty("EventBusName").GetString());
        });
        var updated = JsonDocument.Parse(entries.Single(e => e.GetProperty("DetailType").GetString() == "TaskUpdated").GetProperty("Detail").GetString()!).RootElement;
        Assert.Equal($"event:{board:N}:2", updated.GetProperty("idempotencyKey").GetString());
        Assert.Equal("done", updated.GetProperty("event").GetProperty("task").GetProperty("status").GetString());
        Assert.Equal(0, app.Bus.BadSignatures);
    }

    [Fact]
    public async Task EventsGoOutAtMostTenPerCall()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await Task.WhenAll(Enumerable.Range(0, 25).Select(i => ada.CreateTaskAsync(board, new { title = $"bulk {i}" })));

        Assert.True(await LiveBoard.EventuallyAsync(() => EntriesOf(board).Count() == 25));
        Assert.All(app.Bus.CallSizes, n => Assert.InRange(n, 1, 10));
        Assert.Equal(25, EntriesOf(board).Select(e => e.GetProperty("Detail").GetString()).Distinct().Count());
    }

    [Fact]
    public async Task OnAPartialFailureOnlyTheFailedEntriesAreSentAgain()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        app.Bus.FailuresLeft[$"event:{board:N}:2"] = 1;
        app.Bus.FailuresLeft[$"event:{board:N}:4"] = 2;
        for (var i = 0; i < 5; i++) await ada.CreateTaskAsync(board, new { title = $"p{i}" });

        Assert.True(await LiveBoard.EventuallyAsync(() => EntriesOf(board).Count() == 5));
        // A barrier instead of a pause: a later event of the board through the same outbox has been published, and
        // nothing of the board's is left in the outbox (no retry still waiting), so no late resend can come.
        var barrier = $"event:{board:N}:6";
        await ada.CreateTaskAsync(board, new { title = "later" });
        Assert.True(await LiveBoard.EventuallyAsync(() => KeysOf(board).Contains(barrier)));
        Assert.True(await Outbox.DrainedAsync(app, $"event:{board:N}:"));
        var keys = KeysOf(board).Where(k => k != barrier).ToList();
        Assert.Equal(5, keys.Count);
        Assert.Equal(5, keys.Distinct().Count());
        Assert.Equal(3, app.Bus.Rejected.Count(k => k!.StartsWith($"event:{board:N}:")));
    }

    [Fact]
    public async Task WithTheEventBridgeMailTransportEmailsArePublishedAsEmailRequestedEvents()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Bus mail");
        await ada.AddMemberAsync(board, bob);
        await ada.CreateTaskAsync(board, new { title = "mail me", assigneeId = bob.Id });

        bool ForBob(JsonElement e) => e.GetProperty("DetailType").GetString() == "EmailRequested" && e.GetProperty("Detail").GetString()!.Contains(bob.Email);
        Assert.True(await LiveBoard.EventuallyAsync(() => app.Bus.Accepted.Any(ForBob)));
        // A barrier instead of a pause: a later outbox message (an event of another board of Ada's, no mail) has
        // been published, and no task email of this board is left in the outbox (no retry still waiting).
        var other = await ada.CreateBoardAsync("Barrier");
        await ada.CreateTaskAsync(other, new { title = "later" });
        Assert.True(await LiveBoard.EventuallyAsync(() => EntriesOf(other).Any()));
        Assert.True(await Outbox.DrainedAsync(app, $"task-email:{board:N}:"));
        var detail = JsonDocument.Parse(Assert.Single(app.Bus.Accepted, ForBob).GetProperty("Detail").GetString()!).RootElement;
        Assert.Equal($"task-email:{board:N}:1:{bob.Id:N}", detail.GetProperty("idempotencyKey").GetString());
        Assert.Contains("[Bus mail] mail me", detail.GetProperty("subject").GetString());
        Assert.Contains("Ada created “mail me”", detail.GetProperty("text").GetString());
        Assert.False(string.IsNullOrEmpty(detail.GetProperty("html").GetString()));
    }
}
