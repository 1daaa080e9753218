using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;

namespace TaskHub.Tests.Infrastructure;

public static class Outbox
{
    /// <summary>
    /// Waits (bounded) until no outbox message whose key starts with <paramref name="keyPrefix"/> is still to be
    /// delivered: from then on nothing more goes out for those keys, retries included (a retry waiting out its
    /// backoff is not ordered behind newer messages, so a later message arriving alone does not rule it out).
    /// </summary>
    public static Task<bool> DrainedAsync(TaskHubApplication app, string keyPrefix, double seconds = 15) =>
        LiveBoard.EventuallyAsync(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
            return !await db.Set<OutboxMessage>().AsNoTracking()
                .AnyAsync(m => m.Key.StartsWith(keyPrefix) && m.DeliveredAt == null && m.DeadLetteredAt == null);
        }, seconds);
}
