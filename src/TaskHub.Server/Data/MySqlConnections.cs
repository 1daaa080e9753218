using MySqlConnector;

namespace TaskHub.Server.Data;

/// <summary>
/// How TaskHub takes MariaDB connections from MySqlConnector's pool.
/// <para>Without a reset: by default the driver resets a pooled connection each time it is taken (COM_RESET_CONNECTION
/// and SET NAMES, one round trip), which a request paid up to three times (the session check, the endpoint's read, the
/// write's transaction) and the outbox dispatcher on every poll. TaskHub leaves no session state on a connection for a
/// later use to find: no session variables, temporary tables or named locks; every transaction sets its isolation level
/// when it begins; and the driver rolls back a transaction still open when a connection is closed (a board write's
/// <see cref="InlineTransaction"/>, which the driver does not know of, is rolled back by its owner, or its connection dropped). Measured in
/// bench/README.md (seventh round). A connection string that sets <c>Connection Reset</c> itself is left as it is.</para>
/// <para>Without the reset nothing checks a pooled connection before it is used, so one whose server side has gone (a
/// restart, a failover, a killed session) fails on first use: <see cref="ForgetPoolIfBroken"/> then drops the pool, so
/// the other connections opened before it are not handed out again.</para>
/// </summary>
public static class MySqlConnections
{
    /// <summary>The configured connection string with <c>Connection Reset=false</c>, unless it sets that itself.</summary>
    public static string WithoutResetUnlessSet(string configured)
    {
        var csb = new MySqlConnectionStringBuilder(configured);
        if (!csb.ContainsKey("Connection Reset")) csb.ConnectionReset = false;
        return csb.ConnectionString;
    }

    /// <summary>Whether <paramref name="x"/> itself (not its inner exceptions) says a connection to the server is gone:
    /// the server closed it (end of stream, a socket error under a driver error; or the driver's own end-of-stream
    /// exception unwrapped, as <c>BeginTransaction</c> on a pooled connection whose server has gone throws it) or cannot
    /// be reached.</summary>
    public static bool IsBroken(Exception x) =>
        x is MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost or MySqlErrorCode.ServerShutdown }
            or MySqlException { InnerException: IOException or System.Net.Sockets.SocketException }
            or MySqlEndOfStreamException;

    /// <summary>When <paramref name="e"/> (anywhere in its chain) says a connection is gone, the pooled connections
    /// (opened before, so likely gone too) are closed instead of being handed out; connections in use are closed when
    /// given back. Every pool of the process: the provider adds options of its own to the connection string, which names
    /// the pool, and a TaskHub process talks to one database. (On SQLite no exception is a MySqlException: nothing happens.)</summary>
    public static bool ForgetPoolIfBroken(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (!IsBroken(x)) continue;
            MySqlConnection.ClearAllPools();
            return true;
        }
        return false;
    }
}
