using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// TaskHub's hub lifetime manager, with or without Redis: SignalR's scale-out over Redis with <b>one</b> subscription per
/// replica, and without Redis the same connections and groups on one process. Either way it writes frames
/// (<see cref="WriteFrameToGroupAsync"/>): several hub messages to a connection in one write. The stock Redis backplane
/// (<c>Microsoft.AspNetCore.SignalR.StackExchangeRedis</c>) subscribes a Redis channel for every connection, every user
/// and every group, each with its own message queue (~2.7 KB of heap per connection, a SUBSCRIBE per connect, and a Redis
/// round trip even for a group only this replica has), and keeps a set of group names per connection.
/// <para>Here every replica publishes to and reads one channel. A message is serialised once per protocol by the sender
/// (every protocol the hub speaks), delivered to the sender's own connections directly, and
/// written as those bytes to the matching connections of every other replica. Groups whose name starts with
/// <see cref="LocalPrefix"/> are this replica's own: sending to one never touches Redis (the board event feed uses them).</para>
/// <para>Client results (<c>InvokeAsync</c> on a client) and stateful reconnect (which numbers each hub message a
/// connection is written) are not supported; TaskHub's hub uses neither.</para>
/// </summary>
public sealed partial class ClusterHubLifetimeManager<THub> : HubLifetimeManager<THub>, IDisposable where THub : Hub
{
    /// <summary>Groups named with this prefix exist on one replica only and are never sent through Redis.</summary>
    public const string LocalPrefix = "local:";

    private enum Kind : byte { All, Connections, Groups, Users, AddToGroup, RemoveFromGroup }

    /// <summary>A group's name (held once, shared by its members' lists) and its connections on this replica.</summary>
    private sealed class Group(string name)
    {
        public readonly string Name = name;
        public readonly HubConnectionStore Members = new();
    }

    /// <summary>A connection of this replica, the groups it is in (so leaving does not scan every group) and how many
    /// of its writes have not finished (<see cref="WriteAsync"/>).</summary>
    private sealed class Local(HubConnectionContext connection)
    {
        public readonly HubConnectionContext Connection = connection;
        public Group[] Groups = [];
        public int Unfinished;
        public int Aborted;
    }

    private readonly ConcurrentDictionary<string, Local> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HubConnectionStore> _users = new(StringComparer.Ordinal);
    private readonly Lock _membership = new();
    private readonly IConnectionMultiplexer? _redis;
    private readonly RedisChannel _channel;
    private readonly IHubProtocol[] _protocols;
    private readonly byte[] _origin = Guid.NewGuid().ToByteArray();
    private readonly ILogger _log;
    private readonly Task _subscribed;
    private readonly TimeSpan _slowClientWait;
    private readonly int _maxQueuedPerSlowClient;
    private ChannelMessageQueue? _queue;

    /// <param name="redis">The backplane; null (no <c>ConnectionStrings:Redis</c>) when this process is the only replica.</param>
    public ClusterHubLifetimeManager(IHubProtocolResolver protocols, IOptions<HubOptions> globalOptions, IOptions<HubOptions<THub>> hubOptions,
        ILogger<ClusterHubLifetimeManager<THub>> log, IOptions<RealtimeOptions> realtime, IConnectionMultiplexer? redis = null)
    {
        _redis = redis;
        _log = log;
        _slowClientWait = realtime.Value.SlowClientWaitMilliseconds > 0
            ? TimeSpan.FromMilliseconds(realtime.Value.SlowClientWaitMilliseconds) : Timeout.InfiniteTimeSpan;
        _maxQueuedPerSlowClient = realtime.Value.MaxQueuedPerSlowClient;
        _channel = RedisChannel.Literal($"taskhub:hub:{typeof(THub).FullName}");
        var supported = hubOptions.Value.SupportedProtocols ?? globalOptions.Value.SupportedProtocols ?? [];
        _protocols = [.. protocols.AllProtocols.Where(p => supported.Contains(p.Name))];
        _subscribed = redis is null ? Task.CompletedTask : SubscribeAsync(redis);
    }

