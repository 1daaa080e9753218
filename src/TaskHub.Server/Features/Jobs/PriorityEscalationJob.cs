using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Tasks;

namespace TaskHub.Server.Features.Jobs;

/// <summary>
/// Raises the priority of open tasks as their deadline nears: due within <see cref="JobsOptions.EscalateWithinHours"/>
/// → at least <c>high</c>; overdue → <c>urgent</c>. Never lowers a priority. Each escalation is an ordinary
/// change made by the system (actor null): a board event with its seq, pushed live, logged and emailed.
/// Re-running changes nothing that is already high enough. The task's <c>escalatedAt</c> says when it last did.
/// </summary>
public sealed class PriorityEscalationJob(TaskHubDbContext db, BoardStream stream, IOptions<JobsOptions> options, TimeProvider clock)
{
    public const string Id = "priority-escalation";

    public static TaskPriority Target(DateTime due, DateTime now, int withinHours) =>
        due <= now ? TaskPriority.Urgent : due <= now.AddHours(withinHours) ? TaskPriority.High : TaskPriority.Low;

    public Task RunAsync(CancellationToken ct) => JobMetrics.TrackAsync(Id, () => RunCoreAsync(ct));

    private async Task RunCoreAsync(CancellationToken ct)
    {
        var within = options.Value.EscalateWithinHours;
        var now = clock.GetUtcNow().UtcDateTime;
        var horizon = now.AddHours(within);
        Guid? after = null;
        while (true)
        {
            var batch = await db.Tasks.AsNoTracking()
                .Where(t => (after == null || t.Id.CompareTo(after.Value) > 0) && t.Status != TaskState.Done
                            && t.DueAt != null && t.DueAt <= horizon && t.Priority != TaskPriority.Urgent)
                .OrderBy(t => t.Id).Take(options.Value.BatchSize)
                .Select(t => new { t.Id, t.BoardId, t.Priority, t.DueAt })
                .ToListAsync(ct);
            if (batch.Count == 0) break;
            after = batch[^1].Id;
            foreach (var c in batch.Where(c => Target(c.DueAt!.Value, now, within) > c.Priority))
                await EscalateAsync(c.Id, c.BoardId, now, within, ct);
        }
    }

    private async Task EscalateAsync(Guid taskId, Guid boardId, DateTime now, int within, CancellationToken ct)
    {
        await stream.WriteAsync(boardId, actorId: null, async write =>
        {
            // A fresh read under the board's lock: someone may have changed the task since the scan.
            var task = await db.Tasks.SingleOrDefaultAsync(t => t.Id == taskId, ct);
            if (task is null || task.Status == TaskState.Done || task.DueAt is null) return false;
            var target = Target(task.DueAt.Value, now, within);
            if (target <= task.Priority) return false; // set high enough meanwhile; never lower it
            var before = TaskChanges.Snapshot(task);
            task.Priority = target;
            task.EscalatedAt = write.Now; // the card shows "Escalated" until a person sets the priority
            write.Record(BoardEventTypes.TaskUpdated, task, TaskChanges.Diff(before, task));
            return true;
        }, ct);
        db.ChangeTracker.Clear(); // one task at a time: the batch loop must not keep every task tracked
    }
}
