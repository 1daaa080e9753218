using System.Buffers.Binary;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// The hub token: the access token's subject, session and expiry in 71 characters instead of a ~350-character JWT.
/// A WebSocket carries its token in the URL, and Kestrel keeps the request target (twice: the raw target and the query)
/// for the connection's whole life, so every character is held by every live connection (~1.1 KB each with a JWT).
/// <para>Format: <c>h1.</c> + base64url(version 1 · user id 16 · session id 16 · expiry, Unix seconds 4 ·
/// HMAC-SHA256 of those 37 bytes, first 16 bytes). The MAC key is derived from the JWT signing key (and each previous
/// one, for rotation) with a label of its own, so neither kind of token passes for the other. Accepted only by the hub
/// (<c>/hubs</c>), and only while its session is alive (the same check as an access token's).</para>
/// </summary>
public sealed class HubTickets
{
    public const string Prefix = "h1.";
    private const int Body = 1 + 16 + 16 + 4, Mac = 16;
    private static readonly byte[] Label = Encoding.UTF8.GetBytes("taskhub hub token v1");
    private readonly byte[] _key;
    private readonly byte[][] _keys;
    private readonly TimeProvider _clock;

    public HubTickets(IOptions<JwtOptions> options, TimeProvider clock)
    {
        _clock = clock;
        var o = options.Value;
        _keys = [.. new[] { o.SigningKey! }.Concat(o.PreviousSigningKeys).Select(k => HMACSHA256.HashData(JwtOptions.KeyBytes(k), Label))];
        _key = _keys[0];
    }

    public static bool LooksLikeOne(string token) => token.StartsWith(Prefix, StringComparison.Ordinal);

    public string Issue(Guid userId, Guid sessionId, DateTimeOffset expires)
    {
        Span<byte> bytes = stackalloc byte[Body + Mac];
        bytes[0] = 1;
        userId.TryWriteBytes(bytes[1..17]);
        sessionId.TryWriteBytes(bytes[17..33]);
        BinaryPrimitives.WriteUInt32BigEndian(bytes[33..37], (uint)expires.ToUnixTimeSeconds());
        HMACSHA256.HashData(_key, bytes[..Body])[..Mac].CopyTo(bytes[Body..]);
        return Prefix + Base64UrlEncoder.Encode(bytes.ToArray());
    }

    /// <summary>The principal a valid, unexpired hub token stands for (subject and session claims), or null.</summary>
    public ClaimsPrincipal? Read(string token, string authenticationType)
    {
        byte[] bytes;
        try
        {
            bytes = Base64UrlEncoder.DecodeBytes(token[Prefix.Length..]);
        }
        catch (FormatException)
        {
            return null;
        }
        if (bytes.Length != Body + Mac || bytes[0] != 1) return null;
        if (!_keys.Any(k => CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(k, bytes.AsSpan(0, Body)).AsSpan(0, Mac), bytes.AsSpan(Body))))
            return null;
        var expires = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(33, 4)));
        if (expires <= _clock.GetUtcNow()) return null;
        return new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(JwtRegisteredClaimNames.Sub, new Guid(bytes.AsSpan(1, 16)).ToString()),
                new Claim(JwtRegisteredClaimNames.Sid, new Guid(bytes.AsSpan(17, 16)).ToString()),
            ], authenticationType, JwtRegisteredClaimNames.Name, null));
    }
}
