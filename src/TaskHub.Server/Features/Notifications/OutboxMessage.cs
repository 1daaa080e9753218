using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TaskHub.Server.Features.Notifications;

/// <summary>
/// Something that must be announced (a change-log entry, a bus event, an email), written in the same
/// transaction as the change. The dispatcher claims it with a lease, delivers it at least once, retries with
/// backoff and finally dead-letters it. <see cref="Key"/> is unique and is the delivery's idempotency key.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }
    public required string Kind { get; set; }
    public required string Key { get; set; }
    public required string Payload { get; set; }
    public DateTime CreatedAt { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public Guid? ClaimToken { get; set; }
    public DateTime? ClaimedUntil { get; set; }
    public DateTime? DeliveredAt { get; set; }
    public DateTime? DeadLetteredAt { get; set; }
    public string? LastError { get; set; }
}

/// <summary>One email that was sent, so a retried delivery never sends it twice.</summary>
public sealed class SentEmail
{
    public required string Key { get; set; }
    public required string Recipient { get; set; }
    public DateTime SentAt { get; set; }
}

public static class OutboxKinds
{
    public const string ChangeLog = "changelog";
    public const string BusEvent = "event";
    public const string TaskEmail = "task-email";
    public const string Email = "email";
    public const string Inbox = "inbox";
    public const string Notification = "notification";
    public const string PasswordReset = "password-reset";
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> b)
    {
        b.ToTable("outbox_messages");
        b.Property(m => m.Kind).HasMaxLength(32);
        b.Property(m => m.Key).HasMaxLength(200);
        b.HasIndex(m => m.Key).IsUnique();
        b.Property(m => m.LastError).HasMaxLength(2000);
        b.HasIndex(m => new { m.DeliveredAt, m.DeadLetteredAt, m.NextAttemptAt });
        b.HasIndex(m => m.ClaimToken);
    }
}

internal sealed class SentEmailConfiguration : IEntityTypeConfiguration<SentEmail>
{
    public void Configure(EntityTypeBuilder<SentEmail> b)
    {
        b.ToTable("sent_emails");
        b.HasKey(s => s.Key);
        b.Property(s => s.Key).HasMaxLength(200);
        b.Property(s => s.Recipient).HasMaxLength(254);
    }
}
