using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// What log-in answers: the tokens, or — with two-factor sign-in on — <c>mfaRequired</c> and an <c>mfaToken</c> to
/// send with a code to <c>/api/auth/login/2fa</c> (and no tokens).
/// </summary>
public sealed record LoginResponse(string? AccessToken, string? RefreshToken, int? ExpiresIn, UserDto? User, bool MfaRequired = false, string? MfaToken = null,
    string? HubToken = null)
{
    public static LoginResponse From(AuthResponse r) => new(r.AccessToken, r.RefreshToken, r.ExpiresIn, r.User, HubToken: r.HubToken);
    public static LoginResponse SecondFactor(string mfaToken) => new(null, null, null, null, true, mfaToken);
}

public sealed record TwoFactorSetupDto(string Secret, string OtpauthUri);
public sealed record EnableTwoFactorRequest([property: Required, MaxLength(16)] string Code);
public sealed record RecoveryCodesDto(IReadOnlyList<string> RecoveryCodes);
public sealed record DisableTwoFactorRequest([property: Required] string Password, [property: Required, MaxLength(32)] string Code);
public sealed record TwoFactorLoginRequest([property: Required, MaxLength(2000)] string MfaToken, [property: MaxLength(16)] string? Code = null, [property: MaxLength(32)] string? RecoveryCode = null);

/// <summary>Two-factor sign-in with TOTP: enrol (setup → enable with a code), the second step of log-in, turning it off.</summary>
public static class TwoFactorApi
{
    public static IEndpointRouteBuilder MapTwoFactor(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me/2fa").WithTags("Two-factor").RequireAuthorization();
        me.MapPost("/setup", Setup);
        me.MapPost("/enable", Enable);
        me.MapPost("/disable", Disable);
        app.MapGroup("/api/auth").WithTags("Auth").MapPost("/login/2fa", LogIn).AddEndpointFilter<AuthAddressLimitFilter>();
        return app;
    }

