using Microsoft.AspNetCore.SignalR;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Integrations;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Ends what lost its access while connected, on each head tick (<see cref="BoardHeadService"/>, every
/// <see cref="RealtimeOptions.HeadIntervalSeconds"/>): a connection whose session ended (signed out, revoked, a
/// password reset, the account deleted), or whose API token was revoked or expired, is closed, and a connection on a board its person is no longer a member of
/// loses the board (<c>BoardAccessRevoked</c>). A session was checked only when its connection opened, so an open tab
/// of a revoked session kept receiving. Since the thirty-fourth round the end of a session closes them at once
/// (<see cref="HubSessionEnds"/>); the sweep catches what that missed (its Redis message lost). The removal of a member revokes its connections at once, through presence; this
/// catches those it cannot see: a connection that joined while the removal ran, or whose revocation was lost with a Redis
/// message. Only a definite answer ends anything: a failed query ends nothing (the tick logs it).
/// </summary>
public sealed class HubAccessSweep(HubLifetimeManager<BoardHub> lifetime, LocalConnections local, HubSessionChecks sessions,
    HubTokenChecks tokens, HubMemberships memberships, BoardPresence boards, TimeProvider clock)
{
    private readonly ClusterHubLifetimeManager<BoardHub>? _cluster = lifetime as ClusterHubLifetimeManager<BoardHub>;

    /// <summary>When this replica last closed (or was told to close) each person's ended sessions' connections, for
    /// <see cref="EndedWhileConnectingAsync"/>; entries older than <see cref="ConnectingWindow"/> are forgotten at each tick's sweep.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, long> _endedAt = new();

    /// <summary>Longer than any connection takes from its connect check (the WebSocket upgrade's authentication) to its
    /// registration with the hub (the handshake; up to 5 s more while Redis is down at start).</summary>
    public static readonly TimeSpan ConnectingWindow = TimeSpan.FromMinutes(1);

    /// <summary>Closes the connections of ended sessions and revokes boards their people left; returns how many of each.</summary>
    public async Task<(int Closed, int Revoked)> SweepAsync(CancellationToken ct)
    {
        foreach (var (user, at) in _endedAt) // (forgets the people whose sessions ended longer ago than a connect takes)
            if (clock.GetElapsedTime(at) > ConnectingWindow) _endedAt.TryRemove(KeyValuePair.Create(user, at));
        var closed = await CloseEndedAsync(_cluster?.Connections.ToList() ?? [], ct);
        var joined = local.All().ToList();
        var revoked = 0;
        if (joined.Count > 0)
        {
            var members = await memberships.MembersAsync(joined.Select(j => (j.BoardId, j.UserId)).ToHashSet(), ct);
            foreach (var gone in joined.Where(j => !members.Contains((j.BoardId, j.UserId))).GroupBy(j => (j.BoardId, j.UserId)))
            {
                var ids = gone.Select(j => j.ConnectionId).ToList();
                await boards.RevokeConnectionsAsync(gone.Key.BoardId, gone.Key.UserId, ids);
                revoked += ids.Count;
            }
        }
        return (closed, revoked);
    }

    /// <summary>Closes this replica's connections of the person whose session or API token ended: told at once by
    /// <see cref="HubSessionEnds"/>, when the sign-out (or revocation, password change, deletion) committed.</summary>
    public Task<int> CloseEndedAsync(Guid userId, CancellationToken ct)
    {
        // Remembered before the person's connections are read: a connection whose check passed before the end but which
        // registers with the hub only after this read is not among them, and finds this when it registers.
        _endedAt[userId] = clock.GetTimestamp();
        return CloseEndedAsync(_cluster?.ConnectionsOf(userId.ToString()) ?? [], ct);
    }

    /// <summary>For a connection that has just registered with the hub (<see cref="BoardHub.OnConnectedAsync"/>): if its
    /// person's sessions ended (on any replica) within <see cref="ConnectingWindow"/>, the end may have looked for their
    /// connections between this one's connect check and its registration, and missed it: it is checked now, as the end
    /// checks them (its session or token against the database), and closed if that ended. Nothing is read otherwise.
    /// Before the thirty-fifth round such a connection stayed open until its first join or the next sweep.</summary>
    public Task<int> EndedWhileConnectingAsync(string connectionId, Guid userId, CancellationToken ct)
    {
        Interlocked.MemoryBarrier(); // (the registration's write, then this read: the mirror of CloseEndedAsync's order)
        if (!_endedAt.TryGetValue(userId, out var at) || clock.GetElapsedTime(at) > ConnectingWindow || _cluster is null)
            return Task.FromResult(0);
        return CloseEndedAsync([.. _cluster.ConnectionsOf(userId.ToString()).Where(c => c.ConnectionId == connectionId)], ct);
    }

    /// <summary>Closes those of these connections whose session ended, or whose API token was revoked or expired.</summary>
    private async Task<int> CloseEndedAsync(IReadOnlyList<HubConnectionContext> connections, CancellationToken ct)
    {
        if (connections.Count == 0) return 0;
        var of = connections.Select(c => (Connection: c, Session: HubSessionChecks.SessionOf(c.User), Token: HubTokenChecks.TokenOf(c.User))).ToList();
        var alive = await sessions.AliveAsync(of.Where(c => c.Session is not null).Select(c => c.Session!.Value).ToHashSet(), ct);
        // A connection opened with an API token has no session: its token is checked instead (revoked or expired
        // ends it). Before the thirty-third round every such connection was closed at every tick.
        var live = await tokens.LiveAsync(of.Where(c => c.Session is null && c.Token is not null).Select(c => c.Token!.Value).ToHashSet(), ct);
        var closed = 0;
        foreach (var (connection, session, token) in of)
        {
            if (session is { } s ? alive.Contains(s) : token is { } t && live.Contains(t)) continue;
            connection.Abort(); // its client reconnects, and its connect check refuses the ended session
            closed++;
        }
        return closed;
    }
}
