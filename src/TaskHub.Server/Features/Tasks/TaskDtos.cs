using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

public sealed record ChecklistProgress(int Done, int Total);

public sealed record TaskDto(
    Guid Id, Guid BoardId, string Title, string? Description, TaskState Status, TaskPriority Priority,
    DateTime? DueAt, Guid? AssigneeId, Guid? SupervisorId, Guid? CreatedById,
    DateTime CreatedAt, DateTime UpdatedAt, DateTime? CompletedAt, int Version,
    string Position, IReadOnlyList<Guid> LabelIds, ChecklistProgress Checklist, int CommentCount, int AttachmentCount, DateTime? ArchivedAt,
    DateTime? EscalatedAt)
{
    public static TaskDto From(TaskItem t) => new(
        t.Id, t.BoardId, t.Title, t.Description, t.Status, t.Priority, t.DueAt, t.AssigneeId, t.SupervisorId,
        t.CreatedById, t.CreatedAt, t.UpdatedAt, t.CompletedAt, t.Version,
        t.Position, t.Labels, new ChecklistProgress(t.ChecklistDone, t.ChecklistTotal), t.CommentCount, t.AttachmentCount, t.ArchivedAt, t.EscalatedAt);

    [JsonIgnore] public string ETag => ETags.Of(Version);
}

public sealed record CreateTaskRequest(
    [property: Required(ErrorMessage = "Title is required."), MaxLength(TaskRules.TitleMax)] string Title,
    [property: MaxLength(TaskRules.DescriptionMax)] string? Description = null,
    TaskState? Status = null,
    TaskPriority? Priority = null,
    DateTimeOffset? DueAt = null,
    Guid? AssigneeId = null,
    Guid? SupervisorId = null,
    List<Guid>? LabelIds = null);

/// <summary>Any subset of a task's fields; a field that is absent stays as it is, null clears it.</summary>
public sealed record UpdateTaskRequest(
    Optional<string?> Title,
    Optional<string?> Description,
    Optional<TaskState?> Status,
    Optional<TaskPriority?> Priority,
    Optional<DateTimeOffset?> DueAt,
    Optional<Guid?> AssigneeId,
    Optional<Guid?> SupervisorId,
    Optional<List<Guid>?> LabelIds);

/// <summary>Where to put a task: a column, and the task it goes right after (none: the top).</summary>
public sealed record MoveTaskRequest([property: Required(ErrorMessage = "Status is required.")] TaskState? Status, Guid? AfterId = null);
