using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>Joins of one board that catch up at the same time share one read of its event log.</summary>
public sealed class CatchUpReadsTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    private async Task<Guid> BoardWithFiveEventsAsync()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        for (var i = 0; i < 5; i++) await ada.CreateTaskAsync(board, new { title = $"t{i}" });
        return board;
    }

    private CatchUpReads NewReads() => new(app.Services.GetRequiredService<IServiceScopeFactory>());

    private static long[] Seqs(long after) => Enumerable.Range((int)after + 1, 5 - (int)after).Select(s => (long)s).ToArray();

    [Fact]
    public async Task ConcurrentCatchUpsFromTheSameOrALaterSeqShareOneRead()
    {
        var board = await BoardWithFiveEventsAsync();
        var reads = NewReads();

        // All 20 ask before the read starts (it starts after a yield, which HeldPosts keeps until they have asked): the
        // read itself takes well under a millisecond here, so without the hold a late ask could find it already done.
        var held = new HeldPosts();
        Task<(IReadOnlyList<TaskHub.Server.Features.Tasks.BoardEventDto> Events, bool More, long? Head)>[] asks;
        SynchronizationContext.SetSynchronizationContext(held);
        try
        {
            asks = Enumerable.Range(0, 20).Select(i => reads.PageAsync(board, i % 4, 1000, CancellationToken.None)).ToArray();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(null);
        }
        held.Release();
        var pages = await Task.WhenAll(asks);

        Assert.Equal(1, reads.Reads);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(Seqs(i % 4), pages[i].Events.Select(e => e.Seq));
            Assert.False(pages[i].More);
            Assert.Equal(5, pages[i].Head); // the end of the log: the board's head, from the one read
        }
    }

    [Fact]
    public async Task AJoinBehindTheReadInFlightReadsForItselfAndPagesGoOnPastTheSharedOne()
    {
        var board = await BoardWithFiveEventsAsync();
        var reads = NewReads();

        var later = reads.PageAsync(board, 3, 1000, CancellationToken.None);
        var earlier = reads.PageAsync(board, 1, 1000, CancellationToken.None);
        Assert.Equal(Seqs(3), (await later).Events.Select(e => e.Seq));
        Assert.Equal(Seqs(1), (await earlier).Events.Select(e => e.Seq));
        Assert.Equal(2, reads.Reads);

        var first = reads.PageAsync(board, 0, 2, CancellationToken.None);
        var beyond = reads.PageAsync(board, 2, 2, CancellationToken.None); // the shared page (seqs 1-2) ends before it
        Assert.Equal([1L, 2L], (await first).Events.Select(e => e.Seq));
        Assert.True((await first).More);
        Assert.Equal([3L, 4L], (await beyond).Events.Select(e => e.Seq));
        Assert.Equal(4, reads.Reads);
    }
}

/// <summary>A synchronization context that keeps what is posted to it until <see cref="Release"/>, then runs it (and
/// whatever is posted later) on the thread pool.</summary>
internal sealed class HeldPosts : SynchronizationContext
{
    private readonly List<(SendOrPostCallback Callback, object? State)> _held = [];
    private bool _released;

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (_held)
        {
            if (!_released)
            {
                _held.Add((d, state));
                return;
            }
        }
        ThreadPool.QueueUserWorkItem(_ => d(state));
    }

    public void Release()
    {
        lock (_held) _released = true;
        foreach (var (callback, state) in _held) ThreadPool.QueueUserWorkItem(_ => callback(state));
    }
}
