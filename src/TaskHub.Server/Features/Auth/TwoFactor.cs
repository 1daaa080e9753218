using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OtpNet;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// TOTP (RFC 6238: SHA-1, 6 digits, 30 s) on a clock of its own, so tests can move it. A code of the previous,
/// current or next step is accepted; the step it matched is returned so the caller can refuse a replay.
/// </summary>
public sealed class TotpVerifier(TimeProvider clock)
{
    public const string Issuer = "TaskHub";
    private static readonly VerificationWindow Window = new(previous: 1, future: 1);

    public static string NewSecret() => Base32Encoding.ToString(KeyGeneration.GenerateRandomKey(20));

    public static string UriFor(string secret, string email) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(email)}?secret={secret}&issuer={Uri.EscapeDataString(Issuer)}&algorithm=SHA1&digits=6&period=30";

    /// <summary>The time step <paramref name="code"/> matches now, or null.</summary>
    public long? Match(string secret, string? code)
    {
        code = code?.Replace(" ", "", StringComparison.Ordinal);
        if (code is not { Length: 6 } || !code.All(char.IsAsciiDigit)) return null;
        var totp = new Totp(Base32Encoding.ToBytes(secret), step: 30, mode: OtpHashMode.Sha1, totpSize: 6);
        return totp.VerifyTotp(clock.GetUtcNow().UtcDateTime, code, out var step, Window) ? step : null;
    }

    /// <summary>Accepts <paramref name="code"/> for <paramref name="userId"/> once: the step must be later than the last accepted one.</summary>
    public async Task<bool> AcceptAsync(TaskHubDbContext db, Guid userId, string secret, string? code, CancellationToken ct)
    {
        if (Match(secret, code) is not { } step) return false;
        // Atomic: of two requests with one code, one wins; a code already used (or an older one) never works again.
        return await db.Users.Where(u => u.Id == userId && u.TotpLastStep < step)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.TotpLastStep, step), ct) == 1;
    }
}

/// <summary>Ten one-time recovery codes per account (<c>xxxxx-xxxxx</c>), stored hashed.</summary>
public static class RecoveryCodes
{
    public const int Count = 10;
    private const string Alphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    public static List<string> Generate() => Enumerable.Range(0, Count).Select(_ =>
    {
        var chars = RandomNumberGenerator.GetItems<char>(Alphabet, 10);
        return $"{new string(chars, 0, 5)}-{new string(chars, 5, 5)}";
    }).ToList();

    public static string Hash(string code) =>
        TokenService.Hash(code.Trim().Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant());

    /// <summary>Uses <paramref name="code"/> up: true only for an unused code of this user, and only once.</summary>
    public static async Task<bool> UseAsync(TaskHubDbContext db, Guid userId, string? code, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > 32) return false;
        var hash = Hash(code);
        return await db.Set<RecoveryCode>().Where(c => c.UserId == userId && c.CodeHash == hash && c.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct) == 1;
    }
}

/// <summary>
/// The proof, between the password (or a provider's callback) and the second factor, that the first factor passed:
/// a JWT for a different audience than access tokens (so it is never one), valid five minutes.
/// </summary>
public sealed class MfaTokens(IOptions<JwtOptions> options, TimeProvider clock)
{
    private const string Audience = "taskhub-mfa";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly JsonWebTokenHandler Handler = new();

    public string Issue(Guid userId)
    {
        var o = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        return Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = o.Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, userId.ToString())]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(JwtOptions.KeyBytes(o.SigningKey!)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>The user a valid, unexpired token names, or null.</summary>
    public async Task<Guid?> ReadAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 2000) return null;
        var o = options.Value;
        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = o.Issuer,
            ValidAudience = Audience,
            IssuerSigningKeys = new[] { o.SigningKey! }.Concat(o.PreviousSigningKeys).Select(k => (SecurityKey)new SymmetricSecurityKey(JwtOptions.KeyBytes(k))).ToList(),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ValidateLifetime = false, // checked below against the injected clock
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        if (jwt.ValidTo <= now || jwt.ValidFrom > now.AddSeconds(30)) return null;
        return Guid.TryParse(jwt.Subject, out var id) ? id : null;
    }
}
