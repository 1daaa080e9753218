using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Realtime;

/// <summary>Presence and access changes told to a board's viewers, on every replica.</summary>
public sealed class BoardPresence(
    IPresenceStore store, IHubContext<BoardHub, IBoardClient> hub, IServiceScopeFactory scopes,
    BoardEventFeed feed, IOptions<RealtimeOptions> options, TimeProvider clock)
{
    public DateTimeOffset ExpiresFromNow() => clock.GetUtcNow().AddSeconds(options.Value.PresenceTtlSeconds);

    public async Task<PresenceDto> CurrentAsync(Guid boardId)
    {
        var ids = await store.UsersAsync(boardId, clock.GetUtcNow());
        if (ids.Count == 0) return new PresenceDto(boardId, []);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var users = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id))
            .OrderBy(u => u.DisplayName).Select(u => new PresenceUser(u.Id, u.DisplayName)).ToListAsync();
        return new PresenceDto(boardId, users);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, Task<PresenceDto>> _reading = new();

    /// <summary>
    /// <see cref="CurrentAsync"/> shared with concurrent callers of the same board: for a join whose user was already
    /// there (its read may start a little before the call; the user was present then too). After a replica restart
    /// thousands of such joins arrive at once, and each would read the board's whole presence set; a broadcast after
    /// a change reads for itself.
    /// </summary>
    public Task<PresenceDto> CurrentSharedAsync(Guid boardId)
    {
        while (true)
        {
            if (_reading.TryGetValue(boardId, out var inFlight)) return inFlight;
            var read = new TaskCompletionSource<PresenceDto>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_reading.TryAdd(boardId, read.Task)) continue;
            _ = ReadSharedAsync(boardId, read);
            return read.Task;
        }
    }

    private async Task ReadSharedAsync(Guid boardId, TaskCompletionSource<PresenceDto> read)
    {
        await Task.Yield(); // callers arriving while this one is being set up share it, even if the read completes at once
        PresenceDto current;
        try { current = await CurrentAsync(boardId); }
        catch (Exception e)
        {
            _reading.TryRemove(new KeyValuePair<Guid, Task<PresenceDto>>(boardId, read.Task));
            read.SetException(e);
            return;
        }
        _reading.TryRemove(new KeyValuePair<Guid, Task<PresenceDto>>(boardId, read.Task)); // a caller after this reads again
        read.SetResult(current);
    }

    private readonly Lock _broadcastGate = new();
    /// <summary>Per board with a broadcast running: the callers waiting for the next one (null: none yet).</summary>
    private readonly Dictionary<Guid, TaskCompletionSource?> _broadcasting = [];
    private long _broadcasts;

    /// <summary>Presence reads broadcast so far (for tests and the bench).</summary>
    public long Broadcasts => Interlocked.Read(ref _broadcasts);

    /// <summary>
    /// Tells the board's viewers who is on it now. Coalesced per board: while one broadcast runs, the calls made
    /// meanwhile wait for one more, which reads after all of them; so a storm of joins of different people reads and
    /// sends the board's presence a few times, not once per join (each read is the whole set plus a users query).
    /// </summary>
    public Task BroadcastAsync(Guid boardId)
    {
        TaskCompletionSource next;
        var start = false;
        lock (_broadcastGate)
        {
            if (!_broadcasting.TryGetValue(boardId, out var waiting)) start = true;
            _broadcasting[boardId] = next = waiting ?? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        if (start) _ = Task.Run(() => BroadcastWhileAskedAsync(boardId));
        return next.Task;
    }

    private async Task BroadcastWhileAskedAsync(Guid boardId)
    {
        while (true)
        {
            TaskCompletionSource? these;
            lock (_broadcastGate)
            {
                these = _broadcasting[boardId];
                if (these is null)
                {
                    _broadcasting.Remove(boardId);
                    return;
                }
                _broadcasting[boardId] = null; // calls from now on wait for the next round
            }
            try
            {
                Interlocked.Increment(ref _broadcasts);
                await hub.Clients.Group(BoardHub.Group(boardId)).PresenceChanged(await CurrentAsync(boardId));
                these.TrySetResult();
            }
            catch (Exception e)
            {
                these.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// Someone lost access to a board (removed, left, account or board deleted): their connections, on any
    /// replica, leave the board's group so no further event reaches them.
    /// </summary>
    public async Task RevokeAsync(Guid boardId, Guid userId) =>
        await RevokeConnectionsAsync(boardId, userId, await store.ConnectionsOfAsync(boardId, userId, clock.GetUtcNow()));

    /// <summary>These connections of the person lose the board: its events stop, they are told, their presence goes.
    /// While Redis is down, another replica's connections are not reached (their replica's access sweep revokes them)
    /// and presence entries expire instead; this replica's own are revoked and told all the same.</summary>
    public async Task RevokeConnectionsAsync(Guid boardId, Guid userId, IReadOnlyList<string> connections)
    {
        if (connections.Count == 0) return;
        await feed.RevokeAsync(boardId, connections);
        foreach (var connectionId in connections)
        {
            await BestEffortAsync(() => hub.Groups.RemoveFromGroupAsync(connectionId, BoardHub.Group(boardId)));
            await BestEffortAsync(() => hub.Clients.Client(connectionId).BoardAccessRevoked(new BoardAccessRevokedDto(boardId)));
            await BestEffortAsync(() => store.RemoveAsync(boardId, connectionId, userId));
        }
        await BestEffortAsync(() => BroadcastAsync(boardId));
    }

    private static async Task BestEffortAsync(Func<Task> step)
    {
        try { await step(); }
        catch (Exception e) when (ProblemDetailsExceptionHandler.IsUnavailable(e)) { } // (Redis down: see above)
    }

    /// <summary>The board is gone: everyone watching it is told (by each replica's feed, after the events it had for them),
    /// no further event will come, and its presence goes. A join still under way finds the board gone at its second
    /// check and is revoked there.</summary>
    public async Task BoardDeletedAsync(Guid boardId)
    {
        await feed.RevokeAsync(boardId, null);
        await BestEffortAsync(() => store.ClearAsync(boardId)); // (Redis down: its entries expire)
    }
}
