using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Activity;

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
    public static BoardEventDto From(BoardEvent e) => new(
        e.BoardId, e.Seq, e.Type,
        JsonSerializer.Deserialize<TaskDto>(e.TaskJson, TaskHubJson.Options)!,
        e.ActorId,
        JsonSerializer.Deserialize<List<FieldChange>>(e.ChangesJson, TaskHubJson.Options)!,
        e.At);
}

/// <summary>
/// Appends to a board's event log. Must run inside the change's transaction, and
/// <see cref="ReserveSeqAsync"/> must be its first statement: the UPDATE takes the board row's lock, so
/// writers of one board queue there, each gets the next seq, and a rolled-back change gives its seq back.
/// </summary>
public static class BoardLog
{
    /// <summary>Takes the next <paramref name="count"/> seqs of the board and returns the first of them
    /// (with a count of 0, only takes the board's lock and returns the next seq without using it).</summary>
    public static async Task<long> ReserveSeqAsync(TaskHubDbContext db, Guid boardId, CancellationToken ct, int count = 1)
    {
        var updated = await db.Boards.Where(b => b.Id == boardId)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.LastSeq, b => b.LastSeq + count), ct);
        if (updated != 1) throw new InvalidOperationException($"Board {boardId} does not exist.");
        var last = await db.Boards.Where(b => b.Id == boardId).Select(b => b.LastSeq).SingleAsync(ct);
        return last - count + 1;
    }

    public static BoardEvent Append(TaskHubDbContext db, long seq, string type, TaskItem task, Guid? actorId,
        IReadOnlyList<FieldChange> changes, DateTime at)
    {
        var e = new BoardEvent
        {
            BoardId = task.BoardId,
            Seq = seq,
            Type = type,
            TaskId = task.Id,
            ActorId = actorId,
            TaskJson = JsonSerializer.Serialize(TaskDto.From(task), TaskHubJson.Options),
            ChangesJson = JsonSerializer.Serialize(changes, TaskHubJson.Options),
            At = at,
        };
        db.BoardEvents.Add(e);
        return e;
    }
}
