using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TaskHub.Server.Features.Auth;

/// <summary>An account's sign-in at an OpenID Connect provider: the provider's name in configuration and its subject.</summary>
public sealed class ExternalLogin
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public required string Provider { get; set; }
    public required string Subject { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>What the browser brings back from a provider's callback: a short-lived, single-use code (only its hash stored).</summary>
public sealed class OidcCode
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public required string CodeHash { get; set; }
    /// <summary><see cref="OidcCodePurpose.SignIn"/>: sign in as <see cref="UserId"/>. <see cref="OidcCodePurpose.Link"/>:
    /// link <see cref="Provider"/>/<see cref="Subject"/> to <see cref="UserId"/> once its password is confirmed.</summary>
    public OidcCodePurpose Purpose { get; set; }
    public Guid UserId { get; set; }
    public required string Provider { get; set; }
    public required string Subject { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

public enum OidcCodePurpose { SignIn, Link }

internal sealed class ExternalLoginConfiguration : IEntityTypeConfiguration<ExternalLogin>
{
    public void Configure(EntityTypeBuilder<ExternalLogin> b)
    {
        b.ToTable("external_logins");
        b.Property(l => l.Provider).HasMaxLength(64);
        b.Property(l => l.Subject).HasMaxLength(255);
        b.HasIndex(l => new { l.Provider, l.Subject }).IsUnique();
        b.HasIndex(l => l.UserId);
        b.HasOne<User>().WithMany().HasForeignKey(l => l.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class OidcCodeConfiguration : IEntityTypeConfiguration<OidcCode>
{
    public void Configure(EntityTypeBuilder<OidcCode> b)
    {
        b.ToTable("oidc_codes");
        b.Property(c => c.CodeHash).HasMaxLength(64);
        b.HasIndex(c => c.CodeHash).IsUnique();
        b.Property(c => c.Purpose).HasConversion<string>().HasMaxLength(16);
        b.Property(c => c.Provider).HasMaxLength(64);
        b.Property(c => c.Subject).HasMaxLength(255);
        b.HasOne<User>().WithMany().HasForeignKey(c => c.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
