using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Notifications;

file static class WebhookSettings
{
    public static void Apply(TaskHubApplication app)
    {
        app.Settings["Webhooks:AllowPrivateTargets"] = "true"; // the receivers below listen on loopback
        app.Settings["Outbox:FirstRetrySeconds"] = "0.2";
        app.Settings["Outbox:MaxRetrySeconds"] = "0.4";
        app.Settings["Outbox:MaxAttempts"] = "4";
        app.Settings["Smtp:Host"] = "127.0.0.1";
        app.Settings["Smtp:Port"] = MailDev.SmtpPort.ToString();
        app.Settings["Smtp:UseTls"] = "false";
    }
}

public sealed class SqliteWebhookApplication : SqliteApplication
{
    public SqliteWebhookApplication() => WebhookSettings.Apply(this);
}

public sealed class MariaDbWebhookApplication : MariaDbApplication
{
    public MariaDbWebhookApplication() => WebhookSettings.Apply(this);
}

public abstract class WebhookTests<TApp>(TApp app) where TApp : TaskHubApplication
{
    private const string Secret = "a-webhook-secret-of-some-length";

    /// <summary>A receiver on loopback that checks every signature, counts deliveries by id, and fails on demand.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        public readonly ConcurrentQueue<(string Delivery, string Event, string Body, bool SignatureOk)> Got = new();
        public volatile int FailNext;
        public volatile bool AlwaysFail;
        public volatile int DelayMs;
        public int InFlight, MaxInFlight;
        private LocalEndpoint _endpoint = null!;
        public string Url => _endpoint.Url + "/hook";

        public static async Task<Receiver> StartAsync()
        {
            var r = new Receiver();
            r._endpoint = await LocalEndpoint.StartAsync(async (ctx, body) =>
            {
                var sig = ctx.Request.Headers["X-TaskHub-Signature"].ToString();
                var t = sig.Split(',')[0]["t=".Length..];
                var v1 = sig.Split(',')[1]["v1=".Length..];
                var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{t}.{body}")));
                var inFlight = Interlocked.Increment(ref r.InFlight);
                for (var max = r.MaxInFlight; inFlight > max; max = r.MaxInFlight) Interlocked.CompareExchange(ref r.MaxInFlight, inFlight, max);
                if (r.DelayMs > 0) await Task.Delay(r.DelayMs);
                Interlocked.Decrement(ref r.InFlight);
                r.Got.Enqueue((ctx.Request.Headers["X-TaskHub-Delivery"].ToString(), ctx.Request.Headers["X-TaskHub-Event"].ToString(), body, expected == v1));
                if (r.AlwaysFail || Interlocked.Decrement(ref r.FailNext) >= 0) ctx.Response.StatusCode = 500;
                else ctx.Response.StatusCode = 204;
            });
            return r;
        }

