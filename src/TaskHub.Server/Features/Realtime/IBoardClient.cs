using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Features.Realtime;

/// <summary>What the server tells a browser board. Past-tense events, each carrying the board's seq.</summary>
public interface IBoardClient
{
    Task TaskCreated(BoardEventDto e);
    Task TaskUpdated(BoardEventDto e);
    Task TaskDeleted(BoardEventDto e);
    Task TaskMoved(BoardEventDto e);
    Task CommentAdded(BoardEventDto e);
    Task CommentEdited(BoardEventDto e);
    Task CommentDeleted(BoardEventDto e);
    Task ChecklistItemAdded(BoardEventDto e);
    Task ChecklistItemChanged(BoardEventDto e);
    Task ChecklistItemDeleted(BoardEventDto e);
    Task LabelsChanged(BoardEventDto e);
    Task AttachmentAdded(BoardEventDto e);
    Task AttachmentRemoved(BoardEventDto e);
    /// <summary>A column got fresh positions (<c>column</c>): move each listed card to its new place.</summary>
    Task ColumnRespread(BoardEventDto e);
    /// <summary>The board's owner renamed it (<c>board</c>: its new name and version).</summary>
    Task BoardRenamed(BoardEventDto e);
    /// <summary>Who has the board open now.</summary>
    Task PresenceChanged(PresenceDto presence);
    /// <summary>The board's latest seq (on join and periodically): a client behind it fetches what it lacks.</summary>
    Task BoardHead(BoardHeadDto head);
    /// <summary>The caller was removed from the board (or it was deleted): no more events will come.</summary>
    Task BoardAccessRevoked(BoardAccessRevokedDto revoked);
    /// <summary>Move: this replica is stopping (<see cref="HubHandover"/>) or holds more than its share of the connections
    /// (<see cref="HubRebalancer"/>; <c>reason</c> says which): open a new connection within <c>moveWithinMs</c> (at a random
    /// moment in it), rejoin from the last seq, then close this one. Events keep coming here until then. Sent only to
    /// connections that asked for it (<c>/hubs/board?handover=1</c>).</summary>
    Task ServerStopping(ServerStoppingDto stopping);
    /// <summary>A new item in the user's inbox: sent to every connection of that user, on every replica.</summary>
    Task NotificationAdded(NotificationDto notification);
}

public static class BoardClientExtensions
{
    /// <summary>Sends a board event as the client method its type names.</summary>
    public static Task EventAsync(this IBoardClient client, BoardEventDto e) => e.Type switch
    {
        BoardEventTypes.TaskCreated => client.TaskCreated(e),
        BoardEventTypes.TaskDeleted => client.TaskDeleted(e),
        BoardEventTypes.TaskMoved => client.TaskMoved(e),
        BoardEventTypes.CommentAdded => client.CommentAdded(e),
        BoardEventTypes.CommentEdited => client.CommentEdited(e),
        BoardEventTypes.CommentDeleted => client.CommentDeleted(e),
        BoardEventTypes.ChecklistItemAdded => client.ChecklistItemAdded(e),
        BoardEventTypes.ChecklistItemChanged => client.ChecklistItemChanged(e),
        BoardEventTypes.ChecklistItemDeleted => client.ChecklistItemDeleted(e),
        BoardEventTypes.LabelsChanged => client.LabelsChanged(e),
        BoardEventTypes.AttachmentAdded => client.AttachmentAdded(e),
        BoardEventTypes.AttachmentRemoved => client.AttachmentRemoved(e),
        BoardEventTypes.ColumnRespread => client.ColumnRespread(e),
        BoardEventTypes.BoardRenamed => client.BoardRenamed(e),
        _ => client.TaskUpdated(e),
    };

    /// <summary>The client method <see cref="EventAsync"/> sends an event of this type as (for untyped sends of other shapes).</summary>
    public static string MethodFor(string type) => type switch
    {
        BoardEventTypes.TaskCreated or BoardEventTypes.TaskDeleted or BoardEventTypes.TaskMoved or BoardEventTypes.CommentAdded
            or BoardEventTypes.CommentEdited or BoardEventTypes.CommentDeleted or BoardEventTypes.ChecklistItemAdded
            or BoardEventTypes.ChecklistItemChanged or BoardEventTypes.ChecklistItemDeleted or BoardEventTypes.LabelsChanged
            or BoardEventTypes.AttachmentAdded or BoardEventTypes.AttachmentRemoved or BoardEventTypes.ColumnRespread
            or BoardEventTypes.BoardRenamed => type,
        _ => BoardEventTypes.TaskUpdated,
    };
}

public sealed record PresenceUser(Guid UserId, string DisplayName);

public sealed record PresenceDto(Guid BoardId, IReadOnlyList<PresenceUser> Users);

public sealed record BoardHeadDto(Guid BoardId, long Seq);

public sealed record BoardAccessRevokedDto(Guid BoardId);
