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
/// itself; <paramref name="ActiveOn"/>, when given, says whether the consumer has anything to do on a board at all
/// (read in the write's own transaction, after the board's seq lock): a board's events get no row when it says no.</summary>
public sealed record OutboxConsumer(string Kind, Func<BoardEvent, bool>? Wants = null, Func<DbContext, Guid, CancellationToken, Task<bool>>? ActiveOn = null);

/// <summary>
/// Adds the outbox rows for every board event being saved, in the same SaveChanges (so the same
/// transaction) as the event and the change itself: a change is never committed without its announcements.
/// </summary>
public sealed class OutboxWriter(OutboxTargets targets, IEnumerable<OutboxConsumer> consumers, TimeProvider clock) : ISaveChangesInterceptor
{
    private readonly OutboxConsumer[] _consumers = consumers.ToArray();

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken ct = default)
    {
        if (eventData.Context is { } context && Added(context) is { Count: > 0 } added)
            Write(context, added, await InactiveAsync(context, added, ct), await NoEmailAsync(context, added, ct));
        return result;
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        // (Board events are saved by BoardStream, asynchronously; a synchronous save of one waits for the same reads.)
        if (eventData.Context is { } context && Added(context) is { Count: > 0 } added)
            Write(context, added, InactiveAsync(context, added, CancellationToken.None).GetAwaiter().GetResult(),
                NoEmailAsync(context, added, CancellationToken.None).GetAwaiter().GetResult());
        return result;
    }

    /// <summary>
    /// (SQLite:) the events whose change email would go to nobody, so they get no <c>task-email</c> row: not a kind that is
    /// emailed, or nobody involved but the actor (<see cref="ChangeEmailRenderer.PeopleInvolved"/>) on a board nobody
    /// watches (read after the board's seq lock; starting to watch takes that lock, Inbox's PutBoardSettings).
    /// Whoever is involved is in the event itself, so the handler decides the rest as before.
    /// </summary>
    private async Task<HashSet<BoardEvent>?> NoEmailAsync(DbContext context, List<BoardEvent> added, CancellationToken ct)
    {
        if (!targets.Email || !ChecksAreCheap(context)) return null;
        HashSet<BoardEvent>? none = null;
        Dictionary<Guid, bool>? watched = null;
        foreach (var e in added)
        {
            if (e.Wire is not { } wire) continue; // (not built by BoardWrite.Record: the handler decides)
            if (ChangeEmailRenderer.Emailed(wire))
            {
                var people = ChangeEmailRenderer.PeopleInvolved(wire);
                if (wire.ActorId is { } actor) people.Remove(actor);
                if (people.Count > 0) continue;
                watched ??= [];
                if (!watched.TryGetValue(e.BoardId, out var any))
                    watched[e.BoardId] = any = await BoardNotificationRules.AnyWatcherAsync((TaskHubDbContext)context, e.BoardId, ct);
                if (any) continue;
            }
            (none ??= []).Add(e);
        }
        return none;
    }

    private static List<BoardEvent> Added(DbContext context) =>
        context.ChangeTracker.Entries<BoardEvent>().Where(e => e.State == EntityState.Added).Select(e => e.Entity).ToList();

    /// <summary>
    /// Whether to read, before adding rows, which ones have nothing to do (<see cref="OutboxConsumer.ActiveOn"/>, the
    /// watchers). Only on SQLite, where such a read is an in-process call of microseconds. On MariaDB it is a round
    /// trip inside the board's seq lock, which every queued writer of the board waits for: measured, it cost more
    /// (16 writers on one board: 386 → 116 writes/s) than the row it saves, which is one more line of the INSERT batch
    /// the write sends anyway, and the dispatcher's work after the commit, outside the lock.
    /// </summary>
    private static bool ChecksAreCheap(DbContext context) => context.Database.IsSqlite();

    /// <summary>The (consumer, board) pairs that get no rows: the consumer's <see cref="OutboxConsumer.ActiveOn"/> said no.</summary>
    private async Task<HashSet<(string Kind, Guid Board)>?> InactiveAsync(DbContext context, List<BoardEvent> added, CancellationToken ct)
    {
        if (!ChecksAreCheap(context)) return null;
        HashSet<(string, Guid)>? inactive = null;
        foreach (var consumer in _consumers)
        {
            if (consumer.ActiveOn is not { } activeOn) continue;
            foreach (var board in added.Select(e => e.BoardId).Distinct())
                if (!await activeOn(context, board, ct)) (inactive ??= []).Add((consumer.Kind, board));
        }
        return inactive;
    }

    private void Write(DbContext context, List<BoardEvent> added, HashSet<(string Kind, Guid Board)>? inactive, HashSet<BoardEvent>? noEmail)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var e in added)
        {
            var payload = e.WireJson; // serialised once; every row below carries these same bytes
            var id = $"{e.BoardId:N}:{e.Seq}";
            foreach (var consumer in _consumers) // change log, inbox, files, webhooks: each only for the events it acts on
                if (consumer.Wants?.Invoke(e) != false && inactive?.Contains((consumer.Kind, e.BoardId)) != true)
                    context.Add(New(consumer.Kind, $"{consumer.Kind}:{id}", payload, now));
            if (targets.BusEvents) context.Add(New(OutboxKinds.BusEvent, $"event:{id}", BusEvent.Serialize(e.Type, payload), now));
            if (targets.Email && noEmail?.Contains(e) != true) context.Add(New(OutboxKinds.TaskEmail, $"task-email:{id}", payload, now));
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
