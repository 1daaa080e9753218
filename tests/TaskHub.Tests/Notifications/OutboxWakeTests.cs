using System.Diagnostics;
using TaskHub.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TaskHub.Tests.Notifications;

/// <summary>
/// The outbox dispatcher is woken when outbox rows commit on its replica (OutboxSignal), so what a change announces is
/// handed on at once, not at the next poll: here the poll is 30 s, and an assignment's inbox item is there within
/// seconds, on both providers (SQLite's write transactions, MariaDB's inline one).
/// </summary>
public abstract class OutboxWakeTests<TApp>(TApp app, ITestOutputHelper output) where TApp : TaskHubApplication
{
    [Fact]
    public async Task AChangesNotificationIsHandedOnWhenItCommitsNotAtTheNextPoll()
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var board = await ada.CreateBoardAsync("Wake");
        await ada.AddMemberAsync(board, bob);
        await Task.Delay(500); // the dispatcher's first look at start is over: from here it waits for its 30 s poll or a wake-up

        var watch = Stopwatch.StartNew();
        await ada.CreateTaskAsync(board, new { title = "Now, please", assigneeId = bob.Id });
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await InboxTests<TApp>.InboxAsync(bob)).Unread == 1, 10), "the inbox item waited for the poll");
        output.WriteLine($"inbox item {watch.ElapsedMilliseconds} ms after the write was sent");
    }
}

public sealed class SqliteSlowPollApplication : SqliteApplication
{
    public SqliteSlowPollApplication() => Settings["Outbox:PollIntervalSeconds"] = "30";
}

public sealed class MariaDbSlowPollApplication : MariaDbApplication
{
    public MariaDbSlowPollApplication() => Settings["Outbox:PollIntervalSeconds"] = "30";
}

public sealed class OutboxWakeTestsOnSqlite(SqliteSlowPollApplication app, ITestOutputHelper output)
    : OutboxWakeTests<SqliteSlowPollApplication>(app, output), IClassFixture<SqliteSlowPollApplication>;

public sealed class OutboxWakeTestsOnMariaDb(MariaDbSlowPollApplication app, ITestOutputHelper output)
    : OutboxWakeTests<MariaDbSlowPollApplication>(app, output), IClassFixture<MariaDbSlowPollApplication>;
