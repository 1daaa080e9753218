using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// The live board at <c>/hubs/board</c>. A client joins a board (membership checked) and then receives its
/// events; clients never name groups. Writes go through REST; the hub only reads.
/// </summary>
[Authorize]
public sealed class BoardHub(TaskHubDbContext db, IPresenceStore presence, BoardPresence boards, LocalConnections local,
    BoardEventFeed feed, CatchUpReads catchUp, IOptions<RealtimeOptions> options, IHubContext<BoardHub> untyped) : Hub<IBoardClient>
{
    public static string Group(Guid boardId) => $"board:{boardId:N}";

    private Guid UserId => Context.User!.GetUserId();

    /// <summary>Whether this connection asked for delta events (<c>/hubs/board?events=delta</c>, see <see cref="TaskDeltaDto"/>).
    /// Read from the request's query string each time rather than kept per connection.</summary>
    private bool Delta => local.IsDelta(Context.ConnectionId) || TaskDeltaDto.Requested(Context.GetHttpContext()?.Request.QueryString.Value);

    /// <summary>
    /// Sends the events after <paramref name="afterSeq"/> (when given), then joins the board's group, then
    /// sends the board's head seq: an event committed between the catch-up and the join shows up as a head
    /// beyond what the client applied, which it then fetches. Non-members get a HubException and never join.
    /// </summary>
    public async Task JoinBoard(Guid boardId, long? afterSeq)
    {
        var userId = UserId;
        var ct = Context.ConnectionAborted;
        if (!await db.BoardMembers.AnyAsync(m => m.BoardId == boardId && m.UserId == userId, ct))
            throw new HubException("Board not found.");
        if (afterSeq is < 0) throw new HubException("afterSeq must be 0 or more.");

        var delta = Delta;
        if (afterSeq is { } after)
        {
            var pageSize = options.Value.CatchUpPageSize;
            while (true)
            {
                var (page, more) = await catchUp.PageAsync(boardId, after, pageSize, ct); // shared with concurrent joins of the board
                foreach (var e in page)
                {
                    // the shape the connection gets live: a delta connection's catch-up is what it would have got pushed
                    if (delta && TaskDeltaDto.From(e) is { } slim)
                        await untyped.Clients.Client(Context.ConnectionId).SendAsync(TaskDeltaDto.Method(e), slim, ct);
                    else
                        await Clients.Caller.EventAsync(e);
                    after = e.Seq;
                }
                if (!more || page.Count == 0) break;
            }
        }

        await Groups.AddToGroupAsync(Context.ConnectionId, Group(boardId), ct); // presence and access messages, from any replica
        await Groups.AddToGroupAsync(Context.ConnectionId, BoardEventFeed.LocalGroup(boardId, delta), ct); // the board's events, from this replica's feed
        local.Join(Context.ConnectionId, userId, boardId, delta);
        var head = await db.Boards.Where(b => b.Id == boardId).Select(b => b.LastSeq).SingleAsync(ct);
        feed.Track(boardId, head);
        await Clients.Caller.BoardHead(new BoardHeadDto(boardId, head));

        if (await presence.AddAsync(boardId, Context.ConnectionId, userId, boards.ExpiresFromNow()))
            await boards.BroadcastAsync(boardId);
        else
            await Clients.Caller.PresenceChanged(await boards.CurrentSharedAsync(boardId));
    }

    public async Task LeaveBoard(Guid boardId)
    {
        if (!local.Leave(Context.ConnectionId, boardId)) return;
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(boardId));
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, BoardEventFeed.LocalGroup(boardId, local.IsDelta(Context.ConnectionId)));
        if (await presence.RemoveAsync(boardId, Context.ConnectionId, UserId)) await boards.BroadcastAsync(boardId);
    }

    public override Task OnConnectedAsync()
    {
        RealtimeMetrics.Connections.Inc();
        return base.OnConnectedAsync();
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        RealtimeMetrics.Connections.Dec();
        var userId = UserId;
        foreach (var boardId in local.Remove(Context.ConnectionId))
        {
            if (await presence.RemoveAsync(boardId, Context.ConnectionId, userId)) await boards.BroadcastAsync(boardId);
        }
        await base.OnDisconnectedAsync(exception);
    }
}