    /// <summary>How many connections this replica holds and how many groups they are in (tests and metrics).</summary>
    public (int Connections, int Groups) Counts => (_connections.Count, _groups.Count);

    /// <summary>This replica's connections (<see cref="HubRebalancer"/> closes some of them).</summary>
    public IEnumerable<HubConnectionContext> Connections => _connections.Values.Select(l => l.Connection);

    /// <summary>This replica's connection with that id, or null when it is not (or no longer) here.</summary>
    public HubConnectionContext? Connection(string connectionId) => _connections.TryGetValue(connectionId, out var l) ? l.Connection : null;

    /// <summary>This replica's connections of one person (SignalR's user id: the token's subject), from the index that
    /// sends to users read.</summary>
    public IReadOnlyList<HubConnectionContext> ConnectionsOf(string userId)
    {
        lock (_membership) return _users.TryGetValue(userId, out var store) ? [.. Members(store)] : [];
    }

    private async Task SubscribeAsync(IConnectionMultiplexer redis)
    {
        _queue = await RedisSubscriptions.SubscribeAsync(redis, _channel, (e, attempt) => LogSubscribeFailed(_log, e, attempt), CancellationToken.None);
        _queue.OnMessage(Receive); // one message after the other, in the order Redis sent them
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        // Count the connection only once this replica hears the others (or after a bounded wait while Redis is down).
        if (!_subscribed.IsCompleted) await Task.WhenAny(_subscribed, Task.Delay(TimeSpan.FromSeconds(5)));
        _connections[connection.ConnectionId] = new Local(connection);
        if (connection.UserIdentifier is { } user)
            lock (_membership) _users.GetOrAdd(user, _ => new HubConnectionStore()).Add(connection);
    }

    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        if (!_connections.TryRemove(connection.ConnectionId, out var local)) return Task.CompletedTask;
        lock (_membership)
        {
            foreach (var group in local.Groups) Leave(group, connection);
            local.Groups = [];
            if (connection.UserIdentifier is { } user && _users.TryGetValue(user, out var mine))
            {
                mine.Remove(connection);
                if (mine.Count == 0) _users.TryRemove(user, out _);
            }
        }
        return Task.CompletedTask;
    }

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupName);
        if (_connections.TryGetValue(connectionId, out var local))
        {
            AddLocal(local, groupName);
            return Task.CompletedTask;
        }
        return IsLocal(groupName) || _redis is null ? Task.CompletedTask : PublishAsync(Kind.AddToGroup, [connectionId], [], groupName, null);
    }

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupName);
        if (_connections.TryGetValue(connectionId, out var local))
        {
            RemoveLocal(local, groupName);
            return Task.CompletedTask;
        }
        return IsLocal(groupName) || _redis is null ? Task.CompletedTask : PublishAsync(Kind.RemoveFromGroup, [connectionId], [], groupName, null);
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(Kind.All, [], [], methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) =>
        SendAsync(Kind.All, [], excludedConnectionIds, methodName, args, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendConnectionsAsync([connectionId], methodName, args, cancellationToken);

    public override async Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args,
        CancellationToken cancellationToken = default)
    {
        var elsewhere = _redis is null ? [] : connectionIds.Where(id => !_connections.ContainsKey(id)).ToList();
        var bytes = elsewhere.Count == 0 ? null : SerializeAll(Invocation(methodName, args));
        var message = bytes is null ? new SerializedHubMessage(Invocation(methodName, args)) : new SerializedHubMessage(bytes);
        await WriteAsync(connectionIds.Select(id => _connections.TryGetValue(id, out var l) ? l.Connection : null), message, cancellationToken);
        if (bytes is not null) await PublishAsync(Kind.Connections, elsewhere, [], null, bytes);
    }

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(Kind.Groups, [groupName], [], methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(Kind.Groups, groupNames, [], methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) =>
        SendAsync(Kind.Groups, [groupName], excludedConnectionIds, methodName, args, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(Kind.Users, [userId], [], methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(Kind.Users, userIds, [], methodName, args, cancellationToken);

    /// <summary>Delivers to this replica's matching connections, then (unless every target is a local group) publishes
    /// the serialised message once for the other replicas.</summary>
    private async Task SendAsync(Kind kind, IReadOnlyList<string> targets, IReadOnlyList<string> excluded, string methodName,
        object?[] args, CancellationToken ct)
    {
        var remote = _redis is not null && (kind != Kind.Groups || targets.Any(g => !IsLocal(g)));
        // Every protocol's bytes at once when other replicas need them; otherwise each protocol serialises on first use.
        var bytes = remote ? SerializeAll(Invocation(methodName, args)) : null;
        var message = bytes is null ? new SerializedHubMessage(Invocation(methodName, args)) : new SerializedHubMessage(bytes);
        await WriteAsync(Targets(kind, targets, excluded), message, ct);
        if (bytes is not null) await PublishAsync(kind, kind == Kind.Groups ? targets.Where(g => !IsLocal(g)).ToList() : targets, excluded, null, bytes);
    }

    /// <summary>
    /// Writes a frame, several hub messages serialised back to back by <paramref name="frame"/> (once for each protocol the
    /// members speak), to each of this replica's connections in a group: one write into the connection's pipe and one
    /// flush, so its WebSocket transport sends them as one WebSocket message (one send) rather than one each. Any SignalR
    /// client reads the messages one by one as it would read them sent apart. For a local group
    /// (<see cref="LocalPrefix"/>); nothing goes through Redis.
    /// </summary>
    public Task WriteFrameToGroupAsync(string groupName, Func<IHubProtocol, byte[]> frame, CancellationToken ct)
    {
        if (!_groups.TryGetValue(groupName, out var group)) return Task.CompletedTask;
        var members = new List<HubConnectionContext>(group.Members.Count);
        foreach (var c in group.Members) members.Add(c);
        return WriteFrameAsync(members, frame, ct);
    }

    /// <summary>Writes a frame (<see cref="WriteFrameToGroupAsync"/>) to one connection of this replica (none if it is not here).</summary>
    public Task WriteFrameToConnectionAsync(string connectionId, Func<IHubProtocol, byte[]> frame, CancellationToken ct) =>
        _connections.TryGetValue(connectionId, out var local) ? WriteFrameAsync([local.Connection], frame, ct) : Task.CompletedTask;

    private Task WriteFrameAsync(List<HubConnectionContext> connections, Func<IHubProtocol, byte[]> frame, CancellationToken ct)
    {
        if (connections.Count == 0) return Task.CompletedTask;
        var bytes = new List<SerializedMessage>(2);
        foreach (var c in connections)
            if (!bytes.Exists(b => b.ProtocolName == c.Protocol.Name)) bytes.Add(new SerializedMessage(c.Protocol.Name, frame(c.Protocol)));
        return WriteAsync(connections, new SerializedHubMessage(bytes), ct);
    }

    private IReadOnlyList<SerializedMessage> SerializeAll(HubMessage message) =>
        [.. _protocols.Select(p => new SerializedMessage(p.Name, p.GetMessageBytes(message)))];

    private static bool IsLocal(string groupName) => groupName.StartsWith(LocalPrefix, StringComparison.Ordinal);

    private static InvocationMessage Invocation(string methodName, object?[] args) => new(methodName, args);

    /// <summary>This replica's connections a message of this kind reaches.</summary>
    private IEnumerable<HubConnectionContext?> Targets(Kind kind, IReadOnlyList<string> targets, IReadOnlyList<string> excluded)
    {
        IEnumerable<HubConnectionContext> found = kind switch
        {
            Kind.All => _connections.Values.Select(l => l.Connection),
            Kind.Connections => targets.Select(id => _connections.TryGetValue(id, out var l) ? l.Connection : null).OfType<HubConnectionContext>(),
            Kind.Groups => targets.SelectMany(g => _groups.TryGetValue(g, out var group) ? Members(group.Members) : []),
            Kind.Users => targets.SelectMany(u => _users.TryGetValue(u, out var store) ? Members(store) : []),
            _ => [],
        };
        if (kind is Kind.Groups or Kind.Users && targets.Count > 1) found = found.DistinctBy(c => c.ConnectionId);
        return excluded.Count == 0 ? found : found.Where(c => !excluded.Contains(c.ConnectionId));
    }

    private static IEnumerable<HubConnectionContext> Members(HubConnectionStore store)
    {
        foreach (var c in store) yield return c;
    }

    /// <summary>
    /// Writes to each connection; only the writes that did not finish at once are awaited (as SignalR's own lifetime
    /// manager does), and those for at most <see cref="RealtimeOptions.SlowClientWaitMilliseconds"/>. A write still
    /// unfinished then (the client's pipe is full: it reads slower than its messages come, or stopped) finishes on its
    /// own; the caller (a board's delivery line, the hub channel's reader) goes on with its other boards and connections.
    /// The connection's later messages queue on SignalR's per-connection write lock, which hands itself to its waiters
    /// in the order they came, so they still reach the client in order. A connection with more than
    /// <see cref="RealtimeOptions.MaxQueuedPerSlowClient"/> messages queued behind its unfinished write is aborted: its client reconnects and
    /// catches up from the event log, and the replica holds no unbounded queue for it. The wait is per call: K slow
    /// clients on K boards of one line cost that line up to K waits per round, each only while that client's earlier
    /// writes had all finished.
    /// </summary>
    private async Task WriteAsync(IEnumerable<HubConnectionContext?> connections, SerializedHubMessage message, CancellationToken ct)
    {
        List<Task>? pending = null;
        foreach (var c in connections)
        {
            if (c is null) continue;
            var write = c.WriteAsync(message, ct);
            if (!write.IsCompletedSuccessfully && Unfinished(c, write) is { } wait) (pending ??= []).Add(wait);
        }
        if (pending is null) return;
        var all = Task.WhenAll(pending);
        if (_slowClientWait == Timeout.InfiniteTimeSpan)
        {
            await all;
            return;
        }
        using (var delay = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var waited = Task.Delay(_slowClientWait, delay.Token);
            var first = await Task.WhenAny(all, waited);
            await delay.CancelAsync(); // the timer, when the writes finished first
            if (first == all)
            {
                await all;
                return;
            }
        }
        all.ObserveFault(); // (a cancelled or broken connection)
        ct.ThrowIfCancellationRequested();
        RealtimeMetrics.SlowClientWritesLeft.Inc(pending.Count(p => !p.IsCompleted));
    }

    /// <summary>A write that did not finish at once, counted on its connection until it does. Returns what the caller
    /// waits for: nothing when the connection already had a write unfinished (this one queued behind it; waiting for it
    /// again would hold the caller back once per message while the client stays slow), unless every write is waited for
    /// (<see cref="RealtimeOptions.SlowClientWaitMilliseconds"/> 0). The connection is aborted when too many of its
    /// writes are unfinished.</summary>
    private Task? Unfinished(HubConnectionContext connection, ValueTask write)
    {
        if (!_connections.TryGetValue(connection.ConnectionId, out var local)) return write.AsTask();
        var unfinished = Interlocked.Increment(ref local.Unfinished);
        if (unfinished > _maxQueuedPerSlowClient + 1 && Interlocked.Exchange(ref local.Aborted, 1) == 0)
        {
            RealtimeMetrics.SlowClientsAborted.Inc();
            LogSlowClientAborted(_log, connection.ConnectionId, _maxQueuedPerSlowClient);
            AbortSlow(connection);
        }
        var finished = Finish(local, write);
        if (unfinished == 1 || _slowClientWait == Timeout.InfiniteTimeSpan) return finished;
        finished.ObserveFault();
        return null;

        static async Task Finish(Local local, ValueTask write)
        {
            try { await write; }
            finally { Interlocked.Decrement(ref local.Unfinished); }
        }
    }

    /// <summary>
    /// Ends a connection whose client does not take its messages. <see cref="HubConnectionContext.Abort"/> alone cancels
    /// the write it is stuck in, but SignalR then writes a Close message into the same full pipe and waits there, so the
    /// connection would stay (and keep taking messages) until the transport's send timeout, or forever without one. The
    /// request under it is aborted too (for a WebSocket, its TCP connection): the transport ends at once, the connection
    /// leaves its groups, and its client sees a lost connection and reconnects, catching up from its last seq.
    /// </summary>
    private static void AbortSlow(HubConnectionContext connection)
    {
        connection.Abort();
        connection.GetHttpContext()?.Abort();
    }

    private void AddLocal(Local local, string groupName)
    {
        lock (_membership)
        {
            if (local.Groups.Any(g => g.Name == groupName)) return;
            var group = _groups.GetOrAdd(groupName, name => new Group(name));
            group.Members.Add(local.Connection);
            local.Groups = [.. local.Groups, group];
        }
    }

    private void RemoveLocal(Local local, string groupName)
    {
        lock (_membership)
        {
            var group = local.Groups.FirstOrDefault(g => g.Name == groupName);
            if (group is null) return;
            local.Groups = [.. local.Groups.Where(g => g != group)];
            Leave(group, local.Connection);
        }
    }

    /// <summary>Takes a connection out of a group and forgets the group once empty (under <see cref="_membership"/>).</summary>
    private void Leave(Group group, HubConnectionContext connection)
    {
        group.Members.Remove(connection);
        if (group.Members.Count == 0) _groups.TryRemove(new KeyValuePair<string, Group>(group.Name, group));
    }

    // Wire format, one Redis message: origin (16 bytes), kind, targets, excluded connection ids, group (for group
    // changes), then the message as each protocol serialised it.
    private async Task PublishAsync(Kind kind, IReadOnlyList<string> targets, IReadOnlyList<string> excluded, string? group,
        IReadOnlyList<SerializedMessage>? serialized)
    {
        var buffer = new MemoryStream(256);
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(_origin);
            w.Write((byte)kind);
            WriteStrings(w, targets);
            WriteStrings(w, excluded);
            w.Write(group ?? "");
            serialized ??= [];
            w.Write7BitEncodedInt(serialized.Count);
            foreach (var s in serialized)
            {
                w.Write(s.ProtocolName);
                w.Write7BitEncodedInt(s.Serialized.Length);
                w.Write(s.Serialized.Span);
            }
        }
        await _redis!.GetSubscriber().PublishAsync(_channel, buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private async Task Receive(ChannelMessage m)
    {
        try
        {
            byte[] bytes = m.Message!;
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            if (r.ReadBytes(16).AsSpan().SequenceEqual(_origin)) return; // ours: already delivered here
            var kind = (Kind)r.ReadByte();
            var targets = ReadStrings(r);
            var excluded = ReadStrings(r);
            var group = r.ReadString();
            var messages = new SerializedMessage[r.Read7BitEncodedInt()];
            for (var i = 0; i < messages.Length; i++)
            {
                var protocol = r.ReadString();
                messages[i] = new SerializedMessage(protocol, r.ReadBytes(r.Read7BitEncodedInt()));
            }
            switch (kind)
            {
                case Kind.AddToGroup when _connections.TryGetValue(targets[0], out var local):
                    AddLocal(local, group);
                    break;
                case Kind.RemoveFromGroup when _connections.TryGetValue(targets[0], out var local):
                    RemoveLocal(local, group);
                    break;
                case Kind.All or Kind.Connections or Kind.Groups or Kind.Users:
                    await WriteAsync(Targets(kind, targets, excluded), new SerializedHubMessage(messages), CancellationToken.None);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogReceiveFailed(_log, e);
        }
    }

    private static void WriteStrings(BinaryWriter w, IReadOnlyList<string> values)
    {
        w.Write7BitEncodedInt(values.Count);
        foreach (var v in values) w.Write(v);
    }

    private static string[] ReadStrings(BinaryReader r)
    {
        var values = new string[r.Read7BitEncodedInt()];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadString();
        return values;
    }

    public void Dispose() => _queue?.Unsubscribe();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to the hub channel (attempt {Attempt}); retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Hub connection {ConnectionId} aborted: more than {Max} messages queued behind a write it did not take (a client that stopped reading reconnects and catches up)")]
    private static partial void LogSlowClientAborted(ILogger logger, string connectionId, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on the hub channel could not be delivered")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception);
}
