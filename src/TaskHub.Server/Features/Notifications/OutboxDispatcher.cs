using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Prometheus;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Delivers one kind of outbox message. Returns the error of each message that failed (absent = delivered).</summary>
public interface IOutboxHandler
{
    string Kind { get; }
    Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct);

    /// <summary>Called once a message of this kind is dead-lettered (recorded first), e.g. to switch a failing target off.</summary>
    Task DeadLetteredAsync(OutboxMessage message, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Delivers the messages one by one; a message that throws is a failure, the others go on.</summary>
    static async Task<IReadOnlyDictionary<long, string>> EachAsync(IReadOnlyList<OutboxMessage> batch, Func<OutboxMessage, Task> deliver)
    {
        var failures = new Dictionary<long, string>();
        foreach (var m in batch)
        {
            try
            {
                await deliver(m);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures[m.Id] = $"{e.GetType().Name}: {e.Message}";
            }
        }
        return failures;
    }
}

public static class OutboxMetrics
{
    public static readonly Gauge Pending = Metrics.CreateGauge("taskhub_outbox_pending", "Outbox messages not yet delivered nor dead-lettered.");
    public static readonly Gauge OldestAge = Metrics.CreateGauge("taskhub_outbox_oldest_age_seconds", "Age of the oldest undelivered outbox message.");
    public static readonly Counter DeadLetters = Metrics.CreateCounter("taskhub_outbox_dead_letters_total", "Outbox messages given up on after the last attempt.");
    public static readonly Counter Deliveries = Metrics.CreateCounter("taskhub_outbox_deliveries_total", "Outbox delivery attempts.",
        new CounterConfiguration { LabelNames = ["target", "outcome"] });
    public static readonly Counter EmailsSent = Metrics.CreateCounter("taskhub_emails_sent_total", "Emails handed to the mail transport.");
    public static readonly Counter EmailsFailed = Metrics.CreateCounter("taskhub_emails_failed_total", "Emails the mail transport refused or could not take.");

    /// <summary>Creates every series at start, so dashboards show 0 rather than "no data" before the first delivery.</summary>
    public static void Initialize(OutboxTargets targets)
    {
        Pending.Set(0);
        OldestAge.Set(0);
        DeadLetters.Inc(0);
        EmailsSent.Inc(0);
        EmailsFailed.Inc(0);
        var kinds = new List<string> { OutboxKinds.TaskEmail, OutboxKinds.Email, OutboxKinds.Inbox, OutboxKinds.Notification, OutboxKinds.PasswordReset };
        if (targets.ChangeLog) kinds.Add(OutboxKinds.ChangeLog);
        if (targets.BusEvents) kinds.Add(OutboxKinds.BusEvent);
        foreach (var kind in kinds)
        {
            Deliveries.WithLabels(kind, "delivered");
            Deliveries.WithLabels(kind, "failed");
        }
    }
}

