using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace TaskHub.Server.Data;

/// <summary>
/// An EF compiled query (<see cref="EF.CompileAsyncQuery{TContext,TResult}(System.Linq.Expressions.Expression{Func{TContext,CancellationToken,TResult}})"/>)
/// per context type. A compiled query skips EF's per-call cache lookup (hashing the LINQ expression tree), which on
/// the hot reads costs more than the read itself; but it binds to the model of the first context that runs it, and
/// the two providers' contexts have different models (one process runs both in the tests).
/// </summary>
public sealed class CompiledPerProvider<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConcurrentDictionary<Type, TQuery> _byContextType = new();

    public TQuery For(DbContext db) => _byContextType.GetOrAdd(db.GetType(), static (_, compile) => compile(), compile);
}
