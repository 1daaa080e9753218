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

        var pages = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => reads.PageAsync(board, i % 4, 1000, CancellationToken.None)));

        Assert.Equal(1, reads.Reads);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(Seqs(i % 4), pages[i].Events.Select(e => e.Seq));
            Assert.False(pages[i].More);
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
