using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>What the one write path sends to the database besides the change itself.</summary>
public abstract class BoardStreamTests(TaskHubApplication app)
{
    /// <summary>A write in its own transaction is rolled back whole when its save fails, so EF's savepoint around the
    /// save (two more statements while the board's lock is held; on MariaDB two round trips) is left out; a save in a
    /// caller's transaction keeps it, and the context's setting is what it was.</summary>
    [Fact]
    public async Task AWriteInItsOwnTransactionSetsNoSavepointAndOneInACallersTransactionDoes()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var stream = scope.ServiceProvider.GetRequiredService<BoardStream>();
        using var savepoints = new SavepointRecorder(db);

        await CreateAsync(stream, board, ada.Id, "own transaction");
        Assert.Equal(0, savepoints.Count);
        Assert.True(db.Database.AutoSavepointsEnabled);

        await using (var tx = await db.BeginWriteAsync(CancellationToken.None))
        {
            await CreateAsync(stream, board, ada.Id, "caller's transaction");
            await tx.CommitAsync();
        }
        Assert.True(savepoints.Count > 0); // (the recorder sees savepoints when there are some)
        Assert.Equal(2, await ada.LastSeqAsync(board));
    }

    private static Task<TaskDto> CreateAsync(BoardStream stream, Guid board, Guid actor, string title) =>
        BoardWrites.CreateTaskAsync(stream, board, actor, title);

    /// <summary>Counts EF's savepoint events (created, released, rolled back to) of one context.</summary>
    private sealed class SavepointRecorder : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly DbContext _context;
        private readonly List<IDisposable> _subscriptions = [];
        private int _count;

        public SavepointRecorder(DbContext context)
        {
            _context = context;
            _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
        }

        public int Count => Volatile.Read(ref _count);

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name)
                lock (_subscriptions) _subscriptions.Add(listener.Subscribe(this));
        }

        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (e.Key.Contains("Savepoint", StringComparison.Ordinal) && e.Value is TransactionEventData data && data.Context == _context)
                Interlocked.Increment(ref _count);
        }

        public void OnCompleted() { }
        public void OnError(Exception error) { }

        public void Dispose()
        {
            lock (_subscriptions) foreach (var s in _subscriptions) s.Dispose();
        }
    }
}

/// <summary>A task creation straight through <see cref="BoardStream"/> (what the endpoint does, without the request).</summary>
internal static class BoardWrites
{
    public static Task<TaskDto> CreateTaskAsync(BoardStream stream, Guid board, Guid actor, string title) =>
        stream.WriteAsync(board, actor, write =>
        {
            var task = new TaskItem { BoardId = board, Title = title, CreatedById = actor, Position = Positions.Between(null, null) };
            TaskChanges.SetStatus(task, TaskState.Todo, write.Now);
            write.Db.Tasks.Add(task);
            return Task.FromResult(write.Record(BoardEventTypes.TaskCreated, task, TaskChanges.Describe(task)).Task!);
        }, CancellationToken.None);
}

public sealed class BoardStreamTestsOnSqlite(SqliteApplication app) : BoardStreamTests(app), IClassFixture<SqliteApplication>;
public sealed class BoardStreamTestsOnMariaDb(MariaDbApplication app) : BoardStreamTests(app), IClassFixture<MariaDbApplication>;
