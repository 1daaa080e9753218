using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

public sealed record OidcProviderDto(string Name, string DisplayName);
/// <summary>How people sign in here: with a password (unless "SSO only") and/or the listed providers.</summary>
public sealed record AuthConfigDto(bool PasswordSignIn, List<OidcProviderDto> Providers);
public sealed record OidcExchangeRequest([property: Required, MaxLength(100)] string Code);
public sealed record OidcLinkRequest([property: Required, MaxLength(100)] string Code, [property: Required] string Password);

/// <summary>Single sign-on: the providers, the start of a sign-in, and what the web app does with the code it gets back.</summary>
public static class OidcApi
{
    public static IEndpointRouteBuilder MapOidc(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Single sign-on").AllowAnonymous();
        group.MapGet("/providers", Providers);
        group.MapGet("/config", Config);
        // A browser navigation (the provider button), not an API call: it answers a redirect to the provider.
        group.MapGet("/oidc/{provider}/start", Start).ExcludeFromDescription().AddEndpointFilter<AuthAddressLimitFilter>();
        group.MapPost("/oidc/exchange", Exchange).AddEndpointFilter<AuthAddressLimitFilter>();
        group.MapPost("/oidc/link", Link).AddEndpointFilter<AuthAddressLimitFilter>();
        return app;
    }

    public static Ok<List<OidcProviderDto>> Providers(OidcProviderRegistry registry) => TypedResults.Ok(List(registry));

    /// <summary>What the sign-in page offers: the password form (<c>Auth:PasswordSignIn</c>) and the provider buttons.</summary>
    public static Ok<AuthConfigDto> Config(OidcProviderRegistry registry, Microsoft.Extensions.Options.IOptions<AuthOptions> auth) =>
        TypedResults.Ok(new AuthConfigDto(auth.Value.PasswordSignIn, List(registry)));

    private static List<OidcProviderDto> List(OidcProviderRegistry registry) =>
        registry.Providers.Select(p => new OidcProviderDto(p.Key, p.Value.DisplayName ?? p.Key)).OrderBy(p => p.DisplayName).ToList();

    public static Results<ChallengeHttpResult, NotFound> Start(string provider, OidcProviderRegistry registry) =>
        registry.Providers.ContainsKey(provider)
            ? TypedResults.Challenge(new AuthenticationProperties { RedirectUri = "/" }, [OidcProviders.SchemeFor(provider)])
            : TypedResults.NotFound();

    /// <summary>The sign-in code from the callback's redirect → our tokens (or, with two-factor sign-in on, the code step).</summary>
    public static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> Exchange(
        OidcExchangeRequest request, TaskHubDbContext db, TokenService tokens, MfaTokens mfa, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (await OidcSignIn.RedeemAsync(db, request.Code, OidcCodePurpose.SignIn, now, ct) is not { } code)
            return Problems.Unauthorized("This sign-in link was already used or has expired. Sign in again.");
        return await IssueAsync(db, tokens, mfa, code.UserId, ct) is { } response ? TypedResults.Ok(response) : Gone();
    }

    /// <summary>Links the provider's account to an existing TaskHub account with the same email, once its password confirms it.</summary>
    public static async Task<Results<Ok<LoginResponse>, ValidationProblem, ProblemHttpResult>> Link(
        OidcLinkRequest request, HttpContext http, TaskHubDbContext db, IPasswordHasher<User> hasher, AuthThrottle throttle,
        TokenService tokens, MfaTokens mfa, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var expired = Problems.Unauthorized("This sign-in link was already used or has expired. Sign in with your provider again.");
        if (await OidcSignIn.PeekAsync(db, request.Code, OidcCodePurpose.Link, now, ct) is not { } pending) return expired;
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == pending.UserId, ct);
        if (user is null) return expired;
        // Password guesses here count like log-in failures (the same lockout).
        if (!await throttle.AllowAccountAsync(user.NormalizedEmail))
            return AuthThrottle.TooMany(http, 60, "Too many attempts for this account. Wait a minute and try again.");
        if (await throttle.IsLockedAsync(user.NormalizedEmail))
            return AuthThrottle.TooMany(http, throttle.LockoutMinutes * 60, $"Too many failed attempts. This account is locked for {throttle.LockoutMinutes} minutes.");
        if (hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password) == PasswordVerificationResult.Failed)
        {
            await throttle.RecordFailureAsync(user.NormalizedEmail);
            return FieldErrors.Single("password", "The password is incorrect.");
        }
        await throttle.RecordSuccessAsync(user.NormalizedEmail);
        if (await OidcSignIn.RedeemAsync(db, request.Code, OidcCodePurpose.Link, now, ct) is null) return expired;
        if (!await db.Set<ExternalLogin>().AnyAsync(l => l.Provider == pending.Provider && l.Subject == pending.Subject, ct))
            db.Add(new ExternalLogin { UserId = user.Id, Provider = pending.Provider, Subject = pending.Subject, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        return await IssueAsync(db, tokens, mfa, user.Id, ct) is { } response ? TypedResults.Ok(response) : Gone();
    }

    private static ProblemHttpResult Gone() => Problems.Unauthorized("This account no longer exists.");

    private static async Task<LoginResponse?> IssueAsync(TaskHubDbContext db, TokenService tokens, MfaTokens mfa, Guid userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null) return null;
        // Two-factor sign-in, once on, is asked for whichever way the first factor came.
        if (user.TotpSecret is not null) return LoginResponse.SecondFactor(mfa.Issue(user.Id));
        var response = tokens.Issue(user);
        await db.SaveChangesAsync(ct);
        return LoginResponse.From(response);
    }
}
