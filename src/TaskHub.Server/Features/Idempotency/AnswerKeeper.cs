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
/// round"). The request does not wait for it. When the host stops, the answers queued by then are stored first (it is
/// a hosted service, registered after the data services, so it stops before them). A batch that fails is stored again
/// one answer at a time; an answer that still fails is logged: its change was committed, and a repeat hears 409
/// (applied, answer not kept) once <see cref="IdempotencyKeys.StillRunning"/> has passed.
/// </summary>
public sealed class AnswerKeeper(IServiceScopeFactory scopes, ILogger<AnswerKeeper> log) : IHostedService
{
    /// <summary>At most this many answers in one transaction.</summary>
    public const int MaxBatch = 64;

    private readonly Channel<KeptAnswer> _queue = Channel.CreateUnbounded<KeptAnswer>(new UnboundedChannelOptions { SingleReader = true });
    private int _storing;
    private Task _loop = Task.CompletedTask;

    /// <summary>How many transactions stored more than one answer (for tests: batching happened).</summary>
    public int SharedTransactions => Volatile.Read(ref _shared);
    private int _shared;

    /// <summary>Queues <paramref name="answer"/> to be stored.</summary>
    public void Keep(KeptAnswer answer)
    {
        _queue.Writer.TryWrite(answer);
        StartIfIdle();
    }

    private void StartIfIdle()
    {
        // One store loop at a time, started by whoever finds none running; it ends when the queue is empty.
        if (Interlocked.CompareExchange(ref _storing, 1, 0) == 0) _loop = Task.Run(StoreAllAsync);
    }

    private async Task StoreAllAsync()
    {
        var batch = new List<KeptAnswer>(MaxBatch);
        try
        {
            while (true)
            {
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item)) batch.Add(item);
                if (batch.Count == 0) return;
                await StoreAsync(batch);
                batch.Clear();
            }
        }
        finally
        {
            // A full fence before the queue is read again: an answer queued after the last read found the flag set, and
            // is taken on here.
            Interlocked.Exchange(ref _storing, 0);
            if (_queue.Reader.TryPeek(out _)) StartIfIdle();
        }
    }

    private async Task StoreAsync(List<KeptAnswer> batch)
    {
        try
        {
            await StoreInOneTransactionAsync(batch);
            if (batch.Count > 1) Interlocked.Increment(ref _shared);
            return;
        }
        catch (Exception e) when (batch.Count > 1)
        {
            log.LogWarning(e, "Could not keep {Count} answers together; keeping them one at a time.", batch.Count);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not keep the answer of a request sent with an Idempotency-Key; its change is applied, and a repeat will hear 409.");
            return;
        }
        foreach (var answer in batch)
        {
            try { await StoreInOneTransactionAsync([answer]); }
            catch (Exception e) { log.LogError(e, "Could not keep the answer of a request sent with an Idempotency-Key; its change is applied, and a repeat will hear 409."); }
        }
    }

    private async Task StoreInOneTransactionAsync(IReadOnlyList<KeptAnswer> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        await using var tx = await db.BeginWriteAsync(CancellationToken.None);
        // One statement per answer, of one text (SQLite's writer keeps a few compiled texts, first come: one text takes
        // one place). Putting a batch's updates in one command measured no better on MariaDB (bench/README.md).
        foreach (var (userId, key, status, headers, body) in batch)
            await db.Database.ExecuteSqlAsync(
                $"UPDATE idempotent_requests SET Status = {status}, Headers = {headers}, Body = {body} WHERE UserId = {userId} AND `Key` = {key}",
                CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stores what is queued before the host's data services stop (bounded by the host's stop timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await Volatile.Read(ref _loop).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!_queue.Reader.TryPeek(out _) && Volatile.Read(ref _storing) == 0) return;
            StartIfIdle();
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