    /// <summary>A new secret to put in an authenticator app; nothing changes until <c>enable</c> confirms it with a code.</summary>
    public static async Task<Results<Ok<TwoFactorSetupDto>, ProblemHttpResult>> Setup(CurrentUser me, TaskHubDbContext db, TotpSecrets secrets, CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == me.Id, ct);
        if (user is null) return Problems.NotFound("User");
        if (user.TotpSecret is not null) return Problems.Conflict("Two-factor sign-in is already on. Turn it off first to enrol another authenticator.");
        var secret = TotpVerifier.NewSecret();
        user.TotpPendingSecret = secrets.Protect(secret);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new TwoFactorSetupDto(secret, TotpVerifier.UriFor(secret, user.Email)));
    }

    /// <summary>Turns two-factor sign-in on with a code from the app; answers the ten recovery codes (shown once, stored hashed).</summary>
    public static async Task<Results<Ok<RecoveryCodesDto>, ValidationProblem, ProblemHttpResult>> Enable(
        EnableTwoFactorRequest request, CurrentUser me, TaskHubDbContext db, TotpVerifier totp, TotpSecrets secrets, TimeProvider clock, CancellationToken ct)
    {
        // One enable at a time (a double click): the second reads the first's result and is told it is on already. Both
        // passing the check deadlocked on MariaDB (each code's insert share-locks the person's row the other updates).
        await using var tx = await db.BeginWriteAsync(ct);
        await db.LockUserAsync(me.Id, ct);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == me.Id, ct);
        if (user is null) return Problems.NotFound("User");
        if (user.TotpSecret is not null) return Problems.Conflict("Two-factor sign-in is already on.");
        if (user.TotpPendingSecret is null) return FieldErrors.Single("code", "Start with setup: there is no authenticator to confirm.");
        if (totp.Match(secrets.Unprotect(user.TotpPendingSecret), request.Code) is not { } step)
            return FieldErrors.Single("code", "The code is incorrect. Enter the 6 digits your authenticator app shows now.");

        var now = clock.GetUtcNow().UtcDateTime;
        user.TotpSecret = TotpSecrets.NeedsUpgrade(user.TotpPendingSecret) ? secrets.Protect(user.TotpPendingSecret) : user.TotpPendingSecret;
        user.TotpPendingSecret = null;
        user.TotpLastStep = step;
        await db.Set<RecoveryCode>().Where(c => c.UserId == user.Id).ExecuteDeleteAsync(ct);
        var codes = RecoveryCodes.Generate();
        db.AddRange(codes.Select(c => new RecoveryCode { UserId = user.Id, CodeHash = RecoveryCodes.Hash(c), CreatedAt = now }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new RecoveryCodesDto(codes));
    }

    /// <summary>Turns two-factor sign-in off: needs the password and a current code (or a recovery code).</summary>
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Disable(
        DisableTwoFactorRequest request, HttpContext http, CurrentUser me, TaskHubDbContext db, IPasswordHasher<User> hasher,
        TotpVerifier totp, TotpSecrets secrets, AuthThrottle throttle, TimeProvider clock, CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == me.Id, ct);
        if (user is null) return Problems.NotFound("User");
        if (user.TotpSecret is null) return Problems.Conflict("Two-factor sign-in is not on.");
        if (await ThrottledAsync(http, throttle, user.Id) is { } tooMany) return tooMany;
        if (hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password) == PasswordVerificationResult.Failed)
        {
            await throttle.RecordFailureAsync(ThrottleKey(user.Id));
            return FieldErrors.Single("password", "The password is incorrect.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        if (!await totp.AcceptAsync(db, user.Id, secrets.Unprotect(user.TotpSecret), request.Code, ct) && !await RecoveryCodes.UseAsync(db, user.Id, request.Code, now, ct))
        {
            await throttle.RecordFailureAsync(ThrottleKey(user.Id));
            return FieldErrors.Single("code", "The code is incorrect or was already used.");
        }
        await throttle.RecordSuccessAsync(ThrottleKey(user.Id));
        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.TotpSecret, (string?)null).SetProperty(u => u.TotpPendingSecret, (string?)null).SetProperty(u => u.TotpLastStep, 0L), ct);
        await db.Set<RecoveryCode>().Where(c => c.UserId == user.Id).ExecuteDeleteAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>The second step of log-in: the token from the first step and a code from the app, or a recovery code.</summary>
    public static async Task<Results<Ok<AuthResponse>, ValidationProblem, ProblemHttpResult>> LogIn(
        TwoFactorLoginRequest request, HttpContext http, TaskHubDbContext db, MfaTokens mfa, TotpVerifier totp, AuthThrottle throttle,
        TotpSecrets secrets, TokenService tokens, TimeProvider clock, CancellationToken ct)
    {
        if (await mfa.ReadAsync(request.MfaToken) is not { } userId)
            return Problems.Unauthorized("The sign-in took too long or is not valid. Sign in again.");
        if (await ThrottledAsync(http, throttle, userId) is { } tooMany) return tooMany;
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, ct);
        if (user?.TotpSecret is null) return Problems.Unauthorized("The sign-in took too long or is not valid. Sign in again.");

        var now = clock.GetUtcNow().UtcDateTime;
        var passed = request.RecoveryCode is { Length: > 0 }
            ? await RecoveryCodes.UseAsync(db, user.Id, request.RecoveryCode, now, ct)
            : await totp.AcceptAsync(db, user.Id, secrets.Unprotect(user.TotpSecret), request.Code, ct);
        if (!passed)
        {
            await throttle.RecordFailureAsync(ThrottleKey(user.Id));
            return request.RecoveryCode is { Length: > 0 }
                ? FieldErrors.Single("recoveryCode", "The recovery code is incorrect or was already used.")
                : FieldErrors.Single("code", "The code is incorrect or was already used. Wait for the next one and try again.");
        }
        await throttle.RecordSuccessAsync(ThrottleKey(user.Id));
        if (TotpSecrets.NeedsUpgrade(user.TotpSecret))
        {
            // A secret from before protection at rest: protected now that it has proved itself.
            var stored = user.TotpSecret;
            await db.Users.Where(u => u.Id == user.Id && u.TotpSecret == stored)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.TotpSecret, secrets.Protect(stored)), ct);
        }
        var response = tokens.Issue(user);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(response);
    }

    private static string ThrottleKey(Guid userId) => $"mfa:{userId:N}";

    /// <summary>Second-factor attempts are limited per account per minute, and lock it after repeated failures, like log-in.</summary>
    private static async Task<ProblemHttpResult?> ThrottledAsync(HttpContext http, AuthThrottle throttle, Guid userId)
    {
        if (!await throttle.AllowAccountAsync(ThrottleKey(userId)))
            return AuthThrottle.TooMany(http, 60, "Too many two-factor attempts for this account. Wait a minute and try again.");
        if (await throttle.IsLockedAsync(ThrottleKey(userId)))
            return AuthThrottle.TooMany(http, throttle.LockoutMinutes * 60,
                $"Too many wrong codes. Two-factor sign-in for this account is locked for {throttle.LockoutMinutes} minutes after the last failed attempt.");
        return null;
    }
}
