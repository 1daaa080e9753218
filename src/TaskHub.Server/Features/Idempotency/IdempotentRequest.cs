using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TaskHub.Server.Features.Auth;

namespace TaskHub.Server.Features.Idempotency;

/// <summary>
/// A request sent with an <c>Idempotency-Key</c>, kept for <see cref="IdempotencyOptions.KeyLifetimeHours"/>. The row is
/// inserted by the request's own save, in the transaction of what the request changed, so it exists exactly when those
/// changes were committed. Its answer is stored right after, in a row of its own (<see cref="Answer"/>, none until then).
/// </summary>
public sealed class IdempotentRequest
{
    public Guid UserId { get; set; }
    public required string Key { get; set; }
    /// <summary>SHA-256 (hex) of the method, path, query and body: a key sent again with another request is refused.</summary>
    public required string Fingerprint { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The response, once stored (<see cref="AnswerKeeper"/>).</summary>
    public IdempotentAnswer? Answer { get; set; }
}

/// <summary>
/// The response to an <see cref="IdempotentRequest"/>, kept after the request's change was committed. A row of its own,
/// inserted (several in one statement on MariaDB), rather than columns of the request's row filled in later: on MariaDB
/// an update that grows a row of ~150 bytes by the ~1 KB of an answer cost about twice the database's CPU of inserting
/// the answer (bench/README.md, "Thirty-sixth round"). Deleted with its request (a cascade).
/// </summary>
public sealed class IdempotentAnswer
{
    public Guid UserId { get; set; }
    public required string Key { get; set; }
    /// <summary>The response's status; <see cref="IdempotencyKeys.NotKept"/> when it was too large to keep or the request failed after its save.</summary>
    public int Status { get; set; }
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
        b.HasIndex(r => r.CreatedAt);
        b.HasOne<User>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne(r => r.Answer).WithOne().HasForeignKey<IdempotentAnswer>(a => new { a.UserId, a.Key }).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class IdempotentAnswerConfiguration : IEntityTypeConfiguration<IdempotentAnswer>
{
    public void Configure(EntityTypeBuilder<IdempotentAnswer> b)
    {
        b.ToTable("idempotent_answers");
        b.HasKey(a => new { a.UserId, a.Key });
        b.Property(a => a.Key).HasMaxLength(IdempotencyKeys.MaxKeyLength).IsUnicode(false);
        b.Property(a => a.Headers).HasMaxLength(2000);
    }
}
