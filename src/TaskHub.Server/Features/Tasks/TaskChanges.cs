using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

/// <summary>Applying a change to a task and describing it as <see cref="FieldChange"/>s.</summary>
public static class TaskChanges
{
    public static string Format(DateTime? value) =>
        value?.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture) ?? "";

    private static void Track<T>(List<FieldChange> changes, string field, T from, T to, Func<T, string?> show)
    {
        if (!EqualityComparer<T>.Default.Equals(from, to)) changes.Add(new FieldChange(field, show(from), show(to)));
    }

    /// <summary>Every non-empty field of a new task, as changes from nothing.</summary>
    public static List<FieldChange> Describe(TaskItem t) => Diff(new TaskItem { Title = "", BoardId = t.BoardId, Priority = t.Priority, Status = t.Status, Version = 0 }, t, includeDefaults: true);

    /// <summary>What differs between two states of a task, in a stable field order.</summary>
    public static List<FieldChange> Diff(TaskItem before, TaskItem after, bool includeDefaults = false)
    {
        var c = new List<FieldChange>();
        Track(c, "title", before.Title, after.Title, v => v == "" ? null : v);
        Track(c, "description", before.Description, after.Description, v => v);
        if (includeDefaults) c.Add(new FieldChange("status", null, TaskHubJson.EnumName(after.Status)));
        else Track(c, "status", before.Status, after.Status, v => TaskHubJson.EnumName(v));
        if (includeDefaults) c.Add(new FieldChange("priority", null, TaskHubJson.EnumName(after.Priority)));
        else Track(c, "priority", before.Priority, after.Priority, v => TaskHubJson.EnumName(v));
        Track(c, "dueAt", before.DueAt, after.DueAt, v => v is null ? null : Format(v));
        Track(c, "assigneeId", before.AssigneeId, after.AssigneeId, v => v?.ToString());
        Track(c, "supervisorId", before.SupervisorId, after.SupervisorId, v => v?.ToString());
        Track(c, "labelIds", before.LabelIds, after.LabelIds, v => v == "" ? null : v);
        Track(c, "archivedAt", before.ArchivedAt, after.ArchivedAt, v => v is null ? null : Format(v));
        return c;
    }

    /// <summary>A copy of the fields a diff compares.</summary>
    public static TaskItem Snapshot(TaskItem t) => new()
    {
        Id = t.Id, BoardId = t.BoardId, Title = t.Title, Description = t.Description, Status = t.Status,
        Priority = t.Priority, DueAt = t.DueAt, AssigneeId = t.AssigneeId, SupervisorId = t.SupervisorId,
        LabelIds = t.LabelIds, ArchivedAt = t.ArchivedAt, Position = t.Position,
    };

    /// <summary>Sets the status; moving to done stamps completedAt, leaving done clears it.</summary>
    public static void SetStatus(TaskItem t, TaskState status, DateTime now)
    {
        if (t.Status == status) return;
        t.Status = status;
        t.CompletedAt = status == TaskState.Done ? now : null;
    }
}

/// <summary>Whoever leaves a board is taken off its tasks as assignee and supervisor: each an ordinary recorded change.</summary>
internal sealed class UnassignOnLeave(TaskHubDbContext db, BoardStream stream) : IBoardMembershipHandler
{
    public async Task MemberLeavingAsync(Guid boardId, Guid userId, Guid? actorId, CancellationToken ct)
    {
        if (!await db.Tasks.AnyAsync(t => t.BoardId == boardId && (t.AssigneeId == userId || t.SupervisorId == userId), ct)) return;
        await stream.WriteAsync(boardId, actorId, async write =>
        {
            var tasks = await db.Tasks
                .Where(t => t.BoardId == boardId && (t.AssigneeId == userId || t.SupervisorId == userId))
                .OrderBy(t => t.Id).ToListAsync(ct);
            foreach (var task in tasks)
            {
                var before = TaskChanges.Snapshot(task);
                if (task.AssigneeId == userId) task.AssigneeId = null;
                if (task.SupervisorId == userId) task.SupervisorId = null;
                write.Record(BoardEventTypes.TaskUpdated, task, TaskChanges.Diff(before, task));
            }
            return tasks.Count;
        }, ct);
    }
}
