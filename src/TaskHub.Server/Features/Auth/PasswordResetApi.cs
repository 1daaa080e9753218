using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

public sealed record ForgotPasswordRequest([property: Required, MaxLength(UserRules.EmailMax)] string Email);

public sealed record ResetPasswordRequest([property: Required, MaxLength(100)] string Token, [property: Required] string NewPassword);

/// <summary>"Forgot password": an emailed, signed, single-use link valid for an hour; using it signs out every session.</summary>
public static class PasswordResetApi
{
    public static RouteGroupBuilder MapPasswordReset(this RouteGroupBuilder auth)
    {
        auth.MapPost("/forgot", Forgot).AddEndpointFilter<AuthAddressLimitFilter>();
        auth.MapPost("/reset", Reset).AddEndpointFilter<AuthAddressLimitFilter>();
        return auth;
    }

    /// <summary>202 whether or not the address has an account: the same answer, after the same work (one lookup), either way.</summary>
    public static async Task<Results<Accepted, ProblemHttpResult>> Forgot(
        ForgotPasswordRequest request, HttpContext http, TaskHubDbContext db, AuthThrottle throttle, IPasswordResetMailer mailer,
        PasswordResets resets, IOptions<AuthOptions> auth, TimeProvider clock, CancellationToken ct)
    {
        if (!auth.Value.PasswordSignIn) return AuthOptions.PasswordSignInOff();
        var normalized = User.Normalize(request.Email);
        // Counted whether or not the account exists, so the 429 tells nothing either.
        if (!await throttle.AllowAccountAsync("reset:" + normalized))
            return AuthThrottle.TooMany(http, 60, "Too many reset requests for this address. Wait a minute and try again.");
        var user = await db.Users.AsNoTracking().Where(u => u.NormalizedEmail == normalized).Select(u => new { u.Id }).SingleOrDefaultAsync(ct);
        if (user is not null)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var reset = new PasswordReset { UserId = user.Id, TokenHash = "", CreatedAt = now, ExpiresAt = now + PasswordResets.Lifetime };
            reset.TokenHash = TokenService.Hash(resets.TokenFor(reset.Id));
            db.Add(reset);
            mailer.Queue(db, reset, now);
            await db.SaveChangesAsync(ct);
        }
        return TypedResults.Accepted((string?)null);
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Reset(
        ResetPasswordRequest request, TaskHubDbContext db, IPasswordHasher<User> hasher, AuthThrottle throttle,
        IOptions<AuthOptions> auth, TimeProvider clock, SessionEnds ends, CancellationToken ct)
    {
        if (!auth.Value.PasswordSignIn) return AuthOptions.PasswordSignInOff();
        var now = clock.GetUtcNow().UtcDateTime;
        var invalid = FieldErrors.Single("token", "This reset link is not valid: it was already used, has expired (links last an hour) or is incomplete. Ask for a new one.");
        if (PasswordResets.ReadId(request.Token) is not { } id) return invalid;
        var reset = await db.Set<PasswordReset>().AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (reset is null || !PasswordResets.Matches(request.Token, reset.TokenHash) || reset.UsedAt is not null || reset.ExpiresAt <= now)
            return invalid;
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == reset.UserId, ct);
        if (user is null) return invalid;

        // A refused password leaves the link usable, so the person can try again.
        var errors = new FieldErrors();
        UserInput.CheckPassword(errors, "newPassword", request.NewPassword, user.Email);
        if (errors.Any) return errors.ToProblem();

        // Exactly one request can use a link. The link, the password and the sessions' end commit together, under the
        // person's lock (queued with refreshes of their sessions, AuthApi.Refresh).
        user.PasswordHash = hasher.HashPassword(user, request.NewPassword);
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            await db.LockUserAsync(user.Id, ct);
            var used = await db.Set<PasswordReset>().Where(r => r.Id == id && r.UsedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.UsedAt, now), ct);
            if (used == 0) return invalid;
            // Any other link still out there dies with this one.
            await db.Set<PasswordReset>().Where(r => r.UserId == user.Id && r.UsedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.UsedAt, now), ct);
            await db.SaveChangesAsync(ct);
            await db.RefreshTokens.Where(t => t.UserId == user.Id && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
            await tx.CommitAsync(ct);
        }
        await ends.EndedAsync(user.Id); // every session ended: its open hub connections close now
        await throttle.RecordSuccessAsync(user.NormalizedEmail); // the owner proved themselves: lift a lockout
        return TypedResults.NoContent();
    }
}
