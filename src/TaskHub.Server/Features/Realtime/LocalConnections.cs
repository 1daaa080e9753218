using System.Collections.Concurrent;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// This replica's own connections and the boards each has joined. It is connection state, which is
/// per-replica by nature; what other replicas must see (presence) lives in <see cref="IPresenceStore"/>.
/// </summary>
public sealed class LocalConnections
{
    private readonly ConcurrentDictionary<string, LocalConnection> _connections = new();

    public sealed record LocalConnection(Guid UserId, ConcurrentDictionary<Guid, byte> Boards);

    public void Join(string connectionId, Guid userId, Guid boardId) =>
        _connections.GetOrAdd(connectionId, _ => new LocalConnection(userId, new())).Boards.TryAdd(boardId, 0);

    public bool Leave(string connectionId, Guid boardId) =>
        _connections.TryGetValue(connectionId, out var c) && c.Boards.TryRemove(boardId, out _);

    /// <summary>Forgets a closed connection and returns the boards it had joined.</summary>
    public IReadOnlyCollection<Guid> Remove(string connectionId) =>
        _connections.TryRemove(connectionId, out var c) ? c.Boards.Keys.ToList() : [];

    public IEnumerable<(string ConnectionId, Guid UserId, Guid BoardId)> All() =>
        _connections.SelectMany(kv => kv.Value.Boards.Keys.Select(b => (kv.Key, kv.Value.UserId, b)));

    public int Count => _connections.Count;
}
