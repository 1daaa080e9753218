using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TaskHub.Server.Features.Auth;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Jobs;

namespace TaskHub.Tests.Auth;

/// <summary>SQLite, with the access-token cache's clock (the system clock in production) one the tests can move.</summary>
public sealed class TokenCacheApplication : SqliteApplication
{
    public ShiftableClock TokenClock { get; } = new();

    public AccessTokenCache Cache => Services.GetRequiredService<AccessTokenCache>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton(new AccessTokenCache(TokenClock)));
    }
}

/// <summary>
/// The JWT bearer scheme keeps the access tokens it found valid (<see cref="AccessTokenCache"/>): a token seen before is
/// not validated again, yet a kept token is refused whenever a fresh validation would refuse it, and its session is
/// checked on every request as before.
/// </summary>
public sealed class AccessTokenCacheTests(TokenCacheApplication app) : IClassFixture<TokenCacheApplication>
{
    [Fact]
    public async Task AnAccessTokenIsValidatedOnceAndThenTakenFromTheCache()
    {
        var ada = await app.SignUpAsync();
        var before = app.Cache.Hits;

        for (var i = 0; i < 3; i++)
            Assert.Equal(ada.Id, (await ada.Client.GetJson("/api/me")).GetProperty("id").GetGuid());

        // The first of the three may be the token's first sight; the others are served from the cache.
        Assert.True(app.Cache.Hits - before >= 2, $"{app.Cache.Hits - before} of 3 requests were served from the cache");
    }

    /// <summary>From now to the expiry the user's access token carries.</summary>
    private static TimeSpan UntilExpiry(TestUser user) => new JsonWebToken(user.AccessToken).ValidTo - DateTime.UtcNow;

    /// <summary>
    /// A new user's token kept, then one request with the cache's clock <paramref name="pastExpiry"/> after the token's
    /// expiry (IdentityModel's own check reads the system clock: AKeptTokenIsRefusedOnceItHasExpired has it refuse):
    /// how many of that request's token validations the cache served (0 or 1).
    /// </summary>
    private async Task<long> HitsOfARequestAtAsync(TimeSpan pastExpiry)
    {
        var ada = await app.SignUpAsync();
        (await ada.Client.GetAsync("/api/me")).EnsureSuccessStatusCode(); // kept now
        var hits = app.Cache.Hits;
        app.TokenClock.Offset = UntilExpiry(ada) + pastExpiry;
        try
        {
            (await ada.Client.GetAsync("/api/me")).EnsureSuccessStatusCode();
        }
        finally { app.TokenClock.Offset = TimeSpan.Zero; }
        return app.Cache.Hits - hits;
    }

    // Past the token's expiry and the 30 s of clock skew a fresh validation allows, on the cache's clock.
    [Fact]
    public async Task ACachedTokenPastItsExpiryIsValidatedAfresh() => Assert.Equal(0, await HitsOfARequestAtAsync(TimeSpan.FromSeconds(31)));

    [Fact]
    public async Task ACachedTokenWithinItsClockSkewIsStillTakenFromTheCache() => Assert.Equal(1, await HitsOfARequestAtAsync(TimeSpan.FromSeconds(20)));

