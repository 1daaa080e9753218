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
    /// <summary>Drops every entry of a board (it was deleted).</summary>
    Task ClearAsync(Guid boardId);
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

    /// <summary>Queues on <paramref name="batch"/> the count of the user's live connections on the board.</summary>
    private static Task<long> QueueLiveCount(IBatch batch, Guid boardId, Guid userId, DateTimeOffset now) =>
        batch.SortedSetLengthAsync(UserKey(boardId, userId), now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);

    // A join and a leave are each one round trip: their commands go in one batch, which Redis runs in order, so the
    // count read before the add (or after the removes) is what it would have been read alone. (Two and three round trips
    // before, each awaited in turn: on a replica taking thousands of reconnects at once, every await waits its turn in
    // the thread pool's queue.) Every command's task is awaited, so none fails unobserved.
    public async Task<bool> AddAsync(Guid boardId, string connectionId, Guid userId, DateTimeOffset expires)
    {
        var batch = Db.CreateBatch();
        var had = QueueLiveCount(batch, boardId, userId, DateTimeOffset.UtcNow);
        var writes = QueueRefresh(batch, boardId, [(connectionId, userId)], expires);
        batch.Execute();
        await Task.WhenAll([had, .. writes]);
        return had.Result == 0;
    }

    public async Task<bool> RemoveAsync(Guid boardId, string connectionId, Guid userId)
    {
        var batch = Db.CreateBatch();
        var removed = batch.SortedSetRemoveAsync(Key(boardId), PresenceEntry.Of(connectionId, userId));
        var removedOwn = batch.SortedSetRemoveAsync(UserKey(boardId, userId), connectionId);
        var left = QueueLiveCount(batch, boardId, userId, DateTimeOffset.UtcNow);
        batch.Execute();
        await Task.WhenAll(removed, removedOwn, left);
        return removed.Result && left.Result == 0;
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
        var batch = Db.CreateBatch();
        var writes = QueueRefresh(batch, boardId, entries, expires);
        batch.Execute();
        await Task.WhenAll(writes);
    }

    public async Task ClearAsync(Guid boardId)
    {
        var users = (await Db.SortedSetRangeByRankAsync(Key(boardId))).Select(e => PresenceEntry.User(e.ToString())).Distinct();
        await Db.KeyDeleteAsync([Key(boardId), .. users.Select(u => UserKey(boardId, u))]);
    }

    /// <summary>Queues on <paramref name="batch"/> the writes that add or extend <paramref name="entries"/> (the board's
    /// set and each user's, and their keys' expiry).</summary>
    private static List<Task> QueueRefresh(IBatch batch, Guid boardId, IReadOnlyCollection<(string ConnectionId, Guid UserId)> entries, DateTimeOffset expires)
    {
        var score = expires.ToUnixTimeMilliseconds();
        var keyExpiry = expires.UtcDateTime.AddMinutes(1);
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
        return writes;
    }
}

/// <summary>
/// Presence for the embedded single-process mode (one replica: its memory is the shared store). Like the Redis store
/// it keeps each board's entries by user, so "did this user just arrive or leave?" looks at that user's connections
/// only: a join no longer reads the whole board (5,000 viewers joining one board read 12.5 M entries, a fifth of the
/// replica's CPU while they connected; bench/README.md, "Connect profile").
/// </summary>
public sealed class InProcessPresenceStore : IPresenceStore
{
    /// <summary>Per board, per user, that user's connections with their expiry; each board's map is used under its own lock.</summary>
    private readonly ConcurrentDictionary<Guid, Dictionary<Guid, Dictionary<string, DateTimeOffset>>> _boards = new();

    private Dictionary<Guid, Dictionary<string, DateTimeOffset>> Board(Guid id) => _boards.GetOrAdd(id, _ => []);

    /// <summary>The user's connections on the board, added empty when it has none (call under the board's lock).</summary>
    private static Dictionary<string, DateTimeOffset> ConnectionsOf(Dictionary<Guid, Dictionary<string, DateTimeOffset>> board, Guid userId)
    {
        if (!board.TryGetValue(userId, out var connections)) board[userId] = connections = [];
        return connections;
    }

    private static bool AnyLive(Dictionary<string, DateTimeOffset> connections, DateTimeOffset now)
    {
        foreach (var expires in connections.Values)
            if (expires > now) return true;
        return false;
    }

    public Task<bool> AddAsync(Guid boardId, string connectionId, Guid userId, DateTimeOffset expires)
    {
        var board = Board(boardId);
        lock (board)
        {
            var connections = ConnectionsOf(board, userId);
            var had = AnyLive(connections, DateTimeOffset.UtcNow);
            connections[connectionId] = expires;
            return Task.FromResult(!had);
        }
    }

    public Task<bool> RemoveAsync(Guid boardId, string connectionId, Guid userId)
    {
        var board = Board(boardId);
        lock (board)
        {
            if (!board.TryGetValue(userId, out var connections) || !connections.Remove(connectionId)) return Task.FromResult(false);
            if (connections.Count == 0) board.Remove(userId);
            return Task.FromResult(!AnyLive(connections, DateTimeOffset.UtcNow));
        }
    }

    public Task<bool> PruneAsync(Guid boardId, DateTimeOffset now)
    {
        var board = Board(boardId);
        var removed = false;
        lock (board)
        {
            foreach (var (userId, connections) in board)
            {
                foreach (var (connectionId, expires) in connections)
                    if (expires <= now) removed |= connections.Remove(connectionId);
                if (connections.Count == 0) board.Remove(userId);
            }
        }
        return Task.FromResult(removed);
    }

    public Task<IReadOnlyList<Guid>> UsersAsync(Guid boardId, DateTimeOffset now)
    {
        var board = Board(boardId);
        lock (board) return Task.FromResult<IReadOnlyList<Guid>>(board.Where(u => AnyLive(u.Value, now)).Select(u => u.Key).ToList());
    }

    public Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid boardId, Guid userId, DateTimeOffset now)
    {
        var board = Board(boardId);
        lock (board)
            return Task.FromResult<IReadOnlyList<string>>(board.TryGetValue(userId, out var connections)
                ? connections.Where(c => c.Value > now).Select(c => c.Key).ToList()
                : []);
    }

    public Task RefreshAsync(Guid boardId, IReadOnlyCollection<(string ConnectionId, Guid UserId)> entries, DateTimeOffset expires)
    {
        var board = Board(boardId);
        lock (board)
        {
            foreach (var (connectionId, userId) in entries) ConnectionsOf(board, userId)[connectionId] = expires;
        }
        return Task.CompletedTask;
    }

    public Task ClearAsync(Guid boardId)
    {
        _boards.TryRemove(boardId, out _);
        return Task.CompletedTask;
    }
}
