using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Catch-up reads for <see cref="BoardHub.JoinBoard"/>, coalesced per board: while one read of a board's events is in
/// flight, every join of that board whose afterSeq is at or beyond the read's start waits for it and takes its part of
/// the page, instead of querying the event log itself. After a replica restart thousands of clients rejoin the same
/// boards from nearly the same seq within a second or two; each would otherwise run the same query and turn the same
/// rows into events again. A join behind the read in flight (a lower afterSeq) starts its own, which later joins share.
/// A shared page may be a little older than the join; the head the join sends after joining the group shows what
/// came since, as it always did.
/// A read that reaches the end of the log also reads the board's last seq (<c>Head</c>), so that a join claiming to
/// be further on than the board is (an afterSeq from a stale or forged client, or from before a database restore)
/// starts the replica's line at the board's real head, not at the seq the client named.
/// </summary>
public sealed class CatchUpReads(IServiceScopeFactory scopes)
{
    private sealed record Flight(long After, Task<Read> Page);

    private sealed record Read(List<BoardEventDto> Events, long? Head);

    private readonly ConcurrentDictionary<Guid, Flight> _flights = new();

    /// <summary>Database reads started (the rest of the pages were shared): for tests and the bench.</summary>
    public long Reads => Interlocked.Read(ref _reads);
    private long _reads;

    /// <summary>The board's events after <paramref name="after"/>, ascending; <c>More</c> when the log may hold more
    /// beyond them. When it holds no more, <c>Head</c> is the board's last seq, read after the events (null: the board
    /// is gone).</summary>
    public async Task<(IReadOnlyList<BoardEventDto> Events, bool More, long? Head)> PageAsync(Guid boardId, long after, int pageSize, CancellationToken ct)
    {
        if (_flights.TryGetValue(boardId, out var flight) && flight.After <= after)
        {
            var (page, head) = await flight.Page.WaitAsync(ct);
            var full = page.Count >= pageSize;
            var from = page.FindIndex(e => e.Seq > after);
            if (from >= 0) return (page.GetRange(from, page.Count - from), full, head);
            if (!full) return ([], false, head);
            // the shared page ended before our seq: read our own
        }
        var mine = new Flight(after, ReadAsync(boardId, after, pageSize));
        if (flight is null ? _flights.TryAdd(boardId, mine) : _flights.TryUpdate(boardId, mine, flight))
            _ = mine.Page.ContinueWith(_ => _flights.TryRemove(new KeyValuePair<Guid, Flight>(boardId, mine)), TaskScheduler.Default);
        var read = await mine.Page.WaitAsync(ct);
        return (read.Events, read.Events.Count >= pageSize, read.Head);
    }

    private async Task<Read> ReadAsync(Guid boardId, long after, int pageSize)
    {
        await Task.Yield(); // register the flight before the query starts
        Interlocked.Increment(ref _reads);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var rows = await db.BoardEvents.AsNoTracking().Where(e => e.BoardId == boardId && e.Seq > after)
            .OrderBy(e => e.Seq).Take(pageSize).ToListAsync();
        // The end of the log: the board's head too (committed with its last event, so never below what was just read).
        long? head = rows.Count >= pageSize ? null
            : await db.Boards.Where(b => b.Id == boardId).Select(b => (long?)b.LastSeq).FirstOrDefaultAsync();
        return new Read(rows.ConvertAll(BoardEventDto.From), head);
    }
}
