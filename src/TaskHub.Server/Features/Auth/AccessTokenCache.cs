using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Prometheus;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// The JWT bearer scheme's token handler: IdentityModel's <see cref="JsonWebTokenHandler"/>, with the access tokens it
/// found valid kept until they expire. A browser sends the same access token with every request for its 15 minutes, and
/// validating it (decoding, parsing its JSON, checking its signature, building its claims) was ~3 % of a task creation's
/// CPU and ~6 % of the bytes it allocated; a token seen before costs one lookup.
/// <para>
/// Only what the token itself proves is kept: its signature, issuer, audience and claims. Its session is still checked
/// on every request (the scheme's <c>OnTokenValidated</c> runs after this either way), so a log-out, a revoked session
/// or a deleted account ends the token at once, cached or not. A kept token is served only while a fresh validation
/// would still pass it:
/// <list type="bullet">
/// <item>before its expiry plus the parameters' clock skew, read on the clock IdentityModel's own lifetime check reads
/// (the system clock; the token handler is given it so tests can move it);</item>
/// <item>under the parameters it was validated with: the same keys (the same key objects: the scheme's options build
/// them once, so options built again validate afresh), algorithms, issuers and audiences, with the key that signed it
/// still among those keys;</item>
/// <item>for exactly the same token string: a token changed in any character is another entry, validated in full.</item>
/// </list>
/// Refused tokens are not kept (nobody can fill the cache without tokens we signed), and at most
/// <see cref="Capacity"/> are (one per active session on this replica): when it is full a new token is not kept, and
/// the cache drops its least recently used in the background. A token not kept is validated in full, as before.
/// Claims are read as the scheme is set (<c>MapInboundClaims = false</c>: the token's own claim names).
/// </para>
/// </summary>
public sealed class AccessTokenCache : TokenHandler, IDisposable
{
    /// <summary>Tokens kept at most (each holds its parsed token and claims, ~5 KB).</summary>
    public const int Capacity = 4096;

    private static readonly Counter Validations = Metrics.CreateCounter("taskhub_access_token_validations_total",
        "Access tokens checked by the JWT bearer scheme: source=\"validated\" in full (first sight, or refused), source=\"cache\" taken from the tokens found valid before.",
        new CounterConfiguration { LabelNames = ["source"] });
    private static readonly Counter.Child Validated = Validations.WithLabels("validated");
    private static readonly Counter.Child Cached = Validations.WithLabels("cache");

    private readonly JsonWebTokenHandler _inner = new() { MapInboundClaims = false };
    private readonly MemoryCache _kept = new(new MemoryCacheOptions { SizeLimit = Capacity });
    private readonly TimeProvider _clock;
    private long _hits;

    public AccessTokenCache() : this(TimeProvider.System) { }

    /// <param name="clock">The clock a kept token's expiry is read on: IdentityModel reads the system clock.</param>
    public AccessTokenCache(TimeProvider clock) => _clock = clock;

    /// <summary>Requests served from the kept tokens since start (tests; the metric counts every replica's).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters parameters)
    {
        if (_kept.TryGetValue(token, out Kept? kept) && kept!.StillValid(parameters, _clock.GetUtcNow().UtcDateTime))
        {
            Interlocked.Increment(ref _hits);
            Cached.Inc();
            // A result of its own per request; the identity is shared, as nothing writes to a validated identity.
            return new TokenValidationResult { IsValid = true, SecurityToken = kept.Token, ClaimsIdentity = kept.Identity, Issuer = kept.Token.Issuer };
        }
        Validated.Inc();
        var result = await _inner.ValidateTokenAsync(token, parameters);
        if (result is { IsValid: true, SecurityToken: JsonWebToken jwt })
        {
            // The identity is built on first read (under the result's lock): built here, before any other request shares it.
            var identity = result.ClaimsIdentity;
            _kept.Set(token, new Kept(jwt, identity, Under.Of(parameters)), new MemoryCacheEntryOptions
            {
                Size = 1,
                AbsoluteExpiration = new DateTimeOffset(DateTime.SpecifyKind(jwt.ValidTo, DateTimeKind.Utc)) + parameters.ClockSkew,
            });
        }
        return result;
    }

    public override SecurityToken ReadToken(string token) => _inner.ReadToken(token);

    public void Dispose() => _kept.Dispose();

    /// <summary>What of the parameters a token was validated under must be the same for its result to stand.</summary>
    private sealed record Under(SecurityKey[] Keys, string[] Algorithms, string? Issuer, string[] Issuers, string? Audience, string[] Audiences)
    {
        public static Under Of(TokenValidationParameters p) =>
            new([.. p.IssuerSigningKeys ?? []], [.. p.ValidAlgorithms ?? []], p.ValidIssuer, [.. p.ValidIssuers ?? []],
                p.ValidAudience, [.. p.ValidAudiences ?? []]);

        /// <summary>
        /// The same keys (the same objects, in the same order), algorithms, issuers and audiences, compared by what the
        /// lists hold (one or two entries each): the scheme's per-request clone does not keep the same list objects.
        /// </summary>
        public bool Same(TokenValidationParameters p) =>
            Issuer == p.ValidIssuer && Audience == p.ValidAudience &&
            Keys.SequenceEqual(p.IssuerSigningKeys ?? [], ReferenceEqualityComparer.Instance) &&
            Algorithms.SequenceEqual(p.ValidAlgorithms ?? []) && Issuers.SequenceEqual(p.ValidIssuers ?? []) &&
            Audiences.SequenceEqual(p.ValidAudiences ?? []);
    }

    private sealed record Kept(JsonWebToken Token, ClaimsIdentity Identity, Under Parameters)
    {
        /// <summary>
        /// As IdentityModel's lifetime check (expired when the expiry is before now less the skew), and under the same
        /// parameters (so the key that signed it is still among the keys).
        /// </summary>
        public bool StillValid(TokenValidationParameters parameters, DateTime utcNow) =>
            Token.ValidTo >= utcNow - parameters.ClockSkew && Parameters.Same(parameters);
    }
}
