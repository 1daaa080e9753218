using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Which announcements this deployment makes, decided once from configuration.</summary>
public sealed record OutboxTargets(bool ChangeLog, bool BusEvents, bool Email);

/// <summary>Registered by a feature that consumes every board event through the outbox: one row of this kind per event,
/// keyed <c>{kind}:{board}:{seq}</c>, carrying the event's wire JSON. <paramref name="Wants"/> filters by the event
/// itself; <paramref name="ActiveWhen"/>, when given, says whether the consumer has anything to do on a board at all
/// (a <see cref="BoardProbe"/> the feature registers too, answered by the write's seq statement, after the board's
/// lock): a board's events get no row when it answers no.</summary>
public sealed record OutboxConsumer(string Kind, Func<BoardEvent, bool>? Wants = null, BoardProbe? ActiveWhen = null);

/// <summary>
/// Adds the outbox rows for every board event being saved, in the same SaveChanges (so the same
/// transaction) as the event and the change itself: a change is never committed without its announcements.
/// Rows with nothing to do are left out by what the write's <see cref="BoardProbe"/>s answered (no read of its own:
/// on MariaDB a read here would be a round trip inside the board's lock, which every queued writer of the board waits
/// for); where there is no answer, the row is written and its handler decides.
/// </summary>
public sealed class OutboxWriter(OutboxTargets targets, IEnumerable<OutboxConsumer> consumers, TimeProvider clock) : ISaveChangesInterceptor
{
    private readonly OutboxConsumer[] _consumers = consumers.ToArray();

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        SavingChanges(eventData, result);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is { } context && Added(context) is { Count: > 0 } added)
            Write(context, added, TaskHubDbContext.UseState<BoardProbeAnswers>(context));
        return result;
    }

    /// <summary>
    /// Whether the event's change email would go to nobody, so it gets no <c>task-email</c> row: not a kind that is
    /// emailed, or nobody involved but the actor (<see cref="ChangeEmailRenderer.PeopleInvolved"/>) on a board nobody
    /// watches (<see cref="BoardNotificationRules.Watched"/>; starting to watch takes the board's lock, Inbox's
    /// PutBoardSettings). Whoever is involved is in the event itself, so the handler decides the rest as before.
    /// </summary>
    private static bool NoEmail(BoardEvent e, BoardProbeAnswers answers)
    {
        if (e.Wire is not { } wire) return false; // (not built by BoardWrite.Record: the handler decides)
        if (!ChangeEmailRenderer.Emailed(wire)) return true;
        var people = ChangeEmailRenderer.PeopleInvolved(wire);
        if (wire.ActorId is { } actor) people.Remove(actor);
        return people.Count == 0 && answers.Answer(BoardNotificationRules.Watched, e.BoardId) == false;
    }

    private static List<BoardEvent> Added(DbContext context) =>
        TaskHubDbContext.SavingEntries<BoardEvent>(context).Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();

    private void Write(DbContext context, List<BoardEvent> added, BoardProbeAnswers answers)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var e in added)
        {
            var payload = e.WireJson; // serialised once; every row below carries these same bytes
            var id = $"{e.BoardId:N}:{e.Seq}";
            foreach (var consumer in _consumers) // change log, inbox, files, webhooks: each only for the events it acts on
                if (consumer.Wants?.Invoke(e) != false && (consumer.ActiveWhen is not { } probe || answers.Answer(probe, e.BoardId) != false))
                    context.Add(New(consumer.Kind, $"{consumer.Kind}:{id}", payload, now));
            if (targets.BusEvents) context.Add(New(OutboxKinds.BusEvent, $"event:{id}", BusEvent.Serialize(e.Type, payload), now));
            if (targets.Email && !NoEmail(e, answers)) context.Add(New(OutboxKinds.TaskEmail, $"task-email:{id}", payload, now));
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
