using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Data;

/// <summary>
/// The one DbContext. Provider-specific subclasses exist only so that each provider keeps its own
/// migrations (EF binds a migration to a context type); the model is the same. Contexts are pooled
/// (<c>AddDbContextPool</c>): one instance serves many requests in turn, so its interceptors are singletons and keep
/// what they track during one use on the context itself (<see cref="UseState{T}"/>), reset when that use ends.
/// </summary>
public abstract class TaskHubDbContext(DbContextOptions options) : DbContext(options)
{
    private Dictionary<Type, IContextUseState>? _useState;
    private bool? _onSqlite;
    private bool _changesDetectedForSave;

    public DbSet<User> Users => Set<User>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<Board> Boards => Set<Board>();
    public DbSet<BoardMember> BoardMembers => Set<BoardMember>();
    public DbSet<TaskItem> Tasks => Set<TaskItem>();
    public DbSet<BoardEvent> BoardEvents => Set<BoardEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(TaskHubDbContext).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every DateTime we store is UTC; read it back as UTC so it serialises with a trailing "Z".
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    /// <summary>Whether the context runs on SQLite (else MariaDB), asked once per instance: EF's <c>IsSqlite()</c> reads
    /// the provider's assembly name (<c>Assembly.GetName()</c>, twice) on every call, and a write asks several times
    /// (0.4–1.3 % of a creation's CPU in the thirteenth round's profiles, <c>bench/results/20261203T0429Z-writes-profile.txt</c>).
    /// A pooled instance keeps its options, so the answer holds for its life.</summary>
    public bool OnSqlite => _onSqlite ??= Database.IsSqlite();

    /// <summary>The <typeparamref name="T"/> an interceptor keeps for this use of the context (one request's or one job's
    /// scope), made on first ask and reset — not dropped, so a pooled context allocates it once — when the use ends.</summary>
    public T UseState<T>() where T : class, IContextUseState, new()
    {
        _useState ??= [];
        if (!_useState.TryGetValue(typeof(T), out var state)) _useState[typeof(T)] = state = new T();
        return (T)state;
    }

    /// <summary><see cref="UseState{T}"/> of a context an interceptor was handed (every context here is a TaskHubDbContext).</summary>
    public static T UseState<T>(DbContext context) where T : class, IContextUseState, new() =>
        ((TaskHubDbContext)context).UseState<T>();

    /// <summary>Called by <see cref="DetectChangesOnce"/>, the first interceptor of every save: detects the save's changes
    /// (unless the caller switched detection off) and lets the interceptors after it read the entries without detecting
    /// again. Called again at the next save's start, so a save that failed in an interceptor leaves nothing behind.</summary>
    internal static void DetectChangesForSave(DbContext? context)
    {
        if (context is not TaskHubDbContext db) return;
        db._changesDetectedForSave = false;
        if (!db.ChangeTracker.AutoDetectChangesEnabled) return;
        db.ChangeTracker.DetectChanges();
        db._changesDetectedForSave = true;
    }

    /// <summary>Called when a save has ended (saved, failed in EF's save, or cancelled). A save that failed in an
    /// interceptor or in EF's own detection does not get here; its flag stays until the next save's first interceptor
    /// sets it again, which is harmless while every reader of <see cref="SavingEntries{T}"/> runs after that one.</summary>
    internal static void SaveEnded(DbContext? context)
    {
        if (context is TaskHubDbContext db) db._changesDetectedForSave = false;
    }

    /// <summary>The tracked entries of <typeparamref name="T"/>, for an interceptor of a save that is starting: without
    /// detecting changes again when the save has just detected them (<see cref="DetectChangesOnce"/>).</summary>
    public static IEnumerable<EntityEntry<T>> SavingEntries<T>(DbContext context) where T : class
    {
        var tracker = context.ChangeTracker;
        if (context is not TaskHubDbContext { _changesDetectedForSave: true } || !tracker.AutoDetectChangesEnabled) return tracker.Entries<T>();
        tracker.AutoDetectChangesEnabled = false; // (Entries() detects when it is called, not as it is enumerated)
        try { return tracker.Entries<T>(); }
        finally { tracker.AutoDetectChangesEnabled = true; }
    }

    // A use ends when its scope disposes the context: pooled, that returns it to the pool (the scope disposes the
    // context before the lease it came from, so nothing else holds it yet); unpooled, it is the end of its life.
    public override void Dispose()
    {
        EndUse();
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        EndUse();
        return base.DisposeAsync();
    }

    private void EndUse()
    {
        if (_useState is null) return;
        foreach (var state in _useState.Values) state.Reset();
    }
}

/// <summary>What an interceptor tracks during one use of a <see cref="TaskHubDbContext"/>; <see cref="Reset"/> when the
/// use ends gives back whatever a use that never reached its end still holds.</summary>
public interface IContextUseState
{
    void Reset();
}

public sealed class SqliteTaskHubDbContext(DbContextOptions<SqliteTaskHubDbContext> options) : TaskHubDbContext(options);

public sealed class MySqlTaskHubDbContext(DbContextOptions<MySqlTaskHubDbContext> options) : TaskHubDbContext(options)
{
    /// <summary>A save is not cancelled midway on MariaDB: MySqlConnector stops a cancelled command with KILL QUERY, and a
    /// save's batch of several statements stopped that way has left the driver waiting, with no timeout, for results the
    /// server never sent — its transaction open and its rows locked until the process ended (README, "Cancelled writes").
    /// A save is short; a request cancelled before it starts still stops before it.</summary>
    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<int>(cancellationToken);
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, CancellationToken.None);
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        // Positions compare byte-wise (as SQLite's default BINARY collation does), not case-insensitively.
        modelBuilder.Entity<TaskItem>().Property(t => t.Position).HasCharSet("ascii").UseCollation("ascii_bin");
        modelBuilder.Entity<ChecklistItem>().Property(i => i.Position).HasCharSet("ascii").UseCollation("ascii_bin");
        // Idempotency keys are case-sensitive, as the header's value (a client's "a1" and "A1" are two requests).
        modelBuilder.Entity<IdempotentRequest>().Property(r => r.Key).HasCharSet("ascii").UseCollation("ascii_bin");
        modelBuilder.Entity<IdempotentAnswer>().Property(a => a.Key).HasCharSet("ascii").UseCollation("ascii_bin");
        // Search (Features/Tasks/Search.cs): InnoDB FULLTEXT, maintained by the engine with each transaction.
        modelBuilder.Entity<TaskItem>().HasIndex(t => new { t.Title, t.Description }).IsFullText();
        modelBuilder.Entity<TaskItem>().HasIndex(t => t.Title).IsFullText(); // so a title match can rank higher
        modelBuilder.Entity<Comment>().HasIndex(c => c.Body).IsFullText();
        // Each board's newest rows first (ids are UUIDv7): the recent-rows search (Features/Tasks/SearchRecent.cs).
        modelBuilder.Entity<TaskItem>().HasIndex(t => new { t.BoardId, t.Id });
        modelBuilder.Entity<Comment>().HasIndex(c => new { c.BoardId, c.Id });
    }
}

internal sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
