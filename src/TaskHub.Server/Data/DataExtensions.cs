using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace TaskHub.Server.Data;

public static class DataExtensions
{
    /// <summary>
    /// SQLite under <c>data/</c> by default; MariaDB/MySQL when <c>ConnectionStrings:MySql</c> is present.
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();
        // Every registered interceptor (audit stamps here; the realtime publisher in its feature) joins every context.
        // Contexts are pooled, their options built once from the root provider: interceptors are singletons and keep
        // what one use of a context needs on the context (TaskHubDbContext.UseState).
        builder.Services.AddSingleton<IInterceptor, DetectChangesOnce>(); // (first: the interceptors after it read what it detected)
        builder.Services.AddSingleton<IInterceptor, AuditTimestampsInterceptor>();
        builder.Services.AddSingleton<IInterceptor, SqliteWriteQueueInterceptor>();

        var mySql = builder.Configuration.GetConnectionString("MySql");
        if (!string.IsNullOrWhiteSpace(mySql))
        {
            var version = builder.Configuration[$"{DatabaseOptions.Section}:{nameof(DatabaseOptions.MySqlServerVersion)}"]
                          ?? new DatabaseOptions().MySqlServerVersion;
            var serverVersion = ServerVersion.Parse(version);
            var connectionString = MySqlConnections.WithoutResetUnlessSet(mySql); // pooled connections without a reset (see there)
            builder.Services.AddSingleton<IInterceptor, InlineCommitInterceptor>();
            builder.Services.AddDbContextPool<TaskHubDbContext, MySqlTaskHubDbContext>((sp, options) => options
                // (Pomelo's batch sizes, named: InlineCommitInterceptor decides from the largest whether a save is one batch)
                .UseMySql(connectionString, serverVersion, mysql => mysql.MinBatchSize(1).MaxBatchSize(InlineTransaction.MaxBatchSize))
                .AddInterceptors(sp.GetServices<IInterceptor>()));
        }
        else
        {
            var sqlite = builder.Configuration.GetConnectionString("Sqlite") ?? "Data Source=data/taskhub.db";
            var csb = new SqliteConnectionStringBuilder(sqlite);
            if (!Path.IsPathRooted(csb.DataSource) && csb.DataSource != ":memory:")
            {
                csb.DataSource = Path.Combine(builder.Environment.ContentRootPath, csb.DataSource);
            }
            var dir = Path.GetDirectoryName(csb.DataSource);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            csb.DefaultTimeout = Math.Max(csb.DefaultTimeout, 30);
            var connectionString = csb.ToString();
            var settings = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
            var connectionSettings = new SqliteConnectionSettings(settings.SqliteSynchronous, settings.SqliteCheckpointMilliseconds > 0);
            var queue = SqliteWriteQueue.Configure(connectionString, settings.SqliteWriteQueue,
                settings.SqliteWriterConnection ? connectionSettings.Apply : null);
            builder.Services.AddSingleton<IInterceptor, SqlitePoolOpens>(); // (one open at a time: see there)
            builder.Services.AddSingleton<IInterceptor>(connectionSettings);
            if (queue is not null && settings.SqliteWriterConnection)
            {
                builder.Services.AddSingleton<IInterceptor, SqliteWriterStatements>();
                builder.Services.AddHostedService(_ => new SqliteWriterCloser(queue));
            }
            if (settings.SqliteCheckpointMilliseconds > 0)
                builder.Services.AddHostedService(sp => new SqliteCheckpointer(connectionString,
                    TimeSpan.FromMilliseconds(settings.SqliteCheckpointMilliseconds), sp.GetRequiredService<ILogger<SqliteCheckpointer>>()));
            builder.Services.AddDbContextPool<TaskHubDbContext, SqliteTaskHubDbContext>((sp, options) => options
                .UseSqlite(connectionString)
                .AddInterceptors(sp.GetServices<IInterceptor>()));
        }
        return builder;
    }

    /// <summary>True when the process was started as <c>TaskHub.Server migrate</c>.</summary>
    public static bool IsMigrateCommand(string[] args) => args.Any(a => a.Equals("migrate", StringComparison.OrdinalIgnoreCase));

    /// <summary>Applies pending migrations of whichever provider is configured.</summary>
    public static async Task MigrateTaskHubDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers proceed while one writer commits.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }

    /// <summary>Applies migrations at start where configured (the default for the embedded SQLite mode).</summary>
    public static async Task PrepareTaskHubDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var options = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value;
        if (options.MigrateOnStart ?? db.Database.IsSqlite())
        {
            await app.Services.MigrateTaskHubDatabaseAsync();
        }
    }
}

