using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Auth;

/// <param name="HubToken">The same session and expiry as <paramref name="AccessToken"/>, for the hub's <c>access_token</c>
/// only: 71 characters instead of a JWT's ~350, which every live WebSocket keeps in its URL (<see cref="HubTickets"/>).</param>
public sealed record AuthResponse(string AccessToken, string RefreshToken, int ExpiresIn, UserDto User, string HubToken);

/// <summary>Mints short-lived access tokens and rotating refresh tokens.</summary>
public sealed class TokenService(IOptions<JwtOptions> options, TimeProvider clock, TaskHubDbContext db, IHttpContextAccessor accessor, HubTickets hubTickets)
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>Issues an access token and a new refresh token in <paramref name="familyId"/> (a new family when null),
    /// adding the refresh token to the context; the caller saves.</summary>
    public AuthResponse Issue(User user, Guid? familyId = null)
    {
        var o = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var family = familyId ?? Guid.CreateVersion7();
        var refresh = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        db.RefreshTokens.Add(new RefreshToken
        {
            UserId = user.Id,
            FamilyId = family,
            TokenHash = Hash(refresh),
            CreatedAt = now,
            ExpiresAt = now.AddDays(o.RefreshTokenDays),
            // What the sessions list shows: the device and address of this log-in or refresh.
            UserAgent = accessor.HttpContext?.Request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua[..Math.Min(ua.Length, RefreshToken.UserAgentMax)] : null,
            Address = accessor.HttpContext is { } http ? AuthThrottle.AddressOf(http) : null,
        });
        var access = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = o.Issuer,
            Audience = o.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(o.AccessTokenMinutes),
            Subject = new ClaimsIdentity([
                new Claim(JwtRegisteredClaimNames.Sub, user.Id.ToString()),
                new Claim(JwtRegisteredClaimNames.Sid, family.ToString()),
                new Claim(JwtRegisteredClaimNames.Name, user.DisplayName),
            ]),
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(JwtOptions.KeyBytes(o.SigningKey!)), SecurityAlgorithms.HmacSha256),
        });
        var hub = hubTickets.Issue(user.Id, family, new DateTimeOffset(now.AddMinutes(o.AccessTokenMinutes), TimeSpan.Zero));
        return new AuthResponse(access, refresh, o.AccessTokenMinutes * 60, UserDto.From(user), hub);
    }

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
