using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TaskHub.Server.Features.Notifications;

/// <summary>
/// One board event waiting to be emailed to one recipient as part of a burst (changes by one person on one
/// board, coalesced into one email). Recorded by the task-email outbox delivery; sealed under
/// <see cref="BatchKey"/> when its burst is due, in the same transaction as the outbox row that sends the
/// email, so a burst is emailed exactly once whichever replica seals it and whenever replicas restart.
/// </summary>
public sealed class PendingChangeEmail
{
    public long Id { get; set; }
    public Guid RecipientId { get; set; }
    public Guid BoardId { get; set; }
    /// <summary>Who made the change; null for the system.</summary>
    public Guid? ActorId { get; set; }
    public long Seq { get; set; }
    public Guid TaskId { get; set; }
    /// <summary>The board event (its wire JSON).</summary>
    public required string Payload { get; set; }
    /// <summary>When the change was made.</summary>
    public DateTime At { get; set; }
    /// <summary>When it was recorded here. Bursts are timed by this, not by <see cref="At"/>: after a backlog
    /// (the outbox catching up) old changes arrive together and must still be gathered into one email.</summary>
    public DateTime RecordedAt { get; set; }
    /// <summary>The key of the email that carries it, once its burst was sealed; null while it waits.</summary>
    public string? BatchKey { get; set; }
}

internal sealed class PendingChangeEmailConfiguration : IEntityTypeConfiguration<PendingChangeEmail>
{
    public void Configure(EntityTypeBuilder<PendingChangeEmail> b)
    {
        b.ToTable("pending_change_emails");
        b.HasIndex(p => new { p.RecipientId, p.BoardId, p.Seq }).IsUnique();
        b.HasIndex(p => new { p.BatchKey, p.RecipientId, p.BoardId });
        // A deleted board's rows go with it, whoever they were for (NotificationsOnLeave).
        b.HasIndex(p => p.BoardId);
        b.Property(p => p.BatchKey).HasMaxLength(200);
    }
}
