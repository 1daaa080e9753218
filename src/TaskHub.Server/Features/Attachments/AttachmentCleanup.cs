using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Attachments;

public static class AttachmentOutboxKinds
{
    /// <summary>One row per board event (an <see cref="OutboxConsumer"/>): a deleted task's or removed attachment's files.</summary>
    public const string Events = "attachments";
    /// <summary>A deleted board's files, by prefix.</summary>
    public const string Purge = "attachments-purge";
}

/// <summary>
/// Deletes stored files once the change that dropped them is committed: the outbox rows are written in that
/// change's transaction (never for a rolled-back one) and retried with backoff until the store answers.
/// </summary>
public sealed class AttachmentEventsHandler(IAttachmentStore store) : IOutboxHandler
{
    public string Kind => AttachmentOutboxKinds.Events;

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, m =>
        {
            var e = JsonSerializer.Deserialize<BoardEventDto>(m.Payload, TaskHubJson.Options)!;
            return e switch
            {
                { Type: BoardEventTypes.TaskDeleted, Task: { } task } => store.DeletePrefixAsync(Attachment.TaskPrefix(e.BoardId, task.Id), ct),
                { Type: BoardEventTypes.AttachmentRemoved, Task: { } task, Attachment: { } a } => store.DeleteAsync(Attachment.KeyFor(e.BoardId, task.Id, a.Id), ct),
                _ => Task.CompletedTask,
            };
        });
}

public sealed record PurgeRequest(string Prefix);

public sealed class AttachmentPurgeHandler(IAttachmentStore store) : IOutboxHandler
{
    public string Kind => AttachmentOutboxKinds.Purge;

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, m => store.DeletePrefixAsync(JsonSerializer.Deserialize<PurgeRequest>(m.Payload, TaskHubJson.Options)!.Prefix, ct));
}

/// <summary>A board being deleted queues the deletion of its files in the same transaction.</summary>
public sealed class PurgeOnBoardDeletion(TaskHubDbContext db, TimeProvider clock) : IBoardMembershipHandler
{
    public async Task BoardDeletingAsync(Guid boardId, CancellationToken ct)
    {
        var prefix = Attachment.BoardPrefix(boardId);
        db.Add(OutboxWriter.New(AttachmentOutboxKinds.Purge, $"{AttachmentOutboxKinds.Purge}:{boardId:N}",
            JsonSerializer.Serialize(new PurgeRequest(prefix), TaskHubJson.Options), clock.GetUtcNow().UtcDateTime));
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>
/// Removes the objects of uploads that never became attachments (the server stopped between storing the bytes
/// and committing the row, or the task went meanwhile): their pending-upload rows outlive <see cref="Grace"/>.
/// </summary>
public sealed partial class PendingUploadSweeper(IServiceScopeFactory scopes, TimeProvider clock, ILogger<PendingUploadSweeper> log) : BackgroundService
{
    public static readonly TimeSpan Grace = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogSweepFailed(log, e);
            }
            await Task.Delay(TimeSpan.FromMinutes(5), clock, stoppingToken);
        }
    }

    public async Task<int> SweepAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var store = scope.ServiceProvider.GetRequiredService<IAttachmentStore>();
        var before = clock.GetUtcNow().UtcDateTime - Grace;
        var stale = await db.Set<PendingUpload>().Where(p => p.CreatedAt < before).OrderBy(p => p.CreatedAt).Take(500).ToListAsync(ct);
        foreach (var p in stale)
        {
            await store.DeleteAsync(p.StorageKey, ct);
            db.Remove(p);
        }
        await db.SaveChangesAsync(ct);
        return stale.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping interrupted uploads failed; will try again")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