/// <summary>
/// The outbox dispatcher (one per replica, safe with many): claims due messages with a lease
/// (UPDATE … WHERE unclaimed or lease expired), delivers them, and records the outcome: delivered,
/// retry later with exponential backoff and jitter, or dead-lettered with an alert after the last attempt.
/// </summary>
public sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes, IOptions<OutboxOptions> options, TimeProvider clock,
    IHttpClientFactory http, OutboxSignal signal, ILogger<OutboxDispatcher> log) : BackgroundService
{
    private DateTime _lastGaugeUpdate;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var poll = TimeSpan.FromSeconds(options.Value.PollIntervalSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = signal.Next; // (before looking: a commit made meanwhile wakes the next wait)
            TimeSpan wait;
            try
            {
                // (Woken meanwhile, as under steady writes: the next round at once, without asking when the next row is due.)
                wait = await RunOnceAsync(stoppingToken) > 0 || woken.IsCompleted ? TimeSpan.Zero : await UntilNextDueAsync(poll, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRunFailed(log, e);
                MySqlConnections.ForgetPoolIfBroken(e); // (MariaDB: a connection found gone takes the pool's others with it)
                wait = poll < RetryAfterFailure ? poll : RetryAfterFailure;
            }
            if (wait > TimeSpan.Zero) await WaitAsync(woken, wait, stoppingToken);
        }
    }

    /// <summary>
    /// How long an idle dispatcher may wait: until the earliest unclaimed undelivered row is due (a retry's time, as of
    /// this look), at most <paramref name="poll"/>, at least <see cref="MinWait"/>. Rows this replica commits wake it at
    /// once (<see cref="OutboxSignal"/>); the poll finds the rest: rows committed by a replica that stopped before handing
    /// them on, a claim whose lease ran out, a retry another replica set after this look. (The query reads the pending
    /// rows' index in its order and stops at the first unclaimed row.)
    /// </summary>
    public async Task<TimeSpan> UntilNextDueAsync(TimeSpan poll, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var next = await db.Set<OutboxMessage>().Where(m => m.DeliveredAt == null && m.DeadLetteredAt == null && m.ClaimToken == null)
            .OrderBy(m => m.NextAttemptAt).Select(m => (DateTime?)m.NextAttemptAt).FirstOrDefaultAsync(ct);
        var wait = next is null ? poll : next.Value - clock.GetUtcNow().UtcDateTime;
        return wait < MinWait ? MinWait : wait > poll ? poll : wait;
    }

    /// <summary>The shortest wait between two looks that found nothing to do (a row due but claimed meanwhile).</summary>
    public static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(50);

    /// <summary>The wait after a round that failed (the database away), if the poll is longer.</summary>
    public static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(1);

    /// <summary>Until outbox rows commit here (<see cref="OutboxSignal"/>) or <paramref name="poll"/> has passed.</summary>
    private async Task WaitAsync(Task woken, TimeSpan poll, CancellationToken ct)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var delay = Task.Delay(poll, clock, done.Token);
        await Task.WhenAny(woken, delay);
        await done.CancelAsync(); // (the poll's timer, when woken first)
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>Claims and delivers one batch; returns how many messages it handled.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var handlers = scope.ServiceProvider.GetServices<IOutboxHandler>().ToDictionary(h => h.Kind);
        var now = clock.GetUtcNow().UtcDateTime;
        await UpdateGaugesAsync(db, now, ct);

        var due = await db.Set<OutboxMessage>()
            .Where(m => m.DeliveredAt == null && m.DeadLetteredAt == null && m.NextAttemptAt <= now && (m.ClaimedUntil == null || m.ClaimedUntil < now))
            // Oldest due first: a row made from another (a webhook delivery from its fan-out) carries its origin's time,
            // so it is not queued behind everything written since.
            .OrderBy(m => m.NextAttemptAt).ThenBy(m => m.Id).Select(m => m.Id).Take(o.BatchSize).ToListAsync(ct);
        if (due.Count == 0) return 0;

        // Claim: only rows still unclaimed (or whose lease ran out) are taken, so two replicas never both do.
        var token = Guid.NewGuid();
        var leaseUntil = now.AddSeconds(o.LeaseSeconds);
        await using (var claim = await db.BeginWriteAsync(ct)) // on SQLite: in turn with the other writers (SqliteWriteQueue)
        {
            await db.Set<OutboxMessage>()
                .Where(m => due.Contains(m.Id) && m.DeliveredAt == null && m.DeadLetteredAt == null && (m.ClaimedUntil == null || m.ClaimedUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.ClaimToken, token).SetProperty(m => m.ClaimedUntil, leaseUntil), ct);
            await claim.CommitAsync(ct);
        }
        var claimed = await db.Set<OutboxMessage>().Where(m => m.ClaimToken == token).OrderBy(m => m.Id).ToListAsync(ct);
        var deadLettered = new List<OutboxMessage>();

        foreach (var group in claimed.GroupBy(m => m.Kind))
        {
            IReadOnlyDictionary<long, string> failures;
            if (!handlers.TryGetValue(group.Key, out var handler))
                failures = group.ToDictionary(m => m.Id, _ => $"No handler for kind '{group.Key}' on this replica.");
            else
            {
                try
                {
                    failures = await handler.DeliverAsync(group.ToList(), ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failures = group.ToDictionary(m => m.Id, _ => $"{e.GetType().Name}: {e.Message}");
                }
            }
            var deliveredAt = clock.GetUtcNow().UtcDateTime;
            foreach (var m in group)
            {
                m.ClaimToken = null;
                m.ClaimedUntil = null;
                if (!failures.TryGetValue(m.Id, out var error))
                {
                    m.DeliveredAt = deliveredAt;
                    OutboxMetrics.Deliveries.WithLabels(m.Kind, "delivered").Inc();
                    continue;
                }
                m.Attempts++;
                m.LastError = error.Length > 2000 ? error[..2000] : error;
                OutboxMetrics.Deliveries.WithLabels(m.Kind, "failed").Inc();
                if (m.Attempts >= o.MaxAttempts)
                {
                    m.DeadLetteredAt = deliveredAt;
                    OutboxMetrics.DeadLetters.Inc();
                    LogDeadLettered(log, m.Key, m.Attempts, error);
                    deadLettered.Add(m);
                }
                else
                {
                    m.NextAttemptAt = deliveredAt + Backoff(m.Attempts, o);
                    LogRetry(log, m.Key, m.Attempts, m.NextAttemptAt, error);
                }
            }
        }
        await db.SaveChangesAsync(ct);
        foreach (var m in deadLettered)
        {
            await AlertAsync(m, ct); // after the dead letter is recorded
            try
            {
                if (handlers.TryGetValue(m.Kind, out var handler)) await handler.DeadLetteredAsync(m, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRunFailed(log, e);
            }
        }
        return claimed.Count;
    }

    /// <summary>first × 2^(attempt−1), capped, with ±20 % jitter so replicas do not retry in lockstep.</summary>
    public static TimeSpan Backoff(int attempt, OutboxOptions o)
    {
        var seconds = Math.Min(o.MaxRetrySeconds, o.FirstRetrySeconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromSeconds(seconds * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    private async Task AlertAsync(OutboxMessage m, CancellationToken ct)
    {
        var url = options.Value.AlertWebhookUrl;
        if (string.IsNullOrWhiteSpace(url)) return;
        try
        {
            var response = await http.CreateClient("alerts").PostAsJsonAsync(url, new
            {
                text = $"TaskHub gave up delivering {m.Kind} message {m.Key} after {m.Attempts} attempts: {m.LastError}",
                kind = m.Kind, key = m.Key, attempts = m.Attempts, lastError = m.LastError, createdAt = m.CreatedAt,
            }, ct);
            response.EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogAlertFailed(log, e, m.Key);
        }
    }

    private async Task UpdateGaugesAsync(TaskHubDbContext db, DateTime now, CancellationToken ct)
    {
        if (now - _lastGaugeUpdate < TimeSpan.FromSeconds(5)) return;
        _lastGaugeUpdate = now;
        var pending = db.Set<OutboxMessage>().Where(m => m.DeliveredAt == null && m.DeadLetteredAt == null);
        OutboxMetrics.Pending.Set(await pending.CountAsync(ct));
        var oldest = await pending.OrderBy(m => m.Id).Select(m => (DateTime?)m.CreatedAt).FirstOrDefaultAsync(ct);
        OutboxMetrics.OldestAge.Set(oldest is null ? 0 : Math.Max(0, (now - oldest.Value).TotalSeconds));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox dispatch round failed")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox message {Key} failed (attempt {Attempts}); next try at {NextAttemptAt:o}: {Error}")]
    private static partial void LogRetry(ILogger logger, string key, int attempts, DateTime nextAttemptAt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox message {Key} dead-lettered after {Attempts} attempts: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string key, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not post the dead-letter alert for {Key}")]
    private static partial void LogAlertFailed(ILogger logger, Exception exception, string key);
}
