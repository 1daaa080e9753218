using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// One "forgot password" request. The link's token is signed (HMAC with the server's key over the id) and only
/// its SHA-256 hash is stored, so neither the table nor the outbox row (which carries the id only) holds a usable
/// link. Single use (<see cref="UsedAt"/>), valid for <see cref="PasswordResets.Lifetime"/>.
/// </summary>
public sealed class PasswordReset
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public required string TokenHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class PasswordResetConfiguration : IEntityTypeConfiguration<PasswordReset>
{
    public void Configure(EntityTypeBuilder<PasswordReset> b)
    {
        b.ToTable("password_resets");
        b.Property(r => r.TokenHash).HasMaxLength(64);
        b.HasIndex(r => r.UserId);
        b.HasOne<User>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>
/// Queues the reset email in the same transaction as the reset row (the Notifications feature implements it: its
/// outbox renders the link when it sends, from the id, so the link itself is stored nowhere).
/// </summary>
public interface IPasswordResetMailer
{
    /// <summary>Adds what sends the email to <paramref name="db"/>; the caller saves.</summary>
    void Queue(TaskHubDbContext db, PasswordReset reset, DateTime now);
}

/// <summary>Makes and reads reset tokens: <c>base64url(id ‖ HMAC-SHA256(key, id))</c>.</summary>
public sealed class PasswordResets(IOptions<JwtOptions> jwt)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>The token for a reset id, signed with the current key.</summary>
    public string TokenFor(Guid resetId) => Token(resetId, jwt.Value.SigningKey!);

    /// <summary>The token signed with each key we accept (the current one first): the one whose hash is stored is the real one.</summary>
    public IEnumerable<string> CandidateTokens(Guid resetId) =>
        new[] { jwt.Value.SigningKey! }.Concat(jwt.Value.PreviousSigningKeys).Select(k => Token(resetId, k));

    public static string Token(Guid resetId, string key)
    {
        var id = resetId.ToByteArray();
        return WebEncoders.Base64UrlEncode([.. id, .. HMACSHA256.HashData(Encoding.UTF8.GetBytes("taskhub-password-reset:" + key), id)]);
    }

    /// <summary>The reset id a token names, or null when it is malformed (its signature is checked against the stored hash).</summary>
    public static Guid? ReadId(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 100) return null;
        try
        {
            var raw = WebEncoders.Base64UrlDecode(token);
            return raw.Length == 48 ? new Guid(raw[..16]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="token"/> is the one whose hash is stored (constant time).</summary>
    public static bool Matches(string token, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(TokenService.Hash(token)), Encoding.ASCII.GetBytes(storedHash));
}
