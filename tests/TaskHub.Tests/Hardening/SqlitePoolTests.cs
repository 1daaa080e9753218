using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// Embedded mode: contexts that open at once while Microsoft.Data.Sqlite's pool is empty (at start, after a burst, after
/// the driver pruned idle connections) each get a native connection of their own. The pool could lend one to two of
/// them (dotnet/efcore#39008), and the first to close then failed un-registering EF's functions while the other's
/// statement ran: SQLite error 5, "unable to delete/modify user-function due to active statements" (twice in CI, in
/// JobTestsOnSqlite and RacingAdminRequestsTestsOnSqlite). <see cref="SqlitePoolOpens"/> opens them one at a time.
/// </summary>
public sealed class SqlitePoolTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    private const int Waves = 1000;
    private const int AtOnce = 16;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task ContextsOpeningAtOnceOnAnEmptyPoolNeverShareANativeConnection()
    {
        var connectionString = await app.DbAsync(db => Task.FromResult(db.Database.GetConnectionString()!));
        var shared = 0;
        var errors = new ConcurrentQueue<string>();
        var wave = 0;
        for (; wave < Waves && shared == 0 && errors.IsEmpty; wave++)
        {
            SqlitePoolOpens.ClearPool(connectionString); // empty, as at start
            using var ready = new Barrier(AtOnce);
            using var running = new Barrier(AtOnce);
            var handles = new IntPtr[AtOnce];
            var contexts = Enumerable.Range(0, AtOnce).Select(i => Task.Factory.StartNew(() =>
            {
                try
                {
                    using var scope = app.Services.CreateScope();
                    var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
                    ready.SignalAndWait(Wait);
                    db.Database.OpenConnection();
                    var connection = (SqliteConnection)db.Database.GetDbConnection();
                    handles[i] = connection.Handle!.DangerousGetHandle();
                    using var command = connection.CreateCommand();
                    command.CommandText = "VALUES (1), (2)";
                    using var reader = command.ExecuteReader();
                    reader.Read(); // (its statement runs until the reader is disposed)
                    running.SignalAndWait(Wait); // every context open, each with a statement running
                }
                catch (SqliteException e)
                {
                    errors.Enqueue($"{e.Message} ({string.Join(" ← ", e.StackTrace!.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("Sqlite")).Take(4))})");
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(contexts);
            shared += AtOnce - handles.Distinct().Count();
        }
        Assert.True(shared == 0 && errors.IsEmpty,
            $"wave {wave} of {Waves}: {shared} context(s) lent a native connection another held; errors: {string.Join(" | ", errors.Take(3))}");
    }

    /// <summary>The gate opens the connection itself and tells EF it is open: EF must still run what follows an open (the
    /// connection settings' pragmas, <c>Database:SqliteSynchronous</c> and background checkpoints). A review's guard.</summary>
    [Fact]
    public async Task AContextsConnectionStillGetsItsPragmasAfterTheGatedOpen()
    {
        var (sync, auto) = await app.DbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            var c = db.Database.GetDbConnection();
            await using var a = c.CreateCommand();
            a.CommandText = "PRAGMA synchronous";
            await using var b = c.CreateCommand();
            b.CommandText = "PRAGMA wal_autocheckpoint";
            return (Convert.ToInt64(await a.ExecuteScalarAsync()), Convert.ToInt64(await b.ExecuteScalarAsync()));
        });
        Assert.Equal(1, sync);
        Assert.Equal(0, auto);
    }
}