public static class WriteTransactions
{
    /// <summary>A write transaction. Read-committed on MariaDB so reads after a row lock (a board's seq) see what
    /// the previous holder committed. On SQLite (one writer at a time anyway) the writers of this process first
    /// queue in <see cref="SqliteWriteQueue"/>, so they wait their turn instead of polling SQLite's busy lock.</summary>
    public static async Task<IDbContextTransaction> BeginWriteAsync(this TaskHubDbContext db, CancellationToken ct)
    {
        // (its START TRANSACTION would commit the open one half-way)
        if (InlineTransaction.Of(db) is not null) throw new InvalidOperationException("The context is already in an inline transaction.");
        if (!db.OnSqlite) return await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
        var queue = SqliteWriteQueue.For(db.Database.GetConnectionString());
        if (queue is null) return await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct);
        await queue.EnterAsync(ct);
        string? own = null;
        try
        {
            own = OnWriter(db, queue);
            return new QueuedTransaction(await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.Serializable, ct), queue, db, own);
        }
        catch
        {
            Leave(db, queue, own);
            throw;
        }
    }

    /// <summary>Points the context at the queue's writer connection (<see cref="SqliteWriter"/>) for the write it begins
    /// in the queue's turn, unless there is none or the context's own connection is open (a caller opened it: its
    /// statements stay there). Returns the context's own connection string to go back to, or null when it stays.</summary>
    private static string? OnWriter(TaskHubDbContext db, SqliteWriteQueue queue)
    {
        if (queue.OpenWriter() is not { } writer) return null;
        var own = db.Database.GetConnectionString();
        try
        {
            db.Database.SetDbConnection(writer.Connection, contextOwnsConnection: false);
        }
        catch (InvalidOperationException)
        {
            return null; // EF refuses while the context's own connection is open, and changes nothing
        }
        return own;
    }

    /// <summary>Gives the context its own connection back (a new one, from the driver's pool on its first use: the one it
    /// had went with the swap), then lets the next writer in. A writer left inside a transaction is dropped first.
    /// The next writer is let in whatever fails here.</summary>
    private static void Leave(TaskHubDbContext db, SqliteWriteQueue queue, string? own)
    {
        try
        {
            if (own is null) return;
            try
            {
                db.Database.SetDbConnection(null, contextOwnsConnection: true);
            }
            catch
            {
                // (the swap first disposes a transaction still current on the context; when its rollback fails, the
                // context lets go of it without one, and the writer left in it is dropped below)
                db.Database.UseTransaction(null);
                db.Database.SetDbConnection(null, contextOwnsConnection: true);
            }
            db.Database.SetConnectionString(own);
        }
        finally
        {
            try
            {
                if (own is not null) queue.DropWriterIfInTransaction();
            }
            finally
            {
                queue.Leave();
            }
        }
    }

    /// <summary>
    /// Takes the board's seq lock (the row lock its writers queue on, <c>BoardStream</c>) in the caller's transaction,
    /// without moving the seq. For a setting that decides which outbox rows a write adds (an active webhook, a
    /// watcher): changed under the lock, it is seen by every write that commits after it, and a write that committed
    /// before it was written as it should have been then. (On SQLite writes are serialised anyway.) False when the board
    /// is gone (deleted meanwhile): there was nothing to lock.
    /// </summary>
    public static async Task<bool> LockBoardAsync(this TaskHubDbContext db, Guid boardId, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync($"UPDATE boards SET LastSeq = LastSeq WHERE Id = {boardId}", ct) > 0;

    /// <summary>
    /// Takes a person's row lock in the caller's transaction: what belongs to them alone (their sessions' refresh tokens,
    /// two-factor codes, calendar feed, inbox) is changed by one request at a time, each taking this lock first. On
    /// MariaDB two such requests otherwise locked the same rows in different orders (a row by its key, the rest through
    /// an index) or both passed a check before either inserted, and one got a deadlock (503) or a duplicate key (500).
    /// </summary>
    public static async Task<bool> LockUserAsync(this TaskHubDbContext db, Guid userId, CancellationToken ct) =>
        await db.Database.ExecuteSqlAsync($"UPDATE users SET Id = Id WHERE Id = {userId}", ct) > 0;

    /// <summary>
    /// The person's row in share mode, in the caller's transaction: the account cannot be deleted (its deletion takes the
    /// row's exclusive lock, <see cref="LockUserAsync"/>) until the transaction ends, while other transactions' foreign
    /// keys to the row (share locks too) go on. For a long write that adds rows naming the person and others (an import):
    /// with the exclusive lock, two people importing files that name each other would wait on each other's rows. False
    /// when the account is gone. (SQLite: writers are serialised anyway; only whether the row is there.)
    /// </summary>
    public static async Task<bool> ShareUserLockAsync(this TaskHubDbContext db, Guid userId, CancellationToken ct) =>
        (await db.SharePeopleLockAsync([userId], ct)).Count > 0;

    /// <summary>
    /// These people's rows in share mode (<see cref="ShareUserLockAsync"/> for one; by primary key, the row a foreign
    /// key's check locks): none of them can be deleted until the caller's transaction ends, so rows the caller
    /// then adds naming them (an import's members and assignees) do not meet a foreign key's failure. Returns those still
    /// there: an account deleted before is not. (SQLite: writers are serialised anyway; only which rows are there.)
    /// </summary>
    public static async Task<HashSet<Guid>> SharePeopleLockAsync(this TaskHubDbContext db, IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        var found = new HashSet<Guid>();
        foreach (var chunk in ids.Chunk(500))
        {
            // (The statement holds only the placeholders {0}, {1}, …: each id goes as a parameter.)
            var sql = "SELECT Id AS Value FROM users WHERE Id IN (" + string.Join(", ", chunk.Select((_, i) => "{" + i + "}")) + ")"
                      + (db.OnSqlite ? "" : " LOCK IN SHARE MODE");
            found.UnionWith(await db.Database.SqlQueryRaw<Guid>(sql, chunk.Cast<object>().ToArray()).ToListAsync(ct));
        }
        return found;
    }

    /// <summary>Saves the context's changes (to the person's own row) in a write transaction that first takes the person's
    /// lock (<see cref="LockUserAsync"/>). False, with nothing saved, when the account was deleted meanwhile (answered
    /// 404, not the "changed by someone else" of a save that finds no row).</summary>
    public static async Task<bool> SaveUnderUserLockAsync(this TaskHubDbContext db, Guid userId, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockUserAsync(userId, ct)) return false;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Saves the context's changes in a write transaction that first takes the board's seq lock (<see cref="LockBoardAsync"/>).</summary>
    public static async Task SaveUnderBoardLockAsync(this TaskHubDbContext db, Guid boardId, CancellationToken ct)
    {
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockBoardAsync(boardId, ct)) throw new TaskHub.Server.Infrastructure.GoneMeanwhileException("Board");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// The same, asking <paramref name="refusal"/> once the lock is taken: the caller's rights (or what the change
    /// works on), read again there, since another request that changes them takes the same lock. Returns the refusal
    /// with nothing saved (the transaction rolls back), or null when saved.
    /// </summary>
    public static async Task<T?> SaveUnderBoardLockAsync<T>(this TaskHubDbContext db, Guid boardId, Func<Task<T?>> refusal, CancellationToken ct)
        where T : class
    {
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockBoardAsync(boardId, ct)) throw new TaskHub.Server.Infrastructure.GoneMeanwhileException("Board");
        if (await refusal() is { } refused) return refused;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return null;
    }

    /// <summary>The transaction, which lets the next queued writer in once it is disposed (committed or not).</summary>
    private sealed class QueuedTransaction(IDbContextTransaction inner, SqliteWriteQueue queue, TaskHubDbContext db, string? own) : IDbContextTransaction
    {
        private int _released;

        public Guid TransactionId => inner.TransactionId;
        public void Commit() => inner.Commit();
        public Task CommitAsync(CancellationToken ct = default) => inner.CommitAsync(ct);
        public void Rollback() => inner.Rollback();
        public Task RollbackAsync(CancellationToken ct = default) => inner.RollbackAsync(ct);
        public bool SupportsSavepoints => inner.SupportsSavepoints;
        public void CreateSavepoint(string name) => inner.CreateSavepoint(name);
        public Task CreateSavepointAsync(string name, CancellationToken ct = default) => inner.CreateSavepointAsync(name, ct);
        public void RollbackToSavepoint(string name) => inner.RollbackToSavepoint(name);
        public Task RollbackToSavepointAsync(string name, CancellationToken ct = default) => inner.RollbackToSavepointAsync(name, ct);
        public void ReleaseSavepoint(string name) => inner.ReleaseSavepoint(name);
        public Task ReleaseSavepointAsync(string name, CancellationToken ct = default) => inner.ReleaseSavepointAsync(name, ct);

        public void Dispose()
        {
            try { inner.Dispose(); }
            finally { Release(); }
        }

        public async ValueTask DisposeAsync()
        {
            try { await inner.DisposeAsync(); }
            finally { Release(); }
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) Leave(db, queue, own);
        }
    }
}

