using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Idempotency;

/// <summary>The answer of a request whose change was saved with its key (<see cref="IdempotentRequest"/>).</summary>
public sealed record KeptAnswer(Guid UserId, string Key, int Status, string? Headers, string? Body);

/// <summary>
/// Stores the answers of keyed requests, several in one write transaction: the answers that arrive while one
/// transaction runs go in the next (a group commit), so concurrent writers share one transaction (one turn of SQLite's
/// write queue), where one each cost a keyed creation 1.8× the CPU of a plain one (bench/README.md, "Twenty-sixth
/// round"). The request does not wait for it. A store that fails is logged: the change was committed, and a repeat
/// hears 409 (applied, answer not kept) once <see cref="IdempotencyKeys.StillRunning"/> has passed.
/// </summary>
public sealed class AnswerKeeper(IServiceScopeFactory scopes, ILogger<AnswerKeeper> log)
{
    /// <summary>At most this many answers in one transaction.</summary>
    public const int MaxBatch = 64;

    private readonly Channel<(KeptAnswer Answer, TaskCompletionSource Kept)> _queue =
        Channel.CreateUnbounded<(KeptAnswer, TaskCompletionSource)>(new UnboundedChannelOptions { SingleReader = true });
    private int _storing;

    /// <summary>Completes once <paramref name="answer"/> is stored (or its store failed, logged).</summary>
    public Task KeepAsync(KeptAnswer answer)
    {
        var kept = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Writer.TryWrite((answer, kept));
        // One store loop at a time, started by whoever finds none running; it ends when the queue is empty.
        if (Interlocked.CompareExchange(ref _storing, 1, 0) == 0) _ = Task.Run(StoreAllAsync);
        return kept.Task;
    }

    private async Task StoreAllAsync()
    {
        var batch = new List<(KeptAnswer Answer, TaskCompletionSource Kept)>(MaxBatch);
        while (true)
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item)) batch.Add(item);
            if (batch.Count == 0)
            {
                Volatile.Write(ref _storing, 0);
                // (an answer queued after the read above and before the write found the loop running: take it on)
                if (!_queue.Reader.TryPeek(out _) || Interlocked.CompareExchange(ref _storing, 1, 0) != 0) return;
                continue;
            }
            try
            {
                await StoreAsync(batch);
            }
            catch (Exception e)
            {
                log.LogError(e, "Could not keep the answers of {Count} requests sent with an Idempotency-Key; their changes are applied, and a repeat will hear 409.", batch.Count);
            }
            foreach (var (_, kept) in batch) kept.TrySetResult();
            batch.Clear();
        }
    }

    private async Task StoreAsync(List<(KeptAnswer Answer, TaskCompletionSource Kept)> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        // All the batch's updates in one command: one round trip, where one each cost a keyed write on MariaDB 1.8× the
        // CPU of a plain one (bench/README.md, "Twenty-sixth round").
        var sql = new StringBuilder();
        var values = new List<object>(batch.Count * 5);
        string Value(object? value)
        {
            if (value is null) return "NULL"; // (a raw parameter cannot be null: EF needs its type)
            values.Add(value);
            return $"{{{values.Count - 1}}}";
        }
        foreach (var ((userId, key, status, headers, body), _) in batch)
            sql.Append(CultureInfo.InvariantCulture,
                $"UPDATE idempotent_requests SET Status = {Value(status)}, Headers = {Value(headers)}, Body = {Value(body)} WHERE UserId = {Value(userId)} AND `Key` = {Value(key)};\n");
        await using var tx = await db.BeginWriteAsync(CancellationToken.None);
        await db.Database.ExecuteSqlRawAsync(sql.ToString(), values, CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }
}