        public ValueTask DisposeAsync() => _endpoint.DisposeAsync();
    }

    private static async Task<Guid> HookAsync(TestUser owner, Guid board, string url, object? events = null, string format = "json") =>
        (await (await owner.Client.PostAsJsonAsync($"/api/boards/{board}/webhooks", new { url, secret = Secret, events, format })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();

    /// <summary>Sends a write with an Idempotency-Key, then again with it as a client whose answer was lost.</summary>
    private static async Task<(HttpResponseMessage First, HttpResponseMessage Again)> TwiceAsync(TestUser user, HttpMethod method, string url, object? body)
    {
        var key = Guid.NewGuid().ToString();
        var first = await TaskHub.Tests.Tasks.IdempotencyKeyTests.SendAsync(user, method, url, body, key);
        return (first, await TaskHub.Tests.Tasks.IdempotencyKeyTests.RepeatAsync(() => TaskHub.Tests.Tasks.IdempotencyKeyTests.SendAsync(user, method, url, body, key)));
    }

    [Fact]
    public async Task AHookCreatedTwiceWithOneKeyDeliversEachEventOnceAndItsChangeAndDeletionApplyOnce()
    {
        await using var receiver = await Receiver.StartAsync();
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var (created, again) = await TwiceAsync(ada, HttpMethod.Post,
            $"/api/boards/{board}/webhooks", new { url = receiver.Url, secret = Secret });
        var hook = (await created.Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        Assert.Equal(hook, (await again.Json(HttpStatusCode.Created)).GetProperty("id").GetGuid());
        Assert.True(again.Headers.Contains("Idempotent-Replayed"));
        Assert.Single((await ada.Client.GetJson($"/api/boards/{board}/webhooks")).EnumerateArray());

        // One hook: a task's creation reaches the receiver as one delivery (two hooks would make two).
        await ada.CreateTaskAsync(board, new { title = "hooked once" });
        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Any(g => g.Event == "TaskCreated"), 20));
        Assert.True(await Outbox.DrainedAsync(app, "webhook")); // (the event's fan-out and every delivery it made are done)
        Assert.Single(receiver.Got.Where(g => g.Event == "TaskCreated").Select(g => g.Delivery).Distinct());

        var (paused, pausedAgain) = await TwiceAsync(ada, HttpMethod.Patch, $"/api/webhooks/{hook}", new { active = false });
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, pausedAgain.StatusCode);
        Assert.Equal(await paused.Content.ReadAsStringAsync(), await pausedAgain.Content.ReadAsStringAsync());
        Assert.True(pausedAgain.Headers.Contains("Idempotent-Replayed"));
        var (deleted, deletedAgain) = await TwiceAsync(ada, HttpMethod.Delete, $"/api/webhooks/{hook}", null);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deletedAgain.StatusCode); // (not 404: the first's answer)
        Assert.Empty((await ada.Client.GetJson($"/api/boards/{board}/webhooks")).EnumerateArray());
    }

    [Fact]
    public async Task BoardEventsArriveSignedAndAFailingReceiverGetsEachDeliveryOnceItRecovers()
    {
        await using var receiver = await Receiver.StartAsync();
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await HookAsync(ada, board, receiver.Url);

        receiver.FailNext = 2; // the first two attempts fail: the outbox retries
        var id = (await ada.CreateTaskAsync(board, new { title = "hooked" })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "done" })).Json(HttpStatusCode.OK);

        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Select(g => g.Delivery).Distinct().Count() == 2 && receiver.Got.Count >= 4, 20));
        Assert.True(await Outbox.DrainedAsync(app, "webhook:"));
        Assert.All(receiver.Got, g => Assert.True(g.SignatureOk));
        var created = receiver.Got.Where(g => g.Event == "TaskCreated").ToList();
        Assert.Equal($"webhook:", created[0].Delivery[..8]);
        Assert.True(created.Count >= 1);
        Assert.Single(created.Select(c => c.Delivery).Distinct()); // retries reuse the delivery id
        var body = JsonDocument.Parse(receiver.Got.Last(g => g.Event == "TaskUpdated").Body).RootElement;
        Assert.Equal(2, body.GetProperty("seq").GetInt64());
        Assert.Equal("done", body.GetProperty("task").GetProperty("status").GetString());

        var hooks = await ada.Client.GetJson($"/api/boards/{board}/webhooks");
        var last = Assert.Single(hooks.EnumerateArray()).GetProperty("lastDelivery");
        Assert.Equal(204, last.GetProperty("status").GetInt32());
        Assert.False(hooks[0].TryGetProperty("secret", out _));
    }

    [Fact]
    public async Task ASlowReceiverGetsSeveralDeliveriesAtOnceEachOnceWithItsSeq()
    {
        await using var receiver = await Receiver.StartAsync();
        // A receiver that takes its time: one at a time, 16 deliveries would take 16 s (still inside the wait below, so a
        // sender without concurrency fails on MaxInFlight). Long enough that even on a loaded machine the writes below
        // commit several to a delivery, so a batch holds more than one.
        receiver.DelayMs = 1000;
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await HookAsync(ada, board, receiver.Url);
        for (var i = 0; i < 16; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });

        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Count >= 16, 30));
        Assert.True(await Outbox.DrainedAsync(app, "webhook:"));
        Assert.InRange(receiver.MaxInFlight, 2, TaskHub.Server.Features.Integrations.WebhookSender.Concurrency);
        Assert.Equal(16, receiver.Got.Select(g => g.Delivery).Distinct().Count()); // each once
        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i),
            receiver.Got.Select(g => JsonDocument.Parse(g.Body).RootElement.GetProperty("seq").GetInt64()).Order()); // receivers order by seq
    }

    [Fact]
    public async Task AHookGetsOnlyTheEventsItAskedForInTheFormatItChose()
    {
        await using var receiver = await Receiver.StartAsync();
        var ada = await app.SignUpAsync("Ada");
        var board = await ada.CreateBoardAsync();
        var hook = await HookAsync(ada, board, receiver.Url, new[] { "TaskCreated" }, "slack");
        var id = (await ada.CreateTaskAsync(board, new { title = "first" })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "renamed" })).Json(HttpStatusCode.OK);
        await ada.CreateTaskAsync(board, new { title = "second" }); // the barrier: created after the update

        // Deliveries are concurrent: "second" may land before "first", so wait for both.
        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Any(g => g.Body.Contains("first")) && receiver.Got.Any(g => g.Body.Contains("second"))));
        Assert.Equal(["TaskCreated", "TaskCreated"], receiver.Got.Select(g => g.Event));
        var chat = JsonDocument.Parse(receiver.Got.Single(g => g.Body.Contains("first")).Body).RootElement; // deliveries are concurrent: find it by content
        Assert.StartsWith("Ada created “first”", chat.GetProperty("text").GetString()); // Slack
        Assert.Equal(chat.GetProperty("text").GetString(), chat.GetProperty("content").GetString()); // Discord

        Assert.Equal(HttpStatusCode.Accepted, (await ada.Client.PostAsync($"/api/webhooks/{hook}/test", null)).StatusCode);
        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Any(g => g.Event == "WebhookTest")));
        var log = await ada.Client.GetJson($"/api/webhooks/{hook}/deliveries");
        Assert.Contains(log.EnumerateArray(), d => d.GetProperty("event").GetString() == "WebhookTest");
    }

    /// <summary>Most boards have no hook: on SQLite their events get no fan-out row (nothing for the dispatcher to claim and
    /// close); on both, a hook gets exactly the events of the time it was active.</summary>
    [Fact]
    public async Task OnlyEventsOfABoardWithAnActiveHookGetAFanOutRow()
    {
        await using var receiver = await Receiver.StartAsync();
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.CreateTaskAsync(board, new { title = "before any hook" }); // seq 1
        Assert.True(await Outbox.DrainedAsync(app, "webhooks:")); // (were there a fan-out row, it would run before the hook exists)
        var hook = await HookAsync(ada, board, receiver.Url);
        await ada.CreateTaskAsync(board, new { title = "hooked" }); // seq 2
        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Any(g => g.Body.Contains("hooked")))); // (a hook switched off before its fan-out ran would not get it)
        await (await ada.Client.Patch($"/api/webhooks/{hook}", new { active = false })).Json(HttpStatusCode.OK);
        await ada.CreateTaskAsync(board, new { title = "while off" }); // seq 3
        Assert.True(await Outbox.DrainedAsync(app, "webhooks:")); // (were there a fan-out row, it would run while the hook is off)
        await (await ada.Client.Patch($"/api/webhooks/{hook}", new { active = true })).Json(HttpStatusCode.OK);
        await ada.CreateTaskAsync(board, new { title = "on again" }); // seq 4

        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Any(g => g.Body.Contains("on again"))));
        Assert.True(await Outbox.DrainedAsync(app, "webhook:"));
        Assert.Equal(["hooked", "on again"], receiver.Got.Select(g => JsonDocument.Parse(g.Body).RootElement.GetProperty("task").GetProperty("title").GetString()).Order());
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var prefix = $"webhooks:{board:N}:";
        var fanouts = db.Set<OutboxMessage>().AsNoTracking().Where(m => m.Key.StartsWith(prefix)).Select(m => m.Key).ToList();
        Assert.Equal([prefix + 2, prefix + 4], fanouts.Order()); // (the write's seq statement answered "active hook?")
    }

    [Fact]
    public async Task AHookThatKeepsFailingIsSwitchedOffAndTheOwnerIsTold()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.AlwaysFail = true;
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync("Hooks");
        var hook = await HookAsync(ada, board, receiver.Url);
        await ada.CreateTaskAsync(board, new { title = "x" });

        Assert.True(await LiveBoard.EventuallyAsync(async () => !(await ada.Client.GetJson($"/api/boards/{board}/webhooks"))[0].GetProperty("active").GetBoolean(), 30));
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await MailDev.ForAsync(ada.Email)).Any(m => m.Subject.Contains("webhook was switched off")), 30));
        Assert.Equal(4, receiver.Got.Count); // every attempt, then no more
        await ada.CreateTaskAsync(board, new { title = "while off" });
        await (await ada.Client.PostAsync($"/api/webhooks/{hook}/test", null)).Json(HttpStatusCode.Accepted);
        Assert.True(await LiveBoard.EventuallyAsync(() => receiver.Got.Any(g => g.Event == "WebhookTest"))); // barrier: tests still go out
        Assert.DoesNotContain(receiver.Got, g => g.Body.Contains("while off"));
    }

    [Fact]
    public async Task TargetsAndInputAreCheckedAndOnlyOwnersAndAdminsManageHooks()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        async Task Refused(object body, string field) => await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/webhooks", body)).AssertFieldError(field);
        await Refused(new { url = "http://169.254.169.254/latest/meta-data", secret = Secret }, "url"); // link-local: never
        await Refused(new { url = "ftp://example.com/x", secret = Secret }, "url");
        await Refused(new { url = "http://user:pw@127.0.0.1/x", secret = Secret }, "url");
        await Refused(new { url = "http://127.0.0.1:9/x", secret = "short" }, "secret");
        await Refused(new { url = "http://127.0.0.1:9/x", secret = Secret, events = new[] { "Everything" } }, "events");
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Client.PostAsJsonAsync($"/api/boards/{board}/webhooks", new { url = "http://127.0.0.1:9/x", secret = Secret })).StatusCode);
        var eve = await app.SignUpAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await eve.Client.GetAsync($"/api/boards/{board}/webhooks")).StatusCode);
    }
}

public sealed class WebhookTestsOnSqlite(SqliteWebhookApplication app) : WebhookTests<SqliteWebhookApplication>(app), IClassFixture<SqliteWebhookApplication>;

public sealed class WebhookTestsOnMariaDb(MariaDbWebhookApplication app) : WebhookTests<MariaDbWebhookApplication>(app), IClassFixture<MariaDbWebhookApplication>;

/// <summary>Without AllowPrivateTargets (the default) a hook may not point at loopback or private addresses.</summary>
public sealed class WebhookPrivateTargetTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    [Fact]
    public async Task APrivateOrLoopbackTargetIsRefusedByDefault()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        foreach (var url in new[] { "http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://192.168.0.10/x", "http://[::1]/x", "http://localhost/x" })
            await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/webhooks", new { url, secret = "a-webhook-secret-of-some-length" })).AssertFieldError("url");
    }
}
