using System.Collections.Concurrent;
using StackExchange.Redis;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Who has which board open, shared by every replica. Each entry is one connection on one board and
/// expires unless its replica refreshes it, so the viewers of a replica that died disappear by themselves.
/// </summary>
public interface IPresenceStore
{
    /// <summary>Adds or refreshes an entry; true when the board's set of users changed.</summary>
    Task<bool> AddAsync(Guid boardId, string connectionId, Guid userId, DateTimeOffset expires);
    /// <summary>Removes an entry; true when the board's set of users changed.</summary>
    Task<bool> RemoveAsync(Guid boardId, string connectionId, Guid userId);
    /// <summary>Drops expired entries; true when the board's set of users changed.</summary>
    Task<bool> PruneAsync(Guid boardId, DateTimeOffset now);
    Task<IReadOnlyList<Guid>> UsersAsync(Guid boardId, DateTimeOffset now);
    Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid boardId, Guid userId, DateTimeOffset now);
}

internal static class PresenceEntry
{
    public static string Of(string connectionId, Guid userId) => $"{userId:N}|{connectionId}";
    public static Guid User(string entry) => Guid.ParseExact(entry.AsSpan(0, 32), "N");
    public static string Connection(string entry) => entry[33..];
}

/// <summary>Presence in Redis: a sorted set per board, member "user|connection", score = expiry (unix ms).</summary>
public sealed class RedisPresenceStore(IConnectionMultiplexer redis) : IPresenceStore
{
    private static RedisKey Key(Guid boardId) => $"taskhub:presence:{boardId:N}";
    private IDatabase Db => redis.GetDatabase();

    public async Task<bool> AddAsync(Guid boardId, string connectionId, Guid userId, DateTimeOffset expires)
    {
        var key = Key(boardId);
        var before = await UsersAsync(boardId, DateTimeOffset.UtcNow);
        await Db.SortedSetAddAsync(key, PresenceEntry.Of(connectionId, userId), expires.ToUnixTimeMilliseconds());
        await Db.KeyExpireAsync(key, expires.UtcDateTime.AddMinutes(1));
        return !before.Contains(userId);
    }

    public async Task<bool> RemoveAsync(Guid boardId, string connectionId, Guid userId)
    {
        if (!await Db.SortedSetRemoveAsync(Key(boardId), PresenceEntry.Of(connectionId, userId))) return false;
        return !(await UsersAsync(boardId, DateTimeOffset.UtcNow)).Contains(userId);
    }

    public async Task<bool> PruneAsync(Guid boardId, DateTimeOffset now) =>
        await Db.SortedSetRemoveRangeByScoreAsync(Key(boardId), double.NegativeInfinity, now.ToUnixTimeMilliseconds()) > 0;

    public async Task<IReadOnlyList<Guid>> UsersAsync(Guid boardId, DateTimeOffset now) =>
        (await Live(boardId, now)).Select(PresenceEntry.User).Distinct().ToList();

    public async Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid boardId, Guid userId, DateTimeOffset now) =>
        (await Live(boardId, now)).Where(e => PresenceEntry.User(e) == userId).Select(PresenceEntry.Connection).ToList();

    private async Task<IEnumerable<string>> Live(Guid boardId, DateTimeOffset now) =>
        (await Db.SortedSetRangeByScoreAsync(Key(boardId), now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start))
        .Select(v => v.ToString());
}

/// <summary>Presence for the embedded single-process mode (one replica: its memory is the shared store).</summary>
public sealed class InProcessPresenceStore : IPresenceStore
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, DateTimeOffset>> _boards = new();

    private ConcurrentDictionary<string, DateTimeOffset> Board(Guid id) => _boards.GetOrAdd(id, _ => new());

    public Task<bool> AddAsync(Guid boardId, string connectionId, Guid userId, DateTimeOffset expires)
    {
        var had = Users(boardId, DateTimeOffset.UtcNow).Contains(userId);
        Board(boardId)[PresenceEntry.Of(connectionId, userId)] = expires;
        return Task.FromResult(!had);
    }

    public Task<bool> RemoveAsync(Guid boardId, string connectionId, Guid userId)
    {
        if (!Board(boardId).TryRemove(PresenceEntry.Of(connectionId, userId), out _)) return Task.FromResult(false);
        return Task.FromResult(!Users(boardId, DateTimeOffset.UtcNow).Contains(userId));
    }

    public Task<bool> PruneAsync(Guid boardId, DateTimeOffset now)
    {
        var removed = false;
        foreach (var (entry, expires) in Board(boardId))
            if (expires <= now) removed |= Board(boardId).TryRemove(entry, out _);
        return Task.FromResult(removed);
    }

    public Task<IReadOnlyList<Guid>> UsersAsync(Guid boardId, DateTimeOffset now) => Task.FromResult<IReadOnlyList<Guid>>(Users(boardId, now));

    public Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid boardId, Guid userId, DateTimeOffset now) =>
        Task.FromResult<IReadOnlyList<string>>(Board(boardId).Where(kv => kv.Value > now && PresenceEntry.User(kv.Key) == userId)
            .Select(kv => PresenceEntry.Connection(kv.Key)).ToList());

    private List<Guid> Users(Guid boardId, DateTimeOffset now) =>
        Board(boardId).Where(kv => kv.Value > now).Select(kv => PresenceEntry.User(kv.Key)).Distinct().ToList();
}
