using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Auth;

public enum DigestCadence { Off, Daily, Weekly, Monthly }

public sealed class User : IAuditable
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string Email { get; set; }
    /// <summary>Upper-invariant email: the unique, case-insensitive key for log-in.</summary>
    public required string NormalizedEmail { get; set; }
    public required string DisplayName { get; set; }
    public string PasswordHash { get; set; } = "";
    public string TimeZone { get; set; } = "UTC";
    public bool EmailOnChange { get; set; } = true;
    public DigestCadence Digest { get; set; } = DigestCadence.Off;
    public int ReminderLeadHours { get; set; } = 24;
    /// <summary>The TOTP secret once two-factor sign-in is on, protected at rest (<see cref="TotpSecrets"/>); null while it is off.</summary>
    public string? TotpSecret { get; set; }
    /// <summary>A secret handed out by setup and not yet confirmed with a code (protected like <see cref="TotpSecret"/>).</summary>
    public string? TotpPendingSecret { get; set; }
    /// <summary>The last TOTP time step accepted: a code of that step or an earlier one is a replay.</summary>
    public long TotpLastStep { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public static string Normalize(string email) => email.Trim().ToUpperInvariant();

    /// <summary>The user's time zone (UTC when the stored id is unknown on this machine).</summary>
    public TimeZoneInfo Zone() => ZoneOf(TimeZone);

    public static TimeZoneInfo ZoneOf(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}

public static class UserRules
{
    public const int EmailMax = 254;
    public const int DisplayNameMax = 100;
    public const int PasswordMin = 8;
    public const int PasswordMax = 128;
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> b)
    {
        b.ToTable("users");
        b.Property(u => u.Email).HasMaxLength(UserRules.EmailMax);
        b.Property(u => u.NormalizedEmail).HasMaxLength(UserRules.EmailMax);
        b.HasIndex(u => u.NormalizedEmail).IsUnique();
        b.Property(u => u.DisplayName).HasMaxLength(UserRules.DisplayNameMax);
        b.Property(u => u.PasswordHash).HasMaxLength(200);
        b.Property(u => u.TimeZone).HasMaxLength(64);
        b.Property(u => u.Digest).HasConversion<string>().HasMaxLength(16);
        b.Property(u => u.TotpSecret).HasMaxLength(512);
        b.Property(u => u.TotpPendingSecret).HasMaxLength(512);
    }
}

