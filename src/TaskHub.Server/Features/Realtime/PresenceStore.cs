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
    /// <summary>Extends many entries of one board at once (the periodic refresh of a replica's own connections).</summary>
    Task RefreshAsync(Guid boardId, IReadOnlyCollection<(string ConnectionId, Guid UserId)> entries, DateTimeOffset expires);
}

internal static class PresenceEntry
{
    public static string Of(string connectionId, Guid userId) => $"{userId:N}|{connectionId}";
    public static Guid User(string entry) => Guid.ParseExact(entry.AsSpan(0, 32), "N");
    public static string Connection(string entry) => entry[33..];
}

/// <summary>
/// Presence in Redis: a sorted set per board (member "user|connection", score = expiry in unix ms) for the
/// board's list, and one per board and user (member = connection) so that "did this user just arrive or
/// leave?" costs one count, not a read of the whole board, however many people watch it.
/// </summary>
public sealed class RedisPresenceStore(IConnectionMultiplexer redis) : IPresenceStore
{
    private static RedisKey Key(Guid boardId) => $"taskhub:presence:{boardId:N}";
    private static RedisKey UserKey(Guid boardId, Guid userId) => $"taskhub:presence:{boardId:N}:u:{userId:N}";
    private IDatabase Db => redis.GetDatabase();

    private Task<long> LiveConnectionsOfAsync(Guid boardId, Guid userId, DateTimeOffset now) =>
        Db.SortedSetLengthAsync(UserKey(boardId, userId), now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);

    public async Task<bool> AddAsync(Guid boardId, string connectionId, Guid userId, DateTimeOffset expires)
    {
        var had = await LiveConnectionsOfAsync(boardId, userId, DateTimeOffset.UtcNow) > 0;
        await RefreshAsync(boardId, [(connectionId, userId)], expires);
        return !had;
    }

    public async Task<bool> RemoveAsync(Guid boardId, string connectionId, Guid userId)
    {
        var removed = await Db.SortedSetRemoveAsync(Key(boardId), PresenceEntry.Of(connectionId, userId));
        await Db.SortedSetRemoveAsync(UserKey(boardId, userId), connectionId);
        return removed && await LiveConnectionsOfAsync(boardId, userId, DateTimeOffset.UtcNow) == 0;
    }

    public async Task<bool> PruneAsync(Guid boardId, DateTimeOffset now)
    {
        var cutoff = now.ToUnixTimeMilliseconds();
        var expired = await Db.SortedSetRangeByScoreAsync(Key(boardId), double.NegativeInfinity, cutoff);
        if (expired.Length == 0) return false;
        await Db.SortedSetRemoveRangeByScoreAsync(Key(boardId), double.NegativeInfinity, cutoff);
        foreach (var entry in expired.Select(e => e.ToString()))
            await Db.SortedSetRemoveAsync(UserKey(boardId, PresenceEntry.User(entry)), PresenceEntry.Connection(entry));
        return true;
    }

    public async Task<IReadOnlyList<Guid>> UsersAsync(Guid boardId, DateTimeOffset now) =>
        (await Db.SortedSetRangeByScoreAsync(Key(boardId), now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start))
        .Select(v => PresenceEntry.User(v.ToString())).Distinct().ToList();

    public async Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid boardId, Guid userId, DateTimeOffset now) =>
        (await Db.SortedSetRangeByScoreAsync(UserKey(boardId, userId), now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start))
        .Select(v => v.ToString()).ToList();

    public async Task RefreshAsync(Guid boardId, IReadOnlyCollection<(string ConnectionId, Guid UserId)> entries, DateTimeOffset expires)
    {
        if (entries.Count == 0) return;
        var score = expires.ToUnixTimeMilliseconds();
        var keyExpiry = expires.UtcDateTime.AddMinutes(1);
        var batch = Db.CreateBatch();
        var writes = new List<Task>
        {
            batch.SortedSetAddAsync(Key(boardId), entries.Select(e => new SortedSetEntry(PresenceEntry.Of(e.ConnectionId, e.UserId), score)).ToArray()),
            batch.KeyExpireAsync(Key(boardId), keyExpiry),
        };
        foreach (var user in entries.GroupBy(e => e.UserId))
        {
            writes.Add(batch.SortedSetAddAsync(UserKey(boardId, user.Key), user.Select(e => new SortedSetEntry(e.ConnectionId, score)).ToArray()));
            writes.Add(batch.KeyExpireAsync(UserKey(boardId, user.Key), keyExpiry));
        }
        batch.Execute();
        await Task.WhenAll(writes);
    }
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

    public Task RefreshAsync(Guid boardId, IReadOnlyCollection<(string ConnectionId, Guid UserId)> entries, DateTimeOffset expires)
    {
        foreach (var (connectionId, userId) in entries) Board(boardId)[PresenceEntry.Of(connectionId, userId)] = expires;
        return Task.CompletedTask;
    }

    private List<Guid> Users(Guid boardId, DateTimeOffset now) =>
        Board(boardId).Where(kv => kv.Value > now).Select(kv => PresenceEntry.User(kv.Key)).Distinct().ToList();
}
