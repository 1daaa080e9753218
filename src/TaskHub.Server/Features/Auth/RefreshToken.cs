using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// One refresh token. Only its SHA-256 hash is stored. Tokens minted from one log-in share a
/// <see cref="FamilyId"/>: presenting a token that was already rotated revokes the whole family.
/// </summary>
public sealed class RefreshToken
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public Guid FamilyId { get; set; }
    public required string TokenHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    /// <summary>The browser or app that logged in or refreshed (its User-Agent, cut to <see cref="UserAgentMax"/>).</summary>
    public string? UserAgent { get; set; }
    /// <summary>The client address it came from.</summary>
    public string? Address { get; set; }

    public const int UserAgentMax = 256;
}

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> b)
    {
        b.ToTable("refresh_tokens");
        b.Property(t => t.TokenHash).HasMaxLength(64);
        b.HasIndex(t => t.TokenHash).IsUnique();
        b.HasIndex(t => t.FamilyId);
        b.Property(t => t.UserAgent).HasMaxLength(RefreshToken.UserAgentMax);
        b.Property(t => t.Address).HasMaxLength(64);
        b.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
