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
    /// <summary>Per board, how many of its connections here take delta events (<see cref="TaskDeltaDto"/>).</summary>
    private readonly ConcurrentDictionary<Guid, int> _deltaByBoard = new();

    /// <summary>A connection of this replica: its person, the boards it joined and whether it takes delta events.</summary>
    public sealed record LocalConnection(Guid UserId, ConcurrentDictionary<Guid, byte> Boards, bool Delta);

    public void Join(string connectionId, Guid userId, Guid boardId, bool delta = false)
    {
        // A connection views one board, rarely a few: one lock and a small table, not the default 31 buckets (~0.4 KB less per connection).
        var c = _connections.GetOrAdd(connectionId, _ => new LocalConnection(userId, new(concurrencyLevel: 1, capacity: 2), delta));
        if (!c.Boards.TryAdd(boardId, 0)) return;
        _byBoard.GetOrAdd(boardId, _ => new()).TryAdd(connectionId, 0);
        if (c.Delta) _deltaByBoard.AddOrUpdate(boardId, 1, (_, n) => n + 1);
    }

    public bool Leave(string connectionId, Guid boardId)
    {
        if (_byBoard.TryGetValue(boardId, out var here)) here.TryRemove(connectionId, out _);
        if (!_connections.TryGetValue(connectionId, out var c) || !c.Boards.TryRemove(boardId, out _)) return false;
        if (c.Delta) LeftDelta(boardId);
        return true;
    }

    /// <summary>Whether the connection takes delta events (false for one that is not here).</summary>
    public bool IsDelta(string connectionId) => _connections.TryGetValue(connectionId, out var c) && c.Delta;

    /// <summary>Which shapes' groups the board's events go to here: the full shape's whenever the board has a
    /// connection here, the delta shape's while one of them takes deltas. The two counts are not changed together, so
    /// the full group's need is never worked out from their difference: while a delta viewer was leaving, "everyone
    /// here takes deltas" read true for a moment and the full-shape viewers' frame was skipped (an empty group costs a
    /// lookup).</summary>
    public (bool Full, bool Delta) ShapesOn(Guid boardId)
    {
        var any = _byBoard.TryGetValue(boardId, out var here) && !here.IsEmpty;
        var delta = _deltaByBoard.TryGetValue(boardId, out var n) && n > 0;
        return (any, delta);
    }

    private void LeftDelta(Guid boardId)
    {
        if (_deltaByBoard.AddOrUpdate(boardId, 0, (_, n) => Math.Max(0, n - 1)) == 0)
            _deltaByBoard.TryRemove(new KeyValuePair<Guid, int>(boardId, 0));
    }

    /// <summary>The board is gone: none of this replica's connections is on it any more. Returns those that were.</summary>
    public IReadOnlyList<string> LeaveAll(Guid boardId)
    {
        if (!_byBoard.TryRemove(boardId, out var here)) return [];
        foreach (var connectionId in here.Keys)
            if (_connections.TryGetValue(connectionId, out var c) && c.Boards.TryRemove(boardId, out _) && c.Delta) LeftDelta(boardId);
        return [.. here.Keys];
    }

    /// <summary>Forgets a closed connection and returns the boards it had joined.</summary>
    public IReadOnlyCollection<Guid> Remove(string connectionId)
    {
        if (!_connections.TryRemove(connectionId, out var c)) return [];
        var boards = c.Boards.Keys.ToList();
        foreach (var boardId in boards)
        {
            if (_byBoard.TryGetValue(boardId, out var here)) here.TryRemove(connectionId, out _);
            if (c.Delta) LeftDelta(boardId);
        }
        return boards;
    }

    public bool IsOn(string connectionId, Guid boardId) => _byBoard.TryGetValue(boardId, out var here) && here.ContainsKey(connectionId);

    public bool AnyOn(Guid boardId) => _byBoard.TryGetValue(boardId, out var here) && !here.IsEmpty;

    public IEnumerable<(string ConnectionId, Guid UserId, Guid BoardId)> All() =>
        _connections.SelectMany(kv => kv.Value.Boards.Keys.Select(b => (kv.Key, kv.Value.UserId, b)));

    public int Count => _connections.Count;
}
