using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Features.Auth;

namespace TaskHub.Server.Features.Idempotency;

/// <summary>
/// A request sent with an <c>Idempotency-Key</c>, kept for <see cref="IdempotencyOptions.KeyLifetimeHours"/>. The row is
/// inserted by the request's own save, in the transaction of what the request changed, so it exists exactly when those
/// changes were committed. The response is stored right after (<see cref="Status"/> null until then).
/// </summary>
public sealed class IdempotentRequest
{
    public Guid UserId { get; set; }
    public required string Key { get; set; }
    /// <summary>SHA-256 (hex) of the method, path, query and body: a key sent again with another request is refused.</summary>
    public required string Fingerprint { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The response's status, once stored.</summary>
    public int? Status { get; set; }
    /// <summary>The response's Content-Type, Location and ETag, as a JSON object.</summary>
    public string? Headers { get; set; }
    public string? Body { get; set; }
}

internal sealed class IdempotentRequestConfiguration : IEntityTypeConfiguration<IdempotentRequest>
{
    public void Configure(EntityTypeBuilder<IdempotentRequest> b)
    {
        b.ToTable("idempotent_requests");
        b.HasKey(r => new { r.UserId, r.Key });
        b.Property(r => r.Key).HasMaxLength(IdempotencyKeys.MaxKeyLength).IsUnicode(false);
        b.Property(r => r.Fingerprint).HasMaxLength(64).IsUnicode(false);
        b.Property(r => r.Headers).HasMaxLength(2000);
        b.HasIndex(r => r.CreatedAt);
        b.HasOne<User>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
