using System.Collections.Concurrent;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// This replica's own connections and the boards each has joined (and, per board, its connections here, which
/// <see cref="BoardEventFeed"/> delivers to). It is connection state, which is per-replica by nature; what other
/// replicas must see (presence) lives in <see cref="IPresenceStore"/>.
/// </summary>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<string, LocalConnection> _connections = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, byte>> _byBoard = new();

    public sealed record LocalConnection(Guid UserId, ConcurrentDictionary<Guid, byte> Boards);

    public void Join(string connectionId, Guid userId, Guid boardId)
    {
        // A connection views one board, rarely a few: one lock and a small table, not the default 31 buckets (~0.4 KB less per connection).
        _connections.GetOrAdd(connectionId, _ => new LocalConnection(userId, new(concurrencyLevel: 1, capacity: 2))).Boards.TryAdd(boardId, 0);
        _byBoard.GetOrAdd(boardId, _ => new()).TryAdd(connectionId, 0);
    }

    public bool Leave(string connectionId, Guid boardId)
    {
        if (_byBoard.TryGetValue(boardId, out var here)) here.TryRemove(connectionId, out _);
        return _connections.TryGetValue(connectionId, out var c) && c.Boards.TryRemove(boardId, out _);
    }

    /// <summary>The board is gone: none of this replica's connections is on it any more. Returns those that were.</summary>
    public IReadOnlyList<string> LeaveAll(Guid boardId)
    {
        if (!_byBoard.TryRemove(boardId, out var here)) return [];
        foreach (var connectionId in here.Keys)
            if (_connections.TryGetValue(connectionId, out var c)) c.Boards.TryRemove(boardId, out _);
        return [.. here.Keys];
    }

    /// <summary>Forgets a closed connection and returns the boards it had joined.</summary>
    public IReadOnlyCollection<Guid> Remove(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var c)) return [];
        var boards = c.Boards.Keys.ToList();
        foreach (var boardId in boards)
            if (_byBoard.TryGetValue(boardId, out var here)) here.TryRemove(connectionId, out _);
        return boards;
    }

    public bool IsOn(string connectionId, Guid boardId) => _byBoard.TryGetValue(boardId, out var here) && here.ContainsKey(connectionId);

    public bool AnyOn(Guid boardId) => _byBoard.TryGetValue(boardId, out var here) && !here.IsEmpty;

    public IEnumerable<(string ConnectionId, Guid UserId, Guid BoardId)> All() =>
        _connections.SelectMany(kv => kv.Value.Boards.Keys.Select(b => (kv.Key, kv.Value.UserId, b)));

    public int Count => _connections.Count;
}
