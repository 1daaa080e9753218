using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Prometheus;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Jobs;

public static class JobMetrics
{
    // The label is job_name: Prometheus reserves `job` for the scrape target.
    public static readonly Counter Runs = Metrics.CreateCounter("taskhub_job_runs_total", "Scheduled job runs.", new CounterConfiguration { LabelNames = ["job_name"] });
    public static readonly Counter Failures = Metrics.CreateCounter("taskhub_job_failures_total", "Scheduled job runs that failed.", new CounterConfiguration { LabelNames = ["job_name"] });

    /// <summary>Creates every series at start, so dashboards show 0 rather than "no data" before the first run.</summary>
    public static void Initialize()
    {
        foreach (var job in new[] { DeadlineReminderJob.Id, PriorityEscalationJob.Id, DigestJob.Id, ProgressReportJob.Id })
        {
            Runs.WithLabels(job);
            Failures.WithLabels(job);
        }
    }

    public static async Task TrackAsync(string job, Func<Task> run)
    {
        JobMetrics.Runs.WithLabels(job).Inc();
        try
        {
            await run();
        }
        catch
        {
            JobMetrics.Failures.WithLabels(job).Inc();
            throw;
        }
    }
}

/// <summary>Records a job's delivery and queues what it sends, in one transaction, at most once per key.</summary>
public static class JobLedger
{
    /// <summary>
    /// Inserts the delivery row and the outbox messages together. Returns false (and writes nothing) when
    /// the key exists: another run, replica or retry already did it.
    /// </summary>
    public static async Task<bool> TryDeliverAsync(TaskHubDbContext db, string key, DateTime now, IEnumerable<OutboxMessage> messages, CancellationToken ct)
    {
        if (await db.Set<JobDelivery>().AnyAsync(d => d.Key == key, ct)) return false;
        db.Add(new JobDelivery { Key = key, CreatedAt = now });
        db.AddRange(messages);
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Set<JobDelivery>().AnyAsync(d => d.Key == key, ct)) return false; // lost the race: fine
            throw;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    public static OutboxMessage Email(EmailEnvelope e, DateTime now) =>
        OutboxWriter.New(OutboxKinds.Email, $"email:{e.Key}", JsonSerializer.Serialize(e, TaskHubJson.Options), now);

    /// <summary>An inbox item for the person the job is about (stored once under its key, pushed live).</summary>
    public static OutboxMessage Notification(NotificationRequest n, DateTime now) =>
        OutboxWriter.New(OutboxKinds.Notification, $"notification:{n.Key}", JsonSerializer.Serialize(n, TaskHubJson.Options), now);

    public static OutboxMessage Event(string key, string detailType, object detail, DateTime now) =>
        OutboxWriter.New(OutboxKinds.BusEvent, $"event:{key}", BusEvent.Serialize(detailType, JsonSerializer.Serialize(detail, TaskHubJson.Options)), now);
}
