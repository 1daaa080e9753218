using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TaskHub.Tests.Notifications;

/// <summary>
/// The outbox dispatcher is woken when outbox rows commit on its replica (OutboxSignal), so what a change announces is
/// handed on at once, not at the next poll: here the poll is 30 s, and an assignment's inbox item is there within
/// seconds, on both providers (SQLite's write transactions, MariaDB's inline one). Idle, the dispatcher and the
/// change-email flusher wait until what is waiting comes due, not for the poll.
/// </summary>
public abstract class OutboxWakeTests<TApp>(TApp app, ITestOutputHelper output) where TApp : TaskHubApplication
{
    [Fact]
    public async Task AChangesNotificationIsHandedOnWhenItCommitsNotAtTheNextPoll()
    {
        var (ada, bob, board) = await AdaAndBobOnABoardAsync();
        await Task.Delay(500); // the dispatcher's first look at start is over: from here it waits for its 30 s poll or a wake-up

        var watch = Stopwatch.StartNew();
        await ada.CreateTaskAsync(board, new { title = "Now, please", assigneeId = bob.Id });
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await InboxTests<TApp>.InboxAsync(bob)).Unread == 1, 10), "the inbox item waited for the poll");
        output.WriteLine($"inbox item {watch.ElapsedMilliseconds} ms after the write was sent");
    }

    /// <summary>A webhook delivery that failed is tried again when its retry comes due (0.4–0.6 s here), not at the
    /// dispatcher's next poll (30 s): an idle dispatcher waits until the earliest undelivered row is due.</summary>
    [Fact]
    public async Task AFailedDeliveryIsTriedAgainWhenItsRetryComesDueNotAtTheNextPoll()
    {
        var attempts = new System.Collections.Concurrent.ConcurrentQueue<TimeSpan>();
        var watch = Stopwatch.StartNew();
        var failures = 1;
        await using var receiver = await LocalEndpoint.StartAsync((ctx, _) =>
        {
            if (ctx.Request.Headers["X-TaskHub-Event"] == "TaskCreated") attempts.Enqueue(watch.Elapsed);
            ctx.Response.StatusCode = Interlocked.Decrement(ref failures) >= 0 ? 500 : 204;
            return Task.CompletedTask;
        });
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/webhooks",
            new { url = receiver.Url + "/hook", secret = "a-webhook-secret-of-some-length", events = new[] { "TaskCreated" } })).Json(HttpStatusCode.Created);
        await Task.Delay(500); // (the dispatcher is idle again)

        await ada.CreateTaskAsync(board, new { title = "Tried again" });
        Assert.True(await LiveBoard.EventuallyAsync(() => attempts.Count >= 2, 10), "the retry waited for the poll");
        var times = attempts.ToArray();
        output.WriteLine($"tried again {(times[1] - times[0]).TotalMilliseconds:0} ms after the failure");
        Assert.True(times[1] - times[0] < TimeSpan.FromSeconds(5), "the retry waited for the poll");
        Assert.True(await Outbox.DrainedAsync(app, "webhook:"));
    }

    /// <summary>A change emailed in a burst (a 1 s window here) is queued once the burst is quiet, not at the flusher's
    /// next look when the poll is 30 s: an idle flusher waits until the earliest waiting change could be due.</summary>
    [Fact]
    public async Task AChangeEmailIsQueuedOnceItsBurstIsQuietNotAtTheNextPoll()
    {
        var (ada, bob, board) = await AdaAndBobOnABoardAsync();
        await Task.Delay(1500); // (the flusher idle again after what the set-up made)
        var burstsOfBob = $"change-email:{bob.Id:N}:{board:N}:";
        Assert.Equal(0, await ChangeEmailsAsync(burstsOfBob));

        var watch = Stopwatch.StartNew();
        await ada.CreateTaskAsync(board, new { title = "For Bob", assigneeId = bob.Id });
        Assert.True(await LiveBoard.EventuallyAsync(async () => await ChangeEmailsAsync(burstsOfBob) == 1, 10), "the burst's email waited for the poll");
        output.WriteLine($"the burst's email queued {watch.ElapsedMilliseconds} ms after the change was sent (window 1 s)");
    }

    /// <summary>Ada's new board, with Bob a member.</summary>
    private async Task<(TestUser Ada, TestUser Bob, Guid Board)> AdaAndBobOnABoardAsync()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Wake");
        await ada.AddMemberAsync(board, bob);
        return (ada, bob, board);
    }

    private async Task<int> ChangeEmailsAsync(string keyPrefix)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Set<OutboxMessage>().CountAsync(m => m.Key.StartsWith(keyPrefix));
    }
}

file static class SlowPollSettings
{
    public static void Apply(TaskHubApplication app)
    {
        app.Settings["Outbox:PollIntervalSeconds"] = "30";
        app.Settings["Outbox:FirstRetrySeconds"] = "0.5";
        app.Settings["Outbox:MaxRetrySeconds"] = "1";
        app.Settings["Email:CoalesceWindowSeconds"] = "1";
        app.Settings["Webhooks:AllowPrivateTargets"] = "true"; // (the receiver listens on loopback)
    }
}

public sealed class SqliteSlowPollApplication : SqliteApplication
{
    public SqliteSlowPollApplication() => SlowPollSettings.Apply(this);
}

public sealed class MariaDbSlowPollApplication : MariaDbApplication
{
    public MariaDbSlowPollApplication() => SlowPollSettings.Apply(this);
}

public sealed class OutboxWakeTestsOnSqlite(SqliteSlowPollApplication app, ITestOutputHelper output)
    : OutboxWakeTests<SqliteSlowPollApplication>(app, output), IClassFixture<SqliteSlowPollApplication>;

public sealed class OutboxWakeTestsOnMariaDb(MariaDbSlowPollApplication app, ITestOutputHelper output)
    : OutboxWakeTests<MariaDbSlowPollApplication>(app, output), IClassFixture<MariaDbSlowPollApplication>;
