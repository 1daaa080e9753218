using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// Whether an access token's session (its refresh-token family) is alive: asked by every authenticated REST request
/// (<see cref="AuthExtensions"/>), so it asks the database each time (log-out and every other revocation end the
/// token at once, on every replica) but as cheaply as it can.
/// <para>Embedded (SQLite): one statement prepared once on a connection of this check's own, kept open — no
/// <see cref="TaskHubDbContext"/> resolved, no EF query pipeline, no pool open/close and no statement preparation per
/// request. In WAL mode each execution reads the last committed state (a revocation committed by any connection
/// before the request is seen). The statement, its table and column names and its parameters' types come from the
/// EF model, so values are bound exactly as EF binds them.</para>
/// <para>MariaDB: the compiled EF query on the request's context (which the endpoint uses anyway).</para>
/// </summary>
public sealed class SessionCheck(IServiceScopeFactory scopes) : IDisposable
{
    /// <summary>Prepared readers kept idle; a burst beyond this opens more and closes them after.</summary>
    private const int MaxIdleReaders = 8;

    private static readonly CompiledPerModel<Func<TaskHubDbContext, Guid, Guid, DateTime, CancellationToken, Task<bool>>> Compiled =
        new(() => EF.CompileAsyncQuery((TaskHubDbContext db, Guid familyId, Guid userId, DateTime now, CancellationToken ct) =>
            db.RefreshTokens.Any(t => t.FamilyId == familyId && t.UserId == userId && t.RevokedAt == null && t.ExpiresAt > now)));

    private readonly ConcurrentQueue<Reader> _idle = new();
    private int _idleCount;
    private SqliteStatement? _sqlite;
    private bool _resolved, _disposed;
    private readonly Lock _resolve = new();

    /// <summary>Why a token whose session is not alive is refused (the 401's description).</summary>
    public const string RevokedMessage = "The session was revoked.";

    /// <summary>The session is alive now (the request's <see cref="TimeProvider"/>): not revoked, not expired, and the user's.</summary>
    public Task<bool> AliveNowAsync(HttpContext http, Guid familyId, Guid userId, CancellationToken ct) =>
        AliveAsync(http, familyId, userId, http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, ct);

    /// <summary>The session is alive: not revoked, not expired, and the user's.</summary>
    public Task<bool> AliveAsync(HttpContext http, Guid familyId, Guid userId, DateTime now, CancellationToken ct)
    {
        if (Sqlite() is { } statement) return Task.FromResult(AliveOnSqlite(statement, familyId, userId, now));
        var db = http.RequestServices.GetRequiredService<TaskHubDbContext>();
        return Compiled.For(db)(db, familyId, userId, now, ct);
    }

    private bool AliveOnSqlite(SqliteStatement statement, Guid familyId, Guid userId, DateTime now)
    {
        if (_idle.TryDequeue(out var reader)) Interlocked.Decrement(ref _idleCount);
        else reader = new Reader(statement);
        bool alive;
        try
        {
            alive = reader.Alive(familyId, userId, now);
        }
        catch
        {
            reader.Dispose(); // a reader that failed is not reused
            throw;
        }
        if (Interlocked.Increment(ref _idleCount) <= MaxIdleReaders && !Volatile.Read(ref _disposed)) _idle.Enqueue(reader);
        else
        {
            Interlocked.Decrement(ref _idleCount);
            reader.Dispose();
        }
        return alive;
    }

    /// <summary>The SQLite statement, or null on MariaDB (or an in-memory database, which a connection of its own would not see).</summary>
    private SqliteStatement? Sqlite()
    {
        if (Volatile.Read(ref _resolved)) return _sqlite;
        lock (_resolve)
        {
            if (_resolved) return _sqlite;
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            if (db.Database.IsSqlite() && new SqliteConnectionStringBuilder(db.Database.GetConnectionString()) is var csb
                && csb.DataSource != ":memory:" && csb.Mode != SqliteOpenMode.Memory)
            {
                csb.Pooling = false; // its connections are its own, open for the process's life
                _sqlite = SqliteStatement.From(db.Model, csb.ToString());
            }
            Volatile.Write(ref _resolved, true);
            return _sqlite;
        }
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_idle.TryDequeue(out var reader)) reader.Dispose();
    }

    /// <summary>The check's SQL and how EF binds each of its parameters (type mapping and value converter).</summary>
    private sealed record SqliteStatement(string ConnectionString, string Sql, RelationalTypeMapping Guid, RelationalTypeMapping Time)
    {
        public static SqliteStatement From(IModel model, string connectionString)
        {
            var entity = model.FindEntityType(typeof(RefreshToken))!;
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            string Column(string property) => "\"" + entity.FindProperty(property)!.GetColumnName(table) + "\"";
            var sql = $"SELECT EXISTS (SELECT 1 FROM \"{table.Name}\" WHERE {Column(nameof(RefreshToken.FamilyId))} = @family " +
                      $"AND {Column(nameof(RefreshToken.UserId))} = @user AND {Column(nameof(RefreshToken.RevokedAt))} IS NULL " +
                      $"AND {Column(nameof(RefreshToken.ExpiresAt))} > @now)";
            return new SqliteStatement(connectionString, sql,
                entity.FindProperty(nameof(RefreshToken.FamilyId))!.GetRelationalTypeMapping(),
                entity.FindProperty(nameof(RefreshToken.ExpiresAt))!.GetRelationalTypeMapping());
        }
    }

    /// <summary>A connection with the statement prepared on it; used by one request at a time.</summary>
    private sealed class Reader : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _command;
        private readonly DbParameter _family, _user, _now;
        private readonly SqliteStatement _statement;

        public Reader(SqliteStatement statement)
        {
            _statement = statement;
            _connection = new SqliteConnection(statement.ConnectionString);
            try
            {
                _connection.Open();
                _command = _connection.CreateCommand();
                _command.CommandText = statement.Sql;
                _family = Add(statement.Guid, "@family", Guid.Empty);
                _user = Add(statement.Guid, "@user", Guid.Empty);
                _now = Add(statement.Time, "@now", DateTime.UnixEpoch);
                _command.Prepare();
            }
            catch
            {
                _connection.Dispose();
                throw;
            }
        }

        private DbParameter Add(RelationalTypeMapping mapping, string name, object value)
        {
            var parameter = mapping.CreateParameter(_command, name, ToProvider(mapping, value), nullable: false);
            _command.Parameters.Add(parameter);
            return parameter;
        }

        private static object? ToProvider(RelationalTypeMapping mapping, object value) =>
            mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value;

        public bool Alive(Guid familyId, Guid userId, DateTime now)
        {
            _family.Value = ToProvider(_statement.Guid, familyId);
            _user.Value = ToProvider(_statement.Guid, userId);
            _now.Value = ToProvider(_statement.Time, now);
            return Convert.ToInt64(_command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }

        public void Dispose()
        {
            _command.Dispose();
            _connection.Dispose();
        }
    }
}