/// <summary>
/// One queue of write transactions per SQLite database file in this process (<c>Database:SqliteWriteQueue</c>, on by
/// default). SQLite lets one writer in at a time; a writer that finds the lock taken is retried by the driver after
/// a sleep that blocks its thread, so 16 concurrent writers saw p99 over a second. Queued on an async semaphore,
/// each waits exactly until the previous one committed, without a thread.
/// </summary>
public sealed class SqliteWriteQueue
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SqliteWriteQueue?> Queues = new();
    private static readonly double[] Buckets = Prometheus.Histogram.ExponentialBuckets(0.0001, 2, 16); // 0.1 ms … 3.3 s

    /// <summary>How long a writer waited for the slot, and how long it held it (its transaction, begin to commit): the
    /// second is what every queued writer waits for in turn, so with 16 writers their latency is ~16 × it.</summary>
    public static readonly Prometheus.Histogram WaitSeconds = Prometheus.Metrics.CreateHistogram("taskhub_sqlite_write_wait_seconds",
        "Embedded mode: time a write transaction waited for SQLite's one writer slot.", new Prometheus.HistogramConfiguration { Buckets = Buckets });
    public static readonly Prometheus.Histogram HoldSeconds = Prometheus.Metrics.CreateHistogram("taskhub_sqlite_write_hold_seconds",
        "Embedded mode: time a write held SQLite's one writer slot (begin to commit).", new Prometheus.HistogramConfiguration { Buckets = Buckets });

    private readonly SemaphoreSlim _slot = new(1, 1);
    private readonly string _connectionString;
    private readonly Action<SqliteConnection>? _configureWriter;
    private SqliteWriter? _writer;
    private bool _closed;
    private int _waiting;

    private SqliteWriteQueue(string connectionString, Action<SqliteConnection>? configureWriter) =>
        (_connectionString, _configureWriter) = (connectionString, configureWriter);

    /// <summary>The one connection the queued write transactions run on (<see cref="SqliteWriter"/>) once the first has
    /// opened it; null when <c>Database:SqliteWriterConnection</c> is off or the app has stopped.</summary>
    public SqliteWriter? Writer => _writer;

    /// <summary><see cref="Writer"/>, opened at the first ask. Only the slot's holder asks.</summary>
    public SqliteWriter? OpenWriter()
    {
        if (_writer is null && !_closed && _configureWriter is not null)
        {
            _writer = new SqliteWriter(_connectionString, _configureWriter);
            Writers.AddOrUpdate(_writer.Connection, _writer);
        }
        return _writer;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SqliteConnection, SqliteWriter> Writers = new();

    /// <summary>The writer whose connection <paramref name="connection"/> is, if it is one.</summary>
    public static SqliteWriter? ForWriter(SqliteConnection connection) => Writers.TryGetValue(connection, out var writer) ? writer : null;

    /// <summary>Drops the writer when the write that just ended left it inside a transaction (a rollback that failed):
    /// every later write would fail on it. Closing it rolls back (it is not pooled: <see cref="SqliteWriter"/>); the next
    /// write opens a new one. Only the slot's holder calls.</summary>
    public void DropWriterIfInTransaction()
    {
        if (_writer is { } writer && (writer.Connection.Handle is not { } handle || SQLitePCL.raw.sqlite3_get_autocommit(handle) == 0))
            Retire(dispose: true);
    }

    private void Retire(bool dispose)
    {
        if (_writer is not { } writer) return;
        Writers.Remove(writer.Connection);
        _writer = null;
        if (dispose) writer.Dispose();
    }

    /// <summary>Closes the writer connection once the slot is free (the app is stopping); later writes use their own.</summary>
    public void CloseWriter(TimeSpan wait)
    {
        var entered = _slot.Wait(wait);
        try
        {
            _closed = true;
            Retire(dispose: entered); // (not entered: a write still runs on it, and the process is ending anyway)
        }
        finally
        {
            if (entered) _slot.Release();
        }
    }
    private long _heldSince; // the holder's Stopwatch timestamp (one holder at a time)

    /// <summary>Writers waiting for the slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public async Task EnterAsync(CancellationToken ct) => await EnterAsync(Timeout.InfiniteTimeSpan, ct);

    /// <summary>Waits for the slot at most <paramref name="timeout"/>; false when it did not get it.</summary>
    public async Task<bool> EnterAsync(TimeSpan timeout, CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        var asked = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return Entered(await _slot.WaitAsync(timeout, ct), asked);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public bool Enter(TimeSpan timeout) => Entered(_slot.Wait(timeout), System.Diagnostics.Stopwatch.GetTimestamp());

    private bool Entered(bool entered, long asked)
    {
        if (!entered) return false;
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        WaitSeconds.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(asked, now).TotalSeconds);
        Volatile.Write(ref _heldSince, now);
        return true;
    }

    public void Leave()
    {
        HoldSeconds.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _heldSince)).TotalSeconds);
        _slot.Release();
    }

    // Asked on every write and every save outside one: each connection string is parsed for its file once, not per ask.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SqliteWriteQueue?> ByConnectionString = new();

    /// <summary>Registers the database (at start): queued or not, and with <paramref name="configureWriter"/> (what a
    /// new connection gets) its queued writes on one writer connection (<see cref="Writer"/>), or without, on their own.</summary>
    public static SqliteWriteQueue? Configure(string connectionString, bool enabled, Action<SqliteConnection>? configureWriter = null)
    {
        var queue = enabled ? new SqliteWriteQueue(connectionString, configureWriter) : null;
        Queues[Key(connectionString)] = queue;
        ByConnectionString.Clear();
        return queue;
    }

    public static SqliteWriteQueue? For(string? connectionString) =>
        connectionString is null ? null
            : ByConnectionString.GetOrAdd(connectionString, static c => Queues.TryGetValue(Key(c), out var queue) ? queue : null);

    private static string Key(string connectionString) => new SqliteConnectionStringBuilder(connectionString).DataSource;
}

