using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TaskHub.Server.Features.Jobs;

/// <summary>Settings under <c>Jobs</c>: schedules (cron, UTC), rules, and who may see the dashboard.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>Run a Hangfire server on this replica (a replica can serve web traffic only).</summary>
    public bool ServerEnabled { get; set; } = true;
    [Required] public string RemindersCron { get; set; } = "*/5 * * * *";
    [Required] public string EscalationCron { get; set; } = "*/15 * * * *";
    /// <summary>Digests and report emails run hourly and send to whoever's local time is <see cref="LocalSendHour"/>.</summary>
    [Required] public string DigestsCron { get; set; } = "5 * * * *";
    [Required] public string ReportsCron { get; set; } = "10 * * * *";
    [Range(0, 23)] public int LocalSendHour { get; set; } = 8;
    /// <summary>An open task due within this many hours becomes at least <c>high</c>; an overdue one <c>urgent</c>.</summary>
    [Range(1, 720)] public int EscalateWithinHours { get; set; } = 48;
    [Range(10, 10_000)] public int BatchSize { get; set; } = 500;
    /// <summary>Emails of the (board-less) administrators who may open /hangfire.</summary>
    public string[] AdminEmails { get; set; } = [];
}

/// <summary>
/// What a job already did: one row per (kind, subject, moment), e.g. <c>reminder:{task}:{deadline}</c>.
/// The unique key makes a rerun, a second replica or a retry harmless; a moved deadline is a new key.
/// </summary>
public sealed class JobDelivery
{
    public required string Key { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class JobDeliveryConfiguration : IEntityTypeConfiguration<JobDelivery>
{
    public void Configure(EntityTypeBuilder<JobDelivery> b)
    {
        b.ToTable("job_deliveries");
        b.HasKey(d => d.Key);
        b.Property(d => d.Key).HasMaxLength(200);
    }
}