    [Fact]
    public async Task ACachedTokenOfASessionLoggedOutIsRefusedAtOnce()
    {
        var ada = await app.SignUpAsync();
        (await ada.Client.GetAsync("/api/me")).EnsureSuccessStatusCode();
        (await ada.Client.GetAsync("/api/me")).EnsureSuccessStatusCode(); // kept now
        (await ada.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = ada.RefreshToken })).EnsureSuccessStatusCode();
        var hits = app.Cache.Hits;

        Assert.Equal(HttpStatusCode.Unauthorized, (await ada.Client.GetAsync("/api/me")).StatusCode);
        // The refused request took its token from the cache: what refused it is the session check after it.
        Assert.Equal(hits + 1, app.Cache.Hits);
    }

    [Fact]
    public async Task AChangedCopyOfACachedTokenIsRefused()
    {
        var ada = await app.SignUpAsync();
        (await ada.Client.GetAsync("/api/me")).EnsureSuccessStatusCode(); // kept now

        // One character of the signature's middle changed (the last character carries padding bits).
        var signatureAt = ada.AccessToken.LastIndexOf('.') + 10;
        var changed = ada.AccessToken[..signatureAt] + (ada.AccessToken[signatureAt] == 'A' ? 'B' : 'A') + ada.AccessToken[(signatureAt + 1)..];

        Assert.Equal(HttpStatusCode.Unauthorized, (await app.ClientWithToken(changed).GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ada.Client.GetAsync("/api/me")).StatusCode);
    }

    // The handler itself, with IdentityModel's real validation: what the scheme's options cannot change while it runs.

    private static readonly SymmetricSecurityKey Key1 = new(Encoding.UTF8.GetBytes("first-signing-key-0123456789-abcdefghijkl"));
    private static readonly SymmetricSecurityKey Key2 = new(Encoding.UTF8.GetBytes("second-signing-key-0123456789-abcdefghijk"));

    /// <summary>Parameters accepting tokens signed with <paramref name="keys"/>; validate under a clone of them each time, as
    /// the scheme clones its parameters per request (<see cref="TwiceAsync"/>).</summary>
    private static TokenValidationParameters Accepting(params SecurityKey[] keys) => new()
    {
        ValidIssuer = "taskhub",
        ValidAudience = "taskhub",
        IssuerSigningKeys = keys,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.FromSeconds(30),
    };

    private static string Token(SecurityKey key, DateTime? expires = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "taskhub",
        Audience = "taskhub",
        Subject = new ClaimsIdentity([new Claim("sub", Guid.NewGuid().ToString())]),
        NotBefore = DateTime.UtcNow.AddMinutes(-1),
        Expires = expires ?? DateTime.UtcNow.AddMinutes(15),
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
    });

    /// <summary>Validates <paramref name="token"/> twice, each under its own clone of <paramref name="options"/>: whether
    /// each validation found it valid.</summary>
    private static async Task<(bool First, bool Second)> TwiceAsync(AccessTokenCache cache, string token, TokenValidationParameters options) =>
        ((await cache.ValidateTokenAsync(token, options.Clone())).IsValid, (await cache.ValidateTokenAsync(token, options.Clone())).IsValid);

    [Fact]
    public async Task AKeptTokenIsValidatedAfreshOnceItsKeyIsNoLongerAccepted()
    {
        using var cache = new AccessTokenCache();
        var token = Token(Key1);
        var keys = new List<SecurityKey> { Key1, Key2 };
        var options = Accepting();
        options.IssuerSigningKeys = keys;
        Assert.Equal((true, true), await TwiceAsync(cache, token, options));
        Assert.Equal(1, cache.Hits);

        keys.Remove(Key1); // (the same list object, changed in place)
        var withoutItsKey = await cache.ValidateTokenAsync(token, options.Clone());

        Assert.False(withoutItsKey.IsValid);
        Assert.Equal(1, cache.Hits);
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("issuer")]
    [InlineData("audience")]
    [InlineData("algorithms")]
    public async Task AKeptTokenIsValidatedAfreshUnderOtherParameters(string changed)
    {
        using var cache = new AccessTokenCache();
        var token = Token(Key1);
        var options = Accepting(Key1);
        Assert.Equal((true, true), await TwiceAsync(cache, token, options));
        Assert.Equal(1, cache.Hits);

        var other = options.Clone();
        switch (changed)
        {
            case "keys": other.IssuerSigningKeys = [Key2]; break;
            case "issuer": other.ValidIssuer = "another-issuer"; break;
            case "audience": other.ValidAudience = "another-audience"; break;
            default: other.ValidAlgorithms = [SecurityAlgorithms.HmacSha512]; break;
        }

        Assert.False((await cache.ValidateTokenAsync(token, other)).IsValid);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public async Task AKeptTokenIsRefusedOnceItHasExpired()
    {
        using var cache = new AccessTokenCache();
        var token = Token(Key1, DateTime.UtcNow.AddSeconds(5));
        var noSkew = Accepting(Key1);
        noSkew.ClockSkew = TimeSpan.Zero;
        Assert.Equal((true, true), await TwiceAsync(cache, token, noSkew));
        Assert.Equal(1, cache.Hits);

        // (the token's expiry is in whole seconds, so up to one before the one asked for: read it from the token)
        await Task.Delay(new JsonWebToken(token).ValidTo.AddMilliseconds(300) - DateTime.UtcNow);

        // (both the cache's own expiry check and its entries' expiry refuse it here: each alone keeps this red)
        Assert.False((await cache.ValidateTokenAsync(token, noSkew.Clone())).IsValid);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public async Task ARefusedTokenIsNotKept()
    {
        using var cache = new AccessTokenCache();
        var token = Token(Key2);

        var options = Accepting(Key1);
        Assert.Equal((false, false), await TwiceAsync(cache, token, options));
        Assert.Equal(0, cache.Hits);
    }

    [Fact]
    public async Task AKeptTokenCarriesItsClaims()
    {
        using var cache = new AccessTokenCache();
        var token = Token(Key1);
        var options = Accepting(Key1);
        var first = await cache.ValidateTokenAsync(token, options.Clone());

        var kept = await cache.ValidateTokenAsync(token, options.Clone());

        Assert.Equal(1, cache.Hits);
        Assert.True(kept.IsValid);
        Assert.Equal(first.ClaimsIdentity.FindFirst("sub")!.Value, kept.ClaimsIdentity.FindFirst("sub")!.Value);
        Assert.Equal(((JsonWebToken)first.SecurityToken).ValidTo, kept.SecurityToken.ValidTo);
    }
}
