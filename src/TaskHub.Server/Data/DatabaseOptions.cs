namespace TaskHub.Server.Data;

/// <summary>Settings under <c>Database</c>. The provider itself is chosen by which connection string is present.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Apply migrations when the server starts. Defaults to true on SQLite (embedded) and false on MySQL,
    /// where <c>dotnet TaskHub.Server.dll migrate</c> applies them once so replicas never race.</summary>
    public bool? MigrateOnStart { get; set; }

    /// <summary>The MariaDB/MySQL server version the SQL is generated for (no round trip to detect it).</summary>
    public string MySqlServerVersion { get; set; } = "10.11.0-mariadb";

    /// <summary>SQLite: this process's write transactions queue for the one writer slot instead of polling SQLite's
    /// busy lock (see <see cref="SqliteWriteQueue"/>). Off only to measure the difference.</summary>
    public bool SqliteWriteQueue { get; set; } = true;

    /// <summary>Embedded mode: the queued write transactions run on one connection that stays open, their statements
    /// compiled once (<see cref="SqliteWriter"/>). Off: each on a connection of its own from the driver's pool.</summary>
    public bool SqliteWriterConnection { get; set; } = true;

    /// <summary>SQLite's <c>synchronous</c> setting on every connection: <c>Normal</c> (the default) or <c>Full</c>.
    /// In WAL mode <c>Normal</c> syncs the log at checkpoints, not at every commit: a committed change survives a
    /// crash of the process (it is in the log file the moment the commit returns) but the last commits before a
    /// power loss or an OS crash may be lost; the database is never corrupted. <c>Full</c> syncs every commit.</summary>
    public SqliteSynchronousMode SqliteSynchronous { get; set; } = SqliteSynchronousMode.Normal;

    /// <summary>SQLite: how often (ms) a background checkpoint copies the WAL into the database file
    /// (<see cref="SqliteCheckpointer"/>); the connections then never checkpoint themselves, so no commit waits for
    /// one while it holds the writer slot. 0 = SQLite's own checkpoint, run by the commit that crosses 1,000 pages.</summary>
    public int SqliteCheckpointMilliseconds { get; set; } = 200;

    /// <summary>MariaDB: a board write's transaction begins in the seq statement's batch and a creation commits in its
    /// save's batch (<see cref="InlineTransaction"/>: two round trips instead of four). On by default. The thirteenth round
    /// turned it off after a reconnect-storm run held a board's lock past the 30 s command timeout
    /// (bench/results/20261203T0543Z.txt); the fourteenth round found the cause — a request cancelled while a batch of
    /// several statements ran, stopped midway by the driver's KILL QUERY, left the driver waiting for results that never
    /// came, with the driver's transaction too (README, "Cancelled writes") — and mended it for both; false takes the
    /// driver's begin and commit.</summary>
    public bool InlineWriteTransactions { get; set; } = true;
}

public enum SqliteSynchronousMode { Normal = 1, Full = 2 }
