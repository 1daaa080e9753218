namespace TaskHub.Server.Data;

/// <summary>
/// "Which of these keys exist?" for many concurrent callers with few queries. A key asked while no query runs is looked
/// up at once, alone; keys asked while one runs wait and go together in the next one (a key already waiting is not asked
/// twice). So a quiet replica answers as fast as before, and a burst (thousands of hub connections after a replica
/// restart, each checking its session and its board membership) costs a handful of queries, not one per caller, and never
/// holds more than one database connection for them. Every answer comes from a read that started after it was asked.
/// (<see cref="ExistingAsync"/>, a sweep's all-at-once question, runs on a connection of its own.)
/// </summary>
public sealed class BatchedLookup<TKey>(IServiceScopeFactory scopes,
    Func<TaskHubDbContext, IReadOnlyCollection<TKey>, CancellationToken, Task<IReadOnlyCollection<TKey>>> existing, int maxBatch = 500) where TKey : notnull
{
    private readonly Lock _gate = new();
    private Dictionary<TKey, TaskCompletionSource<bool>> _waiting = [];
    private bool _running;
    private long _queries;

    /// <summary>Queries run so far (for tests and the bench).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    public Task<bool> ExistsAsync(TKey key, CancellationToken ct = default)
    {
        TaskCompletionSource<bool>? answer;
        var start = false;
        lock (_gate)
        {
            if (!_waiting.TryGetValue(key, out answer)) _waiting[key] = answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_running) _running = start = true;
        }
        if (start) _ = Task.Run(RunAsync, CancellationToken.None);
        return answer.Task.WaitAsync(ct);
    }

    /// <summary>Which of these keys exist, asked all at once (a sweep of everything open): one query per
    /// <c>maxBatch</c> keys, in one scope, without waiting for or joining the batches of single asks.</summary>
    public async Task<IReadOnlySet<TKey>> ExistingAsync(IReadOnlyCollection<TKey> keys, CancellationToken ct)
    {
        var found = new HashSet<TKey>();
        if (keys.Count == 0) return found;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        foreach (var chunk in keys.Chunk(maxBatch))
        {
            Interlocked.Increment(ref _queries);
            found.UnionWith(await existing(db, chunk, ct));
        }
        return found;
    }

    private async Task RunAsync()
    {
        while (true)
        {
            Dictionary<TKey, TaskCompletionSource<bool>> batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _running = false;
                    return;
                }
                if (_waiting.Count <= maxBatch) (batch, _waiting) = (_waiting, []);
                else
                {
                    batch = _waiting.Take(maxBatch).ToDictionary();
                    foreach (var key in batch.Keys) _waiting.Remove(key);
                }
            }
            try
            {
                Interlocked.Increment(ref _queries);
                await using var scope = scopes.CreateAsyncScope();
                var found = (await existing(scope.ServiceProvider.GetRequiredService<TaskHubDbContext>(), batch.Keys, CancellationToken.None)).ToHashSet();
                foreach (var (key, answer) in batch) answer.TrySetResult(found.Contains(key));
            }
            catch (Exception e)
            {
                foreach (var answer in batch.Values) answer.TrySetException(e);
            }
        }
    }
}
