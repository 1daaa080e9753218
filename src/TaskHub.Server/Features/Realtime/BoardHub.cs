using System.Diagnostics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Integrations;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// The live board at <c>/hubs/board</c>. A client joins a board (membership checked) and then receives its
/// events; clients never name groups. Writes go through REST; the hub only reads.
/// </summary>
/// <remarks>A hub is created for every invocation (connect, join, leave, disconnect); the DbContext (its options are
/// built per scope, with the scope's interceptors) is resolved only by the one path that reads the database here.</remarks>
[Authorize]
public sealed class BoardHub(IServiceProvider services, IPresenceStore presence, BoardPresence boards, LocalConnections local,
    BoardEventFeed feed, CatchUpReads catchUp, HubMemberships memberships, HubSessionChecks sessions, HubTokenChecks tokens,
    HubAccessSweep sweep, IOptions<RealtimeOptions> options) : Hub<IBoardClient>
{
    public static string Group(Guid boardId) => $"board:{boardId:N}";

    private Guid UserId => Context.User!.GetUserId();

    /// <summary>Whether this connection asked for delta events (<c>/hubs/board?events=delta</c>, see <see cref="TaskDeltaDto"/>).
    /// Read from the request's query string each time rather than kept per connection.</summary>
    private bool Delta => local.IsDelta(Context.ConnectionId) || TaskDeltaDto.Requested(Context.GetHttpContext()?.Request.QueryString.Value);

    /// <summary>
    /// Catches the caller up from <paramref name="afterSeq"/> (null: a fresh view), sends the board's head and joins
    /// its live events, with nothing missing and nothing twice: the board's line in <see cref="BoardEventFeed"/> does
    /// the catch-up at its place between deliveries, from the events it delivered recently; only a caller further
    /// behind (or the first viewer of the board on this replica) reads the event log first, shared with concurrent
    /// joins (<see cref="CatchUpReads"/>). Non-members get a HubException and never join.
    /// </summary>
    public async Task JoinBoard(Guid boardId, long? afterSeq)
    {
        var started = Stopwatch.GetTimestamp();
        var userId = UserId;
        var ct = Context.ConnectionAborted;
        // The connection's session (or API token) too, both checks batched and asked together: a session that ended
        // (signed out, revoked, the password changed) was refused by REST at once, but its open connection could still
        // join a board and read its history until the next access sweep closed it.
        var alive = HubSessionChecks.SessionOf(Context.User) is { } s ? sessions.AliveAsync(s.FamilyId, s.UserId, ct)
            : HubTokenChecks.TokenOf(Context.User) is { } token ? tokens.LiveAsync(token, ct)
            : Task.FromResult(false);
        var member = memberships.IsMemberAsync(boardId, userId, ct);
        await Task.WhenAll(alive, member);
        if (!alive.Result)
        {
            Context.Abort(); // its client reconnects, and the connect check refuses the ended session
            throw new HubException("Session ended.");
        }
        if (!member.Result)
            throw new HubException("Board not found.");
        if (afterSeq is < 0) throw new HubException("afterSeq must be 0 or more.");

        var delta = Delta;
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(boardId), ct); // presence and access messages, from any replica
        local.Join(Context.ConnectionId, userId, boardId, delta); // before any read of the log: the feed keeps the board's line from now on
        try
        {
            if (await feed.JoinAsync(Context.ConnectionId, boardId, afterSeq, read: null, ct) is null)
            {
                // Further behind than the line's recent events, or the board's first viewer here: read the log (shared
                // with concurrent joins); every page but the last is sent from here, the last goes to the line with the join.
                long? after = afterSeq;
                IReadOnlyList<BoardEventDto> last = [];
                if (after is { } from)
                {
                    var pageSize = options.Value.CatchUpPageSize;
                    while (true)
                    {
                        var (page, more, head) = await catchUp.PageAsync(boardId, from, pageSize, ct);
                        if (!more || page.Count == 0)
                        {
                            last = page;
                            // A caller claiming more than the board has (a stale or forged afterSeq) must not start
                            // this replica's line beyond the board's head: every viewer's events up to its claim would
                            // count as delivered here.
                            if (page.Count == 0 && head < from) after = head;
                            break;
                        }
                        await feed.SendToConnectionAsync(Context.ConnectionId, page, delta, ct);
                        after = from = page[^1].Seq;
                    }
                }
                else after = await services.GetRequiredService<TaskHubDbContext>().Boards.Where(b => b.Id == boardId).Select(b => (long?)b.LastSeq).SingleOrDefaultAsync(ct)
                             ?? throw new HubException("Board not found."); // (deleted since the check)
                await feed.JoinAsync(Context.ConnectionId, boardId, after, last, ct);
            }
        }
        catch when (ct.IsCancellationRequested)
        {
            await ForgetAsync(also: boardId); // closed meanwhile (see below)
            throw;
        }
        catch
        {
            local.Leave(Context.ConnectionId, boardId);
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(boardId)); // (added above: its presence and access messages)
            throw;
        }

        bool? added;
        try
        {
            added = await presence.AddAsync(boardId, Context.ConnectionId, userId, boards.ExpiresFromNow());
        }
        catch (Exception e) when (ProblemDetailsExceptionHandler.IsUnavailable(e))
        {
            // Redis down: the board works without presence (the head tick adds this entry once Redis is back); a
            // join that failed here left the connection joined while telling it the join failed.
            added = null;
        }
        // SignalR runs OnDisconnectedAsync without waiting for invocations still running, after it cancelled
        // ConnectionAborted. A connection closed by now may have been forgotten before this join took its place or added
        // its entry: the join forgets it again (an entry left would show the person until it expired).
        if (ct.IsCancellationRequested)
        {
            await ForgetAsync(also: boardId);
            ct.ThrowIfCancellationRequested();
        }
        // The removal of a member revokes the connections it finds in presence, and this one was not there until now: a
        // removal that committed meanwhile is seen by this second check (its query starts after the presence entry was
        // added), and one that commits later finds the entry. (HubAccessSweep catches the rest: a lost revocation.)
        if (!await StillMemberAsync(boardId, userId, ct))
        {
            await boards.RevokeConnectionsAsync(boardId, userId, [Context.ConnectionId]);
            throw new HubException("Board not found.");
        }
        if (added == true)
            await boards.BroadcastAsync(boardId);
        else if (added == false)
            await Clients.Caller.PresenceChanged(await boards.CurrentSharedAsync(boardId));
        RealtimeMetrics.JoinSeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The second check; the database down answers yes (the join already holds its place: failing it now would
    /// leave it joined while telling it it is not), and the next access sweep checks again.</summary>
    private async Task<bool> StillMemberAsync(Guid boardId, Guid userId, CancellationToken ct)
    {
        try
        {
            return await memberships.IsMemberAsync(boardId, userId, ct);
        }
        catch (Exception e) when (ProblemDetailsExceptionHandler.IsUnavailable(e))
        {
            return true;
        }
    }

    public async Task LeaveBoard(Guid boardId)
    {
        if (!local.Leave(Context.ConnectionId, boardId)) return;
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(boardId));
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, BoardEventFeed.LocalGroup(boardId, local.IsDelta(Context.ConnectionId)));
        if (await presence.RemoveAsync(boardId, Context.ConnectionId, UserId)) await boards.BroadcastAsync(boardId);
    }

    /// <summary>Registered with the hub by now: a session that ended between this connection's connect check and now
    /// closes it (<see cref="HubAccessSweep.EndedWhileConnectingAsync"/>; a dictionary lookup unless its person's sessions
    /// ended in the last minute).</summary>
    public override async Task OnConnectedAsync()
    {
        RealtimeMetrics.Connections.Inc();
        try
        {
            await sweep.EndedWhileConnectingAsync(Context.ConnectionId, UserId, Context.ConnectionAborted);
        }
        catch (Exception e) when (ProblemDetailsExceptionHandler.IsUnavailable(e))
        {
            // The database is down: let it in, as the connect check does; its first join checks the session again.
        }
        // A replica handing its connections over asks this one to move too when its handshake ended after the handover
        // began (otherwise a service lookup and a flag read; the handover exists only with Redis).
        if (services.GetService<HubHandover>() is { } handover) await handover.AskIfLateAsync(Context.ConnectionId);
        await base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        RealtimeMetrics.Connections.Dec();
        await ForgetAsync();
        await base.OnDisconnectedAsync(exception);
    }

    /// <summary>Forgets this closed connection here and its presence entries: those of the boards it joined here, and
    /// <paramref name="also"/>'s (a join that outlived the connection's disconnection, which found nothing of it yet).</summary>
    private async Task ForgetAsync(Guid? also = null)
    {
        var userId = UserId;
        IReadOnlyCollection<Guid> joined = local.Remove(Context.ConnectionId);
        if (also is { } board && !joined.Contains(board))
        {
            local.Leave(Context.ConnectionId, board); // (a join racing the removal can leave the connection on the board alone)
            joined = [.. joined, board];
        }
        foreach (var boardId in joined)
        {
            try
            {
                if (await presence.RemoveAsync(boardId, Context.ConnectionId, userId)) await boards.BroadcastAsync(boardId);
            }
            catch (Exception e) when (ProblemDetailsExceptionHandler.IsUnavailable(e))
            {
                // Redis down: the entry expires by itself (nobody here refreshes it any more); the other boards' go on.
            }
        }
    }
}
