using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TaskHub.Server.Data;

/// <summary>
/// Embedded mode's one writer connection (<see cref="SqliteWriteQueue.Writer"/>): the write transactions of the process
/// (<c>BeginWriteAsync</c>: every board write, the outbox's claims) run on it in the queue's turn, and it stays open.
/// So the statements a write sends again and again (the seq statement, the inserts of a task and its event) are compiled
/// once: Microsoft.Data.Sqlite keeps a command's compiled statements while its text and connection stay the same, but EF
/// makes a new command per execution and a pooled connection's close drops them all (dotnet/efcore#14044, statement
/// caching, is open). Parsing took ~11 % of an embedded write's CPU, most of it while the write held the slot every
/// other writer waits for (bench/README.md, "Sixteenth round"; the result: "Twenty-fourth round"). Its page cache also
/// stays warm between the writes: only the saves outside those transactions commit on other connections.
/// <para>The connection is not EF's, so it lacks the functions EF registers on its own (<c>regexp</c>, the decimal
/// <c>ef_*</c>): no query of the model needs them (<c>SqliteWriteQueueTests</c> fails when a decimal property appears).</para>
/// </summary>
public sealed class SqliteWriter : IDisposable
{
    /// <summary>At most this many statement texts are kept compiled (an insert's text varies with the rows a save
    /// batches); later texts run uncached.</summary>
    public const int MaxStatements = 128;

    private readonly Dictionary<string, KeptCommand> _kept = new(StringComparer.Ordinal);

    public SqliteWriter(string connectionString, Action<SqliteConnection> configure)
    {
        // Not pooled: it stays open anyway, and its close must really close the native connection, so that a writer
        // dropped inside a transaction is rolled back (a pooled handle would go back to the pool still in it).
        Connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        try
        {
            Connection.Open();
            configure(Connection);
        }
        catch
        {
            Connection.Dispose();
            throw;
        }
    }

    /// <summary>The open connection. Only the holder of the queue's slot uses it.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>Statements run here with the compiled form kept from an earlier run.</summary>
    public long Reused { get; private set; }

    /// <summary>
    /// The command to run in place of <paramref name="command"/> (EF's, with its text, transaction and parameters set):
    /// the kept command of the same text, with <paramref name="command"/>'s parameters and transaction moved to it, or
    /// <paramref name="command"/> itself when it is not on this connection, or its text is not kept and no room is left.
    /// </summary>
    public DbCommand Use(DbCommand command)
    {
        if (!ReferenceEquals(command.Connection, Connection) || command.CommandType != CommandType.Text) return command;
        if (!_kept.TryGetValue(command.CommandText, out var kept))
        {
            if (_kept.Count >= MaxStatements) return command;
            kept = new KeptCommand(Connection.CreateCommand());
            kept.Inner.CommandText = command.CommandText;
            _kept.Add(command.CommandText, kept);
        }
        else if (kept.InUse) return command; // (the same text again while its reader is open: EF's own command)
        else Reused++;
        kept.Take(command);
        command.Dispose(); // (never compiled: its text was only set)
        return kept;
    }

    public void Dispose()
    {
        foreach (var kept in _kept.Values) kept.Inner.Dispose();
        _kept.Clear();
        Connection.Dispose();
    }

    /// <summary>
    /// A kept <see cref="SqliteCommand"/> lent to EF for one execution. EF disposes the command it ran; that returns it
    /// here instead of dropping its compiled statements.
    /// </summary>
    private sealed class KeptCommand(SqliteCommand inner) : DbCommand
    {
        public SqliteCommand Inner { get; } = inner;
        public bool InUse { get; private set; }

        public void Take(DbCommand from)
        {
            Inner.Parameters.Clear();
            var parameters = new SqliteParameter[from.Parameters.Count];
            from.Parameters.CopyTo(parameters, 0);
            from.Parameters.Clear();
            Inner.Parameters.AddRange(parameters);
            Inner.Transaction = (SqliteTransaction?)from.Transaction;
            Inner.CommandTimeout = from.CommandTimeout;
            InUse = true;
        }

        [AllowNull]
        public override string CommandText
        {
            get => Inner.CommandText;
            set { if (value != Inner.CommandText) throw new InvalidOperationException("A kept writer statement's text does not change."); }
        }

        public override int CommandTimeout { get => Inner.CommandTimeout; set => Inner.CommandTimeout = value; }
        public override CommandType CommandType { get => Inner.CommandType; set => Inner.CommandType = value; }
        public override bool DesignTimeVisible { get => Inner.DesignTimeVisible; set => Inner.DesignTimeVisible = value; }
        public override UpdateRowSource UpdatedRowSource { get => Inner.UpdatedRowSource; set => Inner.UpdatedRowSource = value; }

        protected override DbConnection? DbConnection
        {
            get => Inner.Connection;
            set { if (!ReferenceEquals(value, Inner.Connection)) throw new InvalidOperationException("A kept writer statement stays on the writer connection."); }
        }

        protected override DbParameterCollection DbParameterCollection => Inner.Parameters;
        protected override DbTransaction? DbTransaction { get => Inner.Transaction; set => Inner.Transaction = (SqliteTransaction?)value; }

        public override void Cancel() => Inner.Cancel();
        public override int ExecuteNonQuery() => Inner.ExecuteNonQuery();
        public override object? ExecuteScalar() => Inner.ExecuteScalar();
        public override void Prepare() => Inner.Prepare();
        protected override DbParameter CreateDbParameter() => Inner.CreateParameter();
        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Inner.ExecuteReader(behavior);

        protected override void Dispose(bool disposing)
        {
            // Back to the writer: the parameters and transaction go, the compiled statements stay.
            if (disposing && InUse)
            {
                Inner.Parameters.Clear();
                Inner.Transaction = null;
                InUse = false;
            }
        }
    }
}

/// <summary>Lends EF the writer connection's kept command for each statement it runs there (<see cref="SqliteWriter.Use"/>).</summary>
public sealed class SqliteWriterStatements : DbCommandInterceptor
{
    public override DbCommand CommandInitialized(CommandEndEventData eventData, DbCommand result) =>
        result.Connection is SqliteConnection connection && SqliteWriteQueue.ForWriter(connection) is { } writer ? writer.Use(result) : result;
}

/// <summary>Closes this app's writer connection when it stops (<see cref="SqliteWriteQueue.CloseWriter"/>).</summary>
public sealed class SqliteWriterCloser(SqliteWriteQueue queue) : IHostedService
{
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

    public Task StopAsync(CancellationToken ct)
    {
        queue.CloseWriter(TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }
}
