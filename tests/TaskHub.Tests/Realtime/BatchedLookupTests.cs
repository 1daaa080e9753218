using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>Session and membership checks of a burst of hub connections and joins share few queries.</summary>
public sealed class BatchedLookupTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    [Fact]
    public async Task KeysAskedWhileAQueryRunsGoTogetherInTheNextAndEachGetsItsOwnAnswer()
    {
        var firstRuns = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var asked = new List<IReadOnlyCollection<int>>();
        var lookup = new BatchedLookup<int>(app.Services.GetRequiredService<IServiceScopeFactory>(), async (_, keys, _) =>
        {
            lock (asked) asked.Add([.. keys]);
            firstRuns.TrySetResult();
            await release.Task;
            return keys.Where(k => k % 2 == 0).ToList();
        });

        var first = lookup.ExistsAsync(0);
        await firstRuns.Task; // the first key's query is running
        var burst = Enumerable.Range(1, 50).Select(k => lookup.ExistsAsync(k % 25 + 1)).ToArray(); // 25 keys, each asked twice
        release.SetResult();

        Assert.True(await first);
        var answers = await Task.WhenAll(burst);
        Assert.Equal(Enumerable.Range(1, 50).Select(k => (k % 25 + 1) % 2 == 0), answers);
        Assert.Equal(2, lookup.Queries);
        Assert.Equal(25, asked[1].Count);
    }

    [Fact]
    public async Task AJoinBurstOfManyMembersAndASessionBurstTakeFewerQueriesThanCallers()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var memberships = app.Services.GetRequiredService<HubMemberships>();
        var sessions = app.Services.GetRequiredService<HubSessionChecks>();
        var (m0, s0) = (memberships.Queries, sessions.Queries);

        var members = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => memberships.IsMemberAsync(board, i == 0 ? ada.Id : Guid.NewGuid(), CancellationToken.None)));
        var alive = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => sessions.AliveAsync(Guid.NewGuid(), ada.Id, CancellationToken.None)));

        Assert.Equal([true, .. Enumerable.Repeat(false, 39)], members);
        Assert.All(alive, Assert.False);
        Assert.InRange(memberships.Queries - m0, 1, 39);
        Assert.InRange(sessions.Queries - s0, 1, 39);
    }
}
