using System.Data.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace TaskHub.Tests.Infrastructure;

/// <summary>
/// Runs a step once, right after the first read whose command matches, inside the request that ran it (the request
/// waits for the step): a race made to happen at one chosen point instead of hoped for in a loop.
/// </summary>
public sealed class AfterCommandHook : DbCommandInterceptor
{
    private sealed record Armed(Func<DbCommand, bool> Match, Func<Task> Step);
    private Armed? _armed;

    public void Arm(Func<DbCommand, bool> match, Func<Task> step) => Volatile.Write(ref _armed, new Armed(match, step));

    public void Disarm() => Volatile.Write(ref _armed, null);

    /// <summary>Whether the command is a SELECT on <paramref name="table"/> whose text or parameters name every one of
    /// <paramref name="values"/> (ids as the provider sends them: text, or 16 bytes).</summary>
    public static bool Reads(DbCommand command, string table, params object[] values)
    {
        var text = command.CommandText;
        if (!text.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || !text.Contains(table, StringComparison.OrdinalIgnoreCase)) return false;
        var all = text + "|" + string.Join("|", command.Parameters.Cast<DbParameter>().Select(p => p.Value switch
        {
            byte[] { Length: 16 } b => new Guid(b).ToString(),
            var v => v?.ToString(),
        }));
        return values.All(v => all.Contains(v.ToString()!, StringComparison.OrdinalIgnoreCase));
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _armed) is { } armed && armed.Match(command) && Interlocked.CompareExchange(ref _armed, null, armed) == armed)
            await armed.Step();
        return result;
    }
}

/// <summary>SQLite with an <see cref="AfterCommandHook"/>.</summary>
public sealed class HookedSqliteApplication : SqliteApplication
{
    public AfterCommandHook Hook { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(Hook));
    }
}

/// <summary>MariaDB with an <see cref="AfterCommandHook"/>.</summary>
public sealed class HookedMariaDbApplication : MariaDbApplication
{
    public AfterCommandHook Hook { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(Hook));
    }
}
