using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Which announcements this deployment makes, decided once from configuration.</summary>
public sealed record OutboxTargets(bool ChangeLog, bool BusEvents, bool Email);

/// <summary>Registered by a feature that consumes every board event through the outbox: one row of this kind per event,
/// keyed <c>{kind}:{board}:{seq}</c>, carrying the event's wire JSON.</summary>
public sealed record OutboxConsumer(string Kind, Func<BoardEvent, bool>? Wants = null);

/// <summary>
/// Adds the outbox rows for every board event being saved, in the same SaveChanges (so the same
/// transaction) as the event and the change itself: a change is never committed without its announcements.
/// </summary>
public sealed class OutboxWriter(OutboxTargets targets, IEnumerable<OutboxConsumer> consumers, TimeProvider clock) : ISaveChangesInterceptor
{
    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        Write(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Write(eventData.Context);
        return result;
    }

    private void Write(DbContext? context)
    {
        if (context is null) return;
        var added = context.ChangeTracker.Entries<BoardEvent>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();
        if (added.Count == 0) return;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var e in added)
        {
            var payload = e.WireJson; // serialised once; every row below carries these same bytes
            var id = $"{e.BoardId:N}:{e.Seq}";
            foreach (var consumer in consumers) // change log, inbox, files, webhooks: each only for the events it acts on
                if (consumer.Wants?.Invoke(e) != false) context.Add(New(consumer.Kind, $"{consumer.Kind}:{id}", payload, now));
            if (targets.BusEvents) context.Add(New(OutboxKinds.BusEvent, $"event:{id}", BusEvent.Serialize(e.Type, payload), now));
            if (targets.Email) context.Add(New(OutboxKinds.TaskEmail, $"task-email:{id}", payload, now));
        }
    }

    public static OutboxMessage New(string kind, string key, string payload, DateTime now) =>
        new() { Kind = kind, Key = key, Payload = payload, CreatedAt = now, NextAttemptAt = now };
}

/// <summary>An event for the bus: its detail type and its JSON detail.</summary>
public sealed record BusEvent(string DetailType, JsonElement Detail)
{
    /// <summary><c>{"detailType": …, "detail": …}</c> around JSON that is already serialised (not parsed again).</summary>
    public static string Serialize(string detailType, string detailJson)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(detailJson.Length + 64);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("detailType", detailType);
            w.WritePropertyName("detail");
            w.WriteRawValue(detailJson, skipInputValidation: true);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
