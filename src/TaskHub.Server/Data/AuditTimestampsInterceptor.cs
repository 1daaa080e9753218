using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TaskHub.Server.Data;

/// <summary>An entity whose creation and last-change times are stamped on save.</summary>
public interface IAuditable
{
    DateTime CreatedAt { get; set; }
    DateTime UpdatedAt { get; set; }
}

/// <summary>How creation and change times are stamped — the one place that sets them.</summary>
public static class AuditTimestamps
{
    /// <summary>Added: <c>CreatedAt</c> (unless given) and <c>UpdatedAt</c>; modified: <c>UpdatedAt</c> (unless set
    /// in this change already, so stamping twice is harmless).</summary>
    public static void Stamp(EntityEntry entry, DateTime now)
    {
        if (entry.Entity is not IAuditable entity) return;
        if (entry.State == EntityState.Added)
        {
            if (entity.CreatedAt == default) entity.CreatedAt = now;
            entity.UpdatedAt = entity.CreatedAt;
        }
        else if (entry.State == EntityState.Modified && !entry.Property(nameof(IAuditable.UpdatedAt)).IsModified)
        {
            entity.UpdatedAt = now;
        }
    }
}

/// <summary>Stamps <see cref="IAuditable"/> entities on every save from the injected clock, so tests can move time.
/// (A board write stamps its task when it records the event, so the event carries the same times.)</summary>
public sealed class AuditTimestampsInterceptor(TimeProvider clock) : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Stamp(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Stamp(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Stamp(DbContext? context)
    {
        if (context is null) return;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var entry in TaskHubDbContext.SavingEntries<IAuditable>(context)) AuditTimestamps.Stamp(entry, now);
    }
}
