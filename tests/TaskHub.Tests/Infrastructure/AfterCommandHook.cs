using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

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

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _armed) is { } armed && armed.Match(command) && Interlocked.CompareExchange(ref _armed, null, armed) == armed)
            await armed.Step();
        return result;
    }
}
