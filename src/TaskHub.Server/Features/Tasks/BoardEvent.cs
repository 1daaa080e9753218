using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

public static class BoardEventTypes
{
    public const string TaskCreated = nameof(TaskCreated);
    public const string TaskUpdated = nameof(TaskUpdated);
    public const string TaskDeleted = nameof(TaskDeleted);
    public const string TaskMoved = nameof(TaskMoved);
    public const string CommentAdded = nameof(CommentAdded);
    public const string CommentEdited = nameof(CommentEdited);
    public const string CommentDeleted = nameof(CommentDeleted);
    public const string ChecklistItemAdded = nameof(ChecklistItemAdded);
    public const string ChecklistItemChanged = nameof(ChecklistItemChanged);
    public const string ChecklistItemDeleted = nameof(ChecklistItemDeleted);
    public const string LabelsChanged = nameof(LabelsChanged);
    public const string AttachmentAdded = nameof(AttachmentAdded);
    public const string AttachmentRemoved = nameof(AttachmentRemoved);
    /// <summary>A column got fresh, short positions (a gap worn out by many inserts): board-level bookkeeping, not a
    /// change anyone made to a card, so it is in no task's history, no email, no digest, no inbox.</summary>
    public const string ColumnRespread = nameof(ColumnRespread);
    /// <summary>An owner renamed the board (<c>board</c>: its new name and version; the change <c>name</c>). Board-level:
    /// no task, no email, no inbox.</summary>
    public const string BoardRenamed = nameof(BoardRenamed);

    /// <summary>Types that are the board's own bookkeeping: webhooks get them only when they ask for them by name.</summary>
    public static readonly IReadOnlySet<string> Internal = new HashSet<string>(StringComparer.Ordinal) { ColumnRespread };
}

/// <summary>A task's place in its column.</summary>
public sealed record TaskPositionDto(Guid TaskId, string Position);

/// <summary>A column's new positions after a respread: every card of <c>status</c>, top to bottom.</summary>
public sealed record ColumnPositionsDto(TaskState Status, IReadOnlyList<TaskPositionDto> Positions);

/// <summary>One field that changed: values as they appear on the wire (null when empty).</summary>
public sealed record FieldChange(string Field, string? From, string? To);

/// <summary>What an event is about besides its task: the comment, checklist item or label it concerns.</summary>
public sealed record EventSubject(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] CommentDto? Comment = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ChecklistItemDto? Item = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LabelDto? Label = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] AttachmentDto? Attachment = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ColumnPositionsDto? Column = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BoardNameDto? Board = null);

/// <summary>
/// An event as clients see it: <c>{boardId, seq, type, task, actorId, changes, at}</c>, plus <c>comment</c>,
/// <c>item</c>, <c>label</c>, <c>attachment</c> or <c>column</c> when it concerns one. <c>task</c> is the task's current
/// summary; null only for a board-level change (a label created, renamed or deleted; a column respread).
/// </summary>
public sealed record BoardEventDto(Guid BoardId, long Seq, string Type, TaskDto? Task, Guid? ActorId, IReadOnlyList<FieldChange> Changes, DateTime At)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public CommentDto? Comment { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ChecklistItemDto? Item { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public LabelDto? Label { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public AttachmentDto? Attachment { get; init; }
    /// <summary>A <c>ColumnRespread</c>'s column: its status and every card's new position, top to bottom.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ColumnPositionsDto? Column { get; init; }
    /// <summary>A <c>BoardRenamed</c>'s board: its new name and version.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public BoardNameDto? Board { get; init; }

    /// <summary>The wire shape of a stored event: the one built when it was appended, else read back from its row.</summary>
    public static BoardEventDto From(BoardEvent e)
    {
        if (e.Wire is not null) return e.Wire;
        var subject = e.SubjectJson is null ? null : JsonSerializer.Deserialize<EventSubject>(e.SubjectJson, TaskHubJson.Options);
        return new(e.BoardId, e.Seq, e.Type,
            JsonSerializer.Deserialize<TaskDto?>(e.TaskJson, TaskHubJson.Options),
            e.ActorId,
            JsonSerializer.Deserialize<List<FieldChange>>(e.ChangesJson, TaskHubJson.Options)!,
            e.At)
        {
            Comment = subject?.Comment, Item = subject?.Item, Label = subject?.Label, Attachment = subject?.Attachment, Column = subject?.Column, Board = subject?.Board,
        };
    }
}

/// <summary>
/// One change on a board, written by <see cref="BoardStream"/> in the same transaction as the change itself.
/// (BoardId, Seq) is unique and gap-free per board. The task snapshot and the field changes are stored as JSON.
/// </summary>
public sealed class BoardEvent
{
    private string? _json;

    public long Id { get; set; }
    public Guid BoardId { get; set; }
    public long Seq { get; set; }
    public required string Type { get; set; }
    public Guid TaskId { get; set; }
    /// <summary>Who made the change; null for the system (jobs).</summary>
    public Guid? ActorId { get; set; }
    public required string TaskJson { get; set; }
    public required string ChangesJson { get; set; }
    /// <summary>The comment, checklist item or label the event concerns (an <see cref="EventSubject"/>), if any.</summary>
    public string? SubjectJson { get; set; }
    public DateTime At { get; set; }

    /// <summary>The wire shape, built once when the event is appended (not stored: the columns above are).</summary>
    public BoardEventDto? Wire { get; init; }

    /// <summary>The wire shape as JSON, serialised once and shared by every consumer (outbox rows, the bus).</summary>
    public string WireJson => _json ??= JsonSerializer.Serialize(BoardEventDto.From(this), TaskHubJson.Options);
}

internal sealed class BoardEventConfiguration : IEntityTypeConfiguration<BoardEvent>
{
    public void Configure(EntityTypeBuilder<BoardEvent> b)
    {
        b.ToTable("board_events");
        b.HasIndex(e => new { e.BoardId, e.Seq }).IsUnique();
        b.HasIndex(e => new { e.TaskId, e.Seq });
        b.Property(e => e.Type).HasMaxLength(32);
        b.Ignore(e => e.Wire);
        b.Ignore(e => e.WireJson);
        b.HasOne<Board>().WithMany().HasForeignKey(e => e.BoardId).OnDelete(DeleteBehavior.Cascade);
    }
}
