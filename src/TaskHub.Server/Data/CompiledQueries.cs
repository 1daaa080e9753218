using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace TaskHub.Server.Data;

/// <summary>
/// An EF compiled query (<see cref="EF.CompileAsyncQuery{TContext,TResult}(System.Linq.Expressions.Expression{Func{TContext,CancellationToken,TResult}})"/>)
/// per model. A compiled query skips EF's per-call cache lookup (hashing the LINQ expression tree), which on the hot
/// reads costs more than the read itself; but it binds to the model of the first context that runs it, and throws for
/// a context of another model. The two providers' contexts have different models, and so would two contexts of one
/// provider whose options differ in what EF builds its services from (one process runs many hosts in the tests).
/// </summary>
public sealed class CompiledPerModel<TQuery> where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _byModel = new();
    private readonly ConditionalWeakTable<IModel, TQuery>.CreateValueCallback _compile;

    public CompiledPerModel(Func<TQuery> compile) => _compile = _ => compile();

    public TQuery For(DbContext db) => _byModel.GetValue(db.Model, _compile);
}
