using System.Text.Json;
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
}

/// <summary>One field that changed: values as they appear on the wire (null when empty).</summary>
public sealed record FieldChange(string Field, string? From, string? To);

/// <summary>An event as clients see it: <c>{boardId, seq, type, task, actorId, changes, at}</c>.</summary>
public sealed record BoardEventDto(Guid BoardId, long Seq, string Type, TaskDto Task, Guid? ActorId, IReadOnlyList<FieldChange> Changes, DateTime At)
{
    /// <summary>The wire shape of a stored event: the one built when it was appended, else read back from its row.</summary>
    public static BoardEventDto From(BoardEvent e) => e.Wire ?? new(
        e.BoardId, e.Seq, e.Type,
        JsonSerializer.Deserialize<TaskDto>(e.TaskJson, TaskHubJson.Options)!,
        e.ActorId,
        JsonSerializer.Deserialize<List<FieldChange>>(e.ChangesJson, TaskHubJson.Options)!,
        e.At);
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
