using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.WebUtilities;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// The slim shape of a task event, for hub connections that ask for it (<c>/hubs/board?events=delta</c>): a
/// <c>TaskUpdated</c> or <c>TaskMoved</c> carries the fields that changed and what the client needs besides them (the
/// version for its next <c>If-Match</c>, <c>updatedAt</c>, the card's place when it may have moved), a
/// <c>TaskDeleted</c> only the task's id. Every other event (<c>TaskCreated</c> included) keeps the full shape.
/// <code>
/// {boardId, seq, type, taskId, actorId, at, version, updatedAt? (when not `at`), changes: [{field, to}],
///  status?, position?       (when status, position or archivedAt changed)
///  completedAt?             (when status changed; null included)
///  escalatedAt?}            (when priority changed; null included)
/// </code>
/// Built from the full event (<see cref="From"/>), so a live push, a join's catch-up and a replica that got the event
/// through Redis all give the same delta; it is serialised once per protocol for all of a replica's delta viewers.
/// </summary>
[JsonConverter(typeof(TaskDeltaConverter))]
public sealed record TaskDeltaDto(BoardEventDto Full)
{
    /// <summary>True when the hub connection's query asks for delta events (<c>events=delta</c>).</summary>
    public static bool Requested(string? rawQuery)
    {
        if (string.IsNullOrEmpty(rawQuery) || !rawQuery.Contains("events=", StringComparison.Ordinal)) return false;
        return QueryHelpers.ParseQuery(rawQuery).TryGetValue("events", out var v) && v.ToString() == "delta";
    }

    /// <summary>The delta of an event, or null when its type keeps the full shape (or it has no task).</summary>
    public static TaskDeltaDto? From(BoardEventDto e) =>
        e.Task is not null && e.Type is BoardEventTypes.TaskUpdated or BoardEventTypes.TaskMoved or BoardEventTypes.TaskDeleted ? new(e) : null;

    /// <summary>The payload a connection of that shape gets for <paramref name="e"/>.</summary>
    public static object Payload(BoardEventDto e, bool delta) => delta && From(e) is { } d ? d : e;

    /// <summary>The client method an event is sent as (<see cref="BoardClientExtensions.EventAsync"/>'s mapping).</summary>
    public static string Method(BoardEventDto e) => BoardClientExtensions.MethodFor(e.Type);
}

/// <summary>Writes a <see cref="TaskDeltaDto"/> (hub payloads are only written; the JSON protocol and, through it, MessagePack).</summary>
internal sealed class TaskDeltaConverter : JsonConverter<TaskDeltaDto>
{
    public override TaskDeltaDto Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Delta events are only sent.");

    public override void Write(Utf8JsonWriter w, TaskDeltaDto value, JsonSerializerOptions options)
    {
        var e = value.Full;
        var task = e.Task!;
        w.WriteStartObject();
        w.WriteString("boardId", e.BoardId);
        w.WriteNumber("seq", e.Seq);
        w.WriteString("type", e.Type);
        w.WriteString("taskId", task.Id);
        if (e.ActorId is { } actor) w.WriteString("actorId", actor); else w.WriteNull("actorId");
        w.WriteString("at", e.At);
        if (e.Type != BoardEventTypes.TaskDeleted)
        {
            w.WriteNumber("version", task.Version);
            // stamped with the event's time (AuditTimestamps): sent only when it is not `at` (give or take the database's microseconds)
            if (Math.Abs((task.UpdatedAt - e.At).Ticks) >= 10) w.WriteString("updatedAt", task.UpdatedAt);
            bool status = false, placed = false, priority = false;
            w.WriteStartArray("changes");
            foreach (var c in e.Changes)
            {
                w.WriteStartObject();
                w.WriteString("field", c.Field);
                if (c.To is null) w.WriteNull("to"); else w.WriteString("to", c.To);
                w.WriteEndObject();
                status |= c.Field == "status";
                placed |= c.Field is "status" or "position" or "archivedAt";
                priority |= c.Field == "priority";
            }
            w.WriteEndArray();
            if (placed)
            {
                w.WritePropertyName("status");
                JsonSerializer.Serialize(w, task.Status, options);
                w.WriteString("position", task.Position);
            }
            if (status) WriteDate(w, "completedAt", task.CompletedAt, options);
            if (priority) WriteDate(w, "escalatedAt", task.EscalatedAt, options);
        }
        w.WriteEndObject();
    }

    private static void WriteDate(Utf8JsonWriter w, string name, DateTime? value, JsonSerializerOptions options)
    {
        w.WritePropertyName(name);
        JsonSerializer.Serialize(w, value, options);
    }
}
