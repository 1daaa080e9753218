using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MySqlConnector;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Idempotency;

/// <summary>The answer of a request whose change was saved with its key (<see cref="IdempotentRequest"/>).</summary>
public sealed record KeptAnswer(Guid UserId, string Key, int Status, string? Headers, string? Body);

/// <summary>
/// Stores the answers of keyed requests (<see cref="IdempotentAnswer"/>), several in one write (a group commit): the
/// first answer queued waits <see cref="IdempotencyOptions.AnswerBatchMilliseconds"/> for others, and the answers that
/// arrive while one batch is stored go in the next, so concurrent writers share one commit (one turn of SQLite's write
/// queue; on MariaDB one multi-row INSERT). One transaction each cost a keyed creation 1.8× the CPU of a plain one
/// (bench/README.md, "Twenty-sixth round"). The request does not wait for it: a repeat that comes before its answer is
/// kept hears 409 with <c>Retry-After</c>. When the host stops, the answers queued by then are stored first (it is
/// a hosted service, registered after the data services, so it stops before them). A batch that fails is stored again
/// one answer at a time; an answer that still fails is logged: its change was committed, and a repeat hears 409
/// (applied, answer not kept) once <see cref="IdempotencyKeys.StillRunning"/> has passed.
/// </summary>
public sealed class AnswerKeeper(IServiceScopeFactory scopes, IOptions<IdempotencyOptions> options, ILogger<AnswerKeeper> log) : IHostedService
{
    /// <summary>At most this many answers in one batch.</summary>
    public const int MaxBatch = 64;
    /// <summary>And about this many characters of them at most (MariaDB's packet limit is 16 MB by default; one answer
    /// may be up to <see cref="IdempotencyOptions.MaxStoredResponseBytes"/>).</summary>
    public const int MaxBatchChars = 4 << 20;

    private readonly Channel<KeptAnswer> _queue = Channel.CreateUnbounded<KeptAnswer>(new UnboundedChannelOptions { SingleReader = true });
    private int _storing;
    private Task _loop = Task.CompletedTask;
    private volatile bool _stopping;

    /// <summary>No answer queued or being stored (for tests).</summary>
    public bool Idle => Volatile.Read(ref _storing) == 0 && !_queue.Reader.TryPeek(out _);

    /// <summary>How many batches stored more than one answer (for tests: batching happened).</summary>
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
            // Gather: the answers of the requests that finish meanwhile share this transaction.
            if (options.Value.AnswerBatchMilliseconds > 0 && !_stopping)
                await Task.Delay(options.Value.AnswerBatchMilliseconds, CancellationToken.None);
            while (true)
            {
                for (var chars = 0; batch.Count < MaxBatch && chars < MaxBatchChars && _queue.Reader.TryRead(out var item); chars += item.Body?.Length ?? 0)
                    batch.Add(item);
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
            await StoreTogetherAsync(batch);
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
            try { await StoreTogetherAsync([answer]); }
            catch (Exception e) { log.LogError(e, "Could not keep the answer of a request sent with an Idempotency-Key; its change is applied, and a repeat will hear 409."); }
        }
    }

    private async Task StoreTogetherAsync(IReadOnlyList<KeptAnswer> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        if (db.OnSqlite)
        {
            // One turn of the write queue for the batch, one statement per answer, of one text: SQLite's writer keeps the
            // compiled statements of its first texts and never evicts, and a text per batch size would take places the
            // board writes' statements need. Each only while its key's row is there (see below).
            await using var tx = await db.BeginWriteAsync(CancellationToken.None);
            foreach (var answer in batch)
                await db.Database.ExecuteSqlRawAsync(InsertSql(1, guarded: true), ArgsOf([answer]), CancellationToken.None);
            await tx.CommitAsync(CancellationToken.None);
            return;
        }
        // MariaDB: the batch's answers in one multi-row INSERT (the server keeps no statement per text): half the
        // database's CPU per answer of one UPDATE each (bench/README.md, "Thirty-sixth round"). One statement is atomic on
        // its own, so no transaction around it: its begin and commit were two more round trips and statements a batch.
        var args = ArgsOf(batch);
        try { await db.Database.ExecuteSqlRawAsync(InsertSql(batch.Count, guarded: false), args, CancellationToken.None); }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.NoReferencedRow2)
        {
            // A key's row went between its commit and now (its account deleted meanwhile): nobody can send that key
            // again, so its answer is dropped, as the UPDATE of no row that kept answers before did, and the rest of
            // the batch is kept in one statement that inserts each answer only while its key's row is there.
            log.LogDebug(e, "An answer's key was deleted before its answer was kept; keeping the batch's others.");
            await db.Database.ExecuteSqlRawAsync(InsertSql(batch.Count, guarded: true), args, CancellationToken.None);
        }
    }

    /// <summary>The five values of each answer, in <see cref="InsertSql"/>'s placeholders' order (a null goes as NULL;
    /// DBNull does not map).</summary>
    private static object[] ArgsOf(IReadOnlyList<KeptAnswer> batch)
    {
        var args = new object?[batch.Count * 5];
        for (var i = 0; i < batch.Count; i++)
            (args[5 * i], args[5 * i + 1], args[5 * i + 2], args[5 * i + 3], args[5 * i + 4]) =
                (batch[i].UserId, batch[i].Key, batch[i].Status, batch[i].Headers, batch[i].Body);
        return args!;
    }

    private static readonly string?[] InsertSqls = new string?[MaxBatch + 1];
    private static readonly string?[] GuardedInsertSqls = new string?[MaxBatch + 1];

    /// <summary>The text of one INSERT of <paramref name="count"/> answers, each with its five placeholders (both
    /// providers); <paramref name="guarded"/>: each row only while its key's row is there.</summary>
    private static string InsertSql(int count, bool guarded)
    {
        const string into = "INSERT INTO idempotent_answers (UserId, `Key`, Status, Headers, Body) ";
        static string Values(int i) => $"{{{5 * i}}}, {{{5 * i + 1}}}, {{{5 * i + 2}}}, {{{5 * i + 3}}}, {{{5 * i + 4}}}";
        return guarded
            ? GuardedInsertSqls[count] ??= into + string.Join(" UNION ALL ", Enumerable.Range(0, count).Select(i =>
                $"SELECT {Values(i)} WHERE EXISTS (SELECT 1 FROM idempotent_requests WHERE UserId = {{{5 * i}}} AND `Key` = {{{5 * i + 1}}})"))
            : InsertSqls[count] ??= into + "VALUES " + string.Join(", ", Enumerable.Range(0, count).Select(i => $"({Values(i)})"));
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stores what is queued before the host's data services stop (bounded by the host's stop timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Volatile.Read(ref _loop).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (!_queue.Reader.TryPeek(out _) && Volatile.Read(ref _storing) == 0) return;
            StartIfIdle();
            await Task.Delay(10, CancellationToken.None);
        }
    }
}