/// <summary>
/// A SaveChanges outside a write transaction (the outbox dispatcher's bookkeeping, a handler's rows, a token refresh)
/// takes its turn in <see cref="SqliteWriteQueue"/> too, so the background writers are not starved by the request
/// writers that queue (they would poll SQLite's lock in 150 ms sleeps and rarely find it free). It waits at most
/// SQLite's own busy timeout, then goes ahead unqueued, so a save nested inside another write never deadlocks.
/// </summary>
public sealed class SqliteWriteQueueInterceptor : ISaveChangesInterceptor
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    /// <summary>The slot this use of the context holds for a save; a save that never reached its end (another
    /// interceptor threw first) gives it back when the use ends.</summary>
    private sealed class Held : IContextUseState
    {
        public SqliteWriteQueue? Queue;

        public void Reset()
        {
            Queue?.Leave();
            Queue = null;
        }
    }

    private static SqliteWriteQueue? QueueFor(DbContext? context) =>
        context is not TaskHubDbContext { OnSqlite: true } || context.Database.CurrentTransaction is not null
            ? null
            : SqliteWriteQueue.For(context.Database.GetConnectionString());

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        if (QueueFor(eventData.Context) is { } queue && TaskHubDbContext.UseState<Held>(eventData.Context!) is { Queue: null } held
            && await queue.EnterAsync(MaxWait, ct)) held.Queue = queue;
        return result;
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (QueueFor(eventData.Context) is { } queue && TaskHubDbContext.UseState<Held>(eventData.Context!) is { Queue: null } held
            && queue.Enter(MaxWait)) held.Queue = queue;
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken ct = default)
    {
        Release(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Release(eventData.Context);
        return result;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => Release(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken ct = default)
    {
        Release(eventData.Context);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => Release(eventData.Context);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken ct = default)
    {
        Release(eventData.Context);
        return Task.CompletedTask;
    }

    private static void Release(DbContext? context)
    {
        if (context is TaskHubDbContext { OnSqlite: true }) TaskHubDbContext.UseState<Held>(context).Reset();
    }
}

/// <summary>
/// Sets <c>PRAGMA synchronous</c> (<see cref="DatabaseOptions.SqliteSynchronous"/>) and, when <see cref="SqliteCheckpointer"/>
/// runs, <c>wal_autocheckpoint = 0</c> once on each SQLite connection: the settings belong to the native connection,
/// which the driver's pool keeps open across <c>Open</c>/<c>Close</c>, so each is set the first time this process opens
/// it. With <c>Normal</c> in WAL mode a commit writes the log without an fsync, which otherwise every commit pays while
/// it holds the one writer slot; without the automatic checkpoint no commit copies the log into the database either.
/// </summary>
public sealed class SqliteConnectionSettings(SqliteSynchronousMode mode, bool backgroundCheckpoints) : DbConnectionInterceptor
{
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _set = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override async Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        if (Pending(connection) is { } command) await using (command) await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Sets them on <paramref name="connection"/> (open), as its first open through a context would.</summary>
    public void Apply(System.Data.Common.DbConnection connection)
    {
        if (Pending(connection) is { } command) using (command) command.ExecuteNonQuery();
    }

    private SqliteCommand? Pending(System.Data.Common.DbConnection connection)
    {
        if (connection is not SqliteConnection { Handle: { } handle } sqlite || !_set.TryAdd(handle, this)) return null;
        var command = sqlite.CreateCommand();
        command.CommandText = $"PRAGMA synchronous = {(int)mode};" + (backgroundCheckpoints ? " PRAGMA wal_autocheckpoint = 0;" : "");
        return command;
    }
}

/// <summary>
/// Copies the WAL into the database file in the background (<c>wal_checkpoint(PASSIVE)</c> on a connection of its own,
/// every <see cref="DatabaseOptions.SqliteCheckpointMilliseconds"/>): a passive checkpoint never blocks a writer or a
/// reader, and the writer that starts after a complete one rewinds the log. SQLite's own automatic checkpoint instead
/// runs inside the commit that crosses 1,000 pages — with its fsyncs, while that writer holds the slot every other
/// writer of the process queues for (<see cref="SqliteWriteQueue"/>).
/// </summary>
public sealed partial class SqliteCheckpointer(string connectionString, TimeSpan interval, ILogger<SqliteCheckpointer> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var connection = new SqliteConnection(connectionString);
                SqlitePoolOpens.Open(connection); // (from the contexts' pool: opened and closed as theirs are)
                try
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }
                finally
                {
                    SqlitePoolOpens.Close(connection);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failed(log, e); // the next tick tries again; the log only grows meanwhile
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A background WAL checkpoint failed.")]
    private static partial void Failed(ILogger logger, Exception e);
}
