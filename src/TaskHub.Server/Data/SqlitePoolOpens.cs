using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TaskHub.Server.Data;

/// <summary>
/// Embedded mode: the connections taken from Microsoft.Data.Sqlite's pool are opened one at a time (every context's,
/// through this interceptor, and <see cref="SqliteCheckpointer"/>'s). The pool hands out a connection outside its lock
/// and marks it in use before it records its new owner; an open that meanwhile finds the pool empty (at start, after a
/// burst, after the driver pruned idle connections) takes a connection in use without an owner for a leaked one, puts it
/// back and is lent it too: two owners on one native connection (dotnet/efcore#39008; the same code in 10.0 and 11.0).
/// Each context registers EF's functions (<c>regexp</c>, the decimal <c>ef_*</c>) on it at open and un-registers them
/// at close, which SQLite refuses while the other owner's statement runs: SQLite error 5, "unable to delete/modify
/// user-function due to active statements", from <c>Open</c> or from the close that returns it to the pool
/// (<c>SqlitePoolTests</c>). One open at a time, no open finds another half-lent. Closes go through the same gate: a
/// close clears the owner before it marks the connection free, the same gap the other way round (a review's trace; not
/// reproduced). An open or close holds the gate for microseconds (a pooled handle; a new one opens the file; a close
/// un-registers EF's functions), and runs no SQL in it. Paired against no gate, embedded writes cost the same (bench/README.md,
/// thirty-fourth round).
/// </summary>
public sealed class SqlitePoolOpens : DbConnectionInterceptor
{
    private static readonly Lock Gate = new();

    /// <summary>Opens <paramref name="connection"/> in the gate.</summary>
    public static void Open(SqliteConnection connection)
    {
        lock (Gate) connection.Open();
    }

    /// <summary>Closes <paramref name="connection"/> (returns it to the pool) in the gate.</summary>
    public static void Close(SqliteConnection connection)
    {
        lock (Gate) connection.Close();
    }

    /// <summary>Empties the pool of <paramref name="connectionString"/> in the gate (a clear, too, takes connections in
    /// use without an owner for leaked ones).</summary>
    public static void ClearPool(string connectionString)
    {
        using var connection = new SqliteConnection(connectionString);
        lock (Gate) SqliteConnection.ClearPool(connection);
    }

    public override InterceptionResult ConnectionOpening(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
        OpenInGate(connection, result);

    // (Microsoft.Data.Sqlite's OpenAsync opens synchronously too)
    public override ValueTask<InterceptionResult> ConnectionOpeningAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result,
        CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(OpenInGate(connection, result));
    }

    public override InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
        CloseInGate(connection, result);

    public override ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
        ValueTask.FromResult(CloseInGate(connection, result));

    private static InterceptionResult CloseInGate(DbConnection connection, InterceptionResult result)
    {
        if (result.IsSuppressed || connection is not SqliteConnection sqlite) return result;
        Close(sqlite);
        return InterceptionResult.Suppress(); // (closed: EF goes on as after its own close)
    }

    private static InterceptionResult OpenInGate(DbConnection connection, InterceptionResult result)
    {
        if (result.IsSuppressed || connection is not SqliteConnection sqlite) return result;
        Open(sqlite);
        return InterceptionResult.Suppress(); // (opened: EF goes on as after its own open)
    }
}
