using StackExchange.Redis;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// The two presence stores (the embedded one in memory, the scaled-out one in real Redis) answer alike: a user
/// arrives with their first live connection and leaves with their last, expired entries count for nothing and are
/// pruned, and a user's connections are listed apart from the others'.
/// </summary>
public sealed class PresenceStoreTests
{
    public static TheoryData<string> Stores => ["memory", "redis"];

    private static async Task<(IPresenceStore Store, IAsyncDisposable? Redis)> StoreAsync(string kind)
    {
        if (kind == "memory") return (new InProcessPresenceStore(), null);
        var redis = await ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);
        return (new RedisPresenceStore(redis), redis);
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task AUserArrivesWithTheFirstConnectionAndLeavesWithTheLast(string kind)
    {
        var (store, redis) = await StoreAsync(kind);
        await using var _ = redis;
        var board = Guid.NewGuid();
        Guid ada = Guid.NewGuid(), bob = Guid.NewGuid();
        var later = DateTimeOffset.UtcNow.AddMinutes(1);

        Assert.True(await store.AddAsync(board, "a1", ada, later));
        Assert.False(await store.AddAsync(board, "a2", ada, later)); // a second tab: nobody new
        Assert.True(await store.AddAsync(board, "b1", bob, later));
        Assert.False(await store.AddAsync(board, "a1", ada, later.AddMinutes(1))); // a refresh
        Assert.Equal(new[] { ada, bob }.Order(), (await store.UsersAsync(board, DateTimeOffset.UtcNow)).Order());
        Assert.Equal(["a1", "a2"], (await store.ConnectionsOfAsync(board, ada, DateTimeOffset.UtcNow)).Order());
        Assert.Empty(await store.UsersAsync(Guid.NewGuid(), DateTimeOffset.UtcNow)); // another board

        Assert.False(await store.RemoveAsync(board, "a1", ada)); // ada still has a2
        Assert.False(await store.RemoveAsync(board, "a1", ada)); // not there any more
        Assert.True(await store.RemoveAsync(board, "a2", ada));
        Assert.Equal([bob], await store.UsersAsync(board, DateTimeOffset.UtcNow));
    }

    [Theory, MemberData(nameof(Stores))]
    public async Task ExpiredEntriesCountForNothingAndArePruned(string kind)
    {
        var (store, redis) = await StoreAsync(kind);
        await using var _ = redis;
        var board = Guid.NewGuid();
        Guid ada = Guid.NewGuid(), bob = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        Assert.True(await store.AddAsync(board, "a1", ada, now.AddMilliseconds(-1))); // its replica stopped refreshing it
        Assert.True(await store.AddAsync(board, "a2", ada, now.AddMinutes(1))); // an expired entry is no presence
        await store.RefreshAsync(board, [("b1", bob), ("b2", bob)], now.AddMilliseconds(-1));
        Assert.Equal([ada], await store.UsersAsync(board, now));
        Assert.Empty(await store.ConnectionsOfAsync(board, bob, now));
        Assert.True(await store.AddAsync(board, "b3", bob, now.AddMinutes(1))); // bob's other entries had expired

        Assert.True(await store.PruneAsync(board, now));
        Assert.False(await store.PruneAsync(board, now)); // nothing left to prune
        Assert.Equal(["a2"], await store.ConnectionsOfAsync(board, ada, now.AddMinutes(-1))); // a1 is gone, not just hidden
        Assert.Equal(["b3"], await store.ConnectionsOfAsync(board, bob, now.AddMinutes(-1)));
    }
}
