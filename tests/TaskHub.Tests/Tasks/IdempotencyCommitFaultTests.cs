using System.Data.Common;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// A keyed write that fails once its change is saved: its commit may have happened (an error after it, a commit whose
/// reply was lost) or not. A repeat hears at once that the change was applied (not "still running" for a minute), or,
/// when the change was rolled back, applies it.
/// </summary>
public abstract class IdempotencyCommitFaultTests<TApp>(TApp app) where TApp : TaskHubApplication, ICommitFaultApplication
{
    [Fact]
    public async Task AWriteThatFailsAfterItsCommitIsAnsweredAsAppliedAtOnce()
    {
        var (ada, board, key) = await FailedWriteAsync(afterCommit: true);
        Assert.Equal(1, await TaskCountAsync(ada, board)); // committed before it failed

        await IdleAsync();
        var repeat = await PostAsync(ada, board, key);
        var problem = await repeat.Json(HttpStatusCode.Conflict);
        Assert.Equal(IdempotencyKeys.NotKeptType, problem.GetProperty("type").GetString());
        Assert.Null(repeat.Headers.RetryAfter);
        Assert.Equal(1, await TaskCountAsync(ada, board));
    }

    [Fact]
    public async Task AWriteThatFailsBeforeItsCommitLeavesItsKeyForTheRepeat()
    {
        var (ada, board, key) = await FailedWriteAsync(afterCommit: false);
        Assert.Equal(0, await TaskCountAsync(ada, board)); // rolled back

        await IdleAsync();
        var repeat = await PostAsync(ada, board, key);
        Assert.Equal(HttpStatusCode.Created, repeat.StatusCode);
        Assert.Equal(1, await TaskCountAsync(ada, board));
        // And its own answer is the one kept: a third send hears it.
        await IdleAsync();
        var third = await PostAsync(ada, board, key);
        Assert.Equal(HttpStatusCode.Created, third.StatusCode);
        Assert.True(third.Headers.TryGetValues(IdempotencyKeys.ReplayedHeader, out _), "the third send was not a replay");
        Assert.Equal(1, await TaskCountAsync(ada, board));
    }

    /// <summary>A new user's keyed task creation on a new board, its commit failed (after or before it happens): a 5xx.</summary>
    private async Task<(TestUser User, Guid Board, string Key)> FailedWriteAsync(bool afterCommit)
    {
        var user = await app.SignUpAsync();
        var board = await user.CreateBoardAsync();
        var key = Guid.NewGuid().ToString();
        app.Fault.Arm(key, afterCommit);
        var failed = await PostAsync(user, board, key);
        Assert.True((int)failed.StatusCode >= 500, $"the write answered {(int)failed.StatusCode}");
        Assert.False(app.Fault.Armed, "the fault was not met: the write did not commit its key");
        return (user, board, key);
    }

    private static Task<HttpResponseMessage> PostAsync(TestUser user, Guid board, string key) =>
        IdempotencyKeyTests.SendAsync(user, HttpMethod.Post, $"/api/boards/{board}/tasks", new { title = "Once" }, key);

    private static Task<int> TaskCountAsync(TestUser user, Guid board) => IdempotencyKeyTests.TaskCountAsync(user, board);

    /// <summary>Until the answers queued so far are stored (or dropped).</summary>
    private async Task IdleAsync()
    {
        var keeper = app.Services.GetRequiredService<AnswerKeeper>();
        for (var i = 0; i < 200 && !keeper.Idle; i++) await Task.Delay(25);
        Assert.True(keeper.Idle, "the answer keeper did not finish within 5 s");
    }
}

/// <summary>Fails the commit of the write that saves the armed key, just before or just after it happens.</summary>
public sealed class CommitFault : DbTransactionInterceptor
{
    private sealed record Target(string Key, bool AfterCommit);
    private Target? _armed;

    public void Arm(string key, bool afterCommit) => Volatile.Write(ref _armed, new Target(key, afterCommit));

    public bool Armed => Volatile.Read(ref _armed) is not null;

    public override ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default)
    {
        if (Take(eventData.Context, afterCommit: false)) throw new TimeoutException("the commit was not sent (a test's fault)");
        return ValueTask.FromResult(result);
    }

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (Take(eventData.Context, afterCommit: true)) throw new TimeoutException("the commit's reply was lost (a test's fault)");
        return Task.CompletedTask;
    }

    private bool Take(DbContext? context, bool afterCommit) =>
        Volatile.Read(ref _armed) is { } armed && armed.AfterCommit == afterCommit && context is not null
        && context.ChangeTracker.Entries<IdempotentRequest>().Any(e => e.Entity.Key == armed.Key)
        && Interlocked.CompareExchange(ref _armed, null, armed) == armed;
}

public interface ICommitFaultApplication
{
    CommitFault Fault { get; }
}

public sealed class CommitFaultSqliteApplication : SqliteApplication, ICommitFaultApplication
{
    public CommitFault Fault { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(Fault));
    }
}

/// <summary>MariaDB with the driver's transactions (an inline one's COMMIT rides in the save's batch, out of the
/// interceptor's sight); what a failed write leaves of its key is the same either way.</summary>
public sealed class CommitFaultMariaDbApplication : MariaDbApplication, ICommitFaultApplication
{
    public CommitFault Fault { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Database:InlineWriteTransactions", "false");
        builder.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(Fault));
    }
}

public sealed class IdempotencyCommitFaultTestsOnSqlite(CommitFaultSqliteApplication app)
    : IdempotencyCommitFaultTests<CommitFaultSqliteApplication>(app), IClassFixture<CommitFaultSqliteApplication>;

public sealed class IdempotencyCommitFaultTestsOnMariaDb(CommitFaultMariaDbApplication app)
    : IdempotencyCommitFaultTests<CommitFaultMariaDbApplication>(app), IClassFixture<CommitFaultMariaDbApplication>;
