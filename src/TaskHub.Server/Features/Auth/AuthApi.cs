using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

public static class AuthApi
{
    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Auth");
        group.MapPost("/register", Register).AddEndpointFilter<AuthAddressLimitFilter>();
        group.MapPost("/login", Login).AddEndpointFilter<AuthAddressLimitFilter>();
        group.MapPost("/refresh", Refresh).AddEndpointFilter<AuthAddressLimitFilter>();
        group.MapPost("/logout", Logout).RequireAuthorization();
        group.MapPasswordReset();
        return app;
    }

    public static async Task<Results<Created<UserDto>, ValidationProblem, ProblemHttpResult>> Register(
        RegisterRequest request, TaskHubDbContext db, IPasswordHasher<User> hasher, IOptions<AuthOptions> auth, CancellationToken ct)
    {
        if (!auth.Value.PasswordSignIn) return AuthOptions.PasswordSignInOff();
        var errors = new FieldErrors();
        UserInput.CheckEmail(errors, "email", request.Email);
        UserInput.CheckPassword(errors, "password", request.Password, request.Email);
        UserInput.CheckDisplayName(errors, "displayName", request.DisplayName);
        if (request.TimeZone is not null) UserInput.CheckTimeZone(errors, "timeZone", request.TimeZone);
        if (errors.Any) return errors.ToProblem();

        var normalized = User.Normalize(request.Email);
        if (await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, ct))
            return Problems.Conflict("An account with this email already exists.");

        var user = new User
        {
            Email = request.Email.Trim(),
            NormalizedEmail = normalized,
            DisplayName = request.DisplayName.Trim(),
            TimeZone = request.TimeZone ?? "UTC",
        };
        user.PasswordHash = hasher.HashPassword(user, request.Password);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Two sign-ups raced for one address: the unique index decided.
            db.ChangeTracker.Clear();
            if (!await db.Users.AnyAsync(u => u.NormalizedEmail == normalized, ct)) throw;
            return Problems.Conflict("An account with this email already exists.");
        }
        return TypedResults.Created("/api/me", UserDto.From(user));
    }

    /// <summary>Email and password; with two-factor sign-in on, the answer asks for a code instead of carrying tokens.</summary>
    public static async Task<Results<Ok<LoginResponse>, ProblemHttpResult>> Login(
        LoginRequest request, HttpContext http, TaskHubDbContext db, IPasswordHasher<User> hasher, TokenService tokens,
        AuthThrottle throttle, MfaTokens mfa, IOptions<AuthOptions> auth, CancellationToken ct)
    {
        if (!auth.Value.PasswordSignIn) return AuthOptions.PasswordSignInOff();
        var normalized = User.Normalize(request.Email);
        if (!await throttle.AllowAccountAsync(normalized))
            return AuthThrottle.TooMany(http, 60, "Too many log-in attempts for this account. Wait a minute and try again.");
        if (await throttle.IsLockedAsync(normalized))
            return AuthThrottle.TooMany(http, throttle.LockoutMinutes * 60,
                $"Too many failed log-ins. This account is locked for {throttle.LockoutMinutes} minutes after the last failed attempt.");
        var user = await db.Users.SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, ct);
        // Hash even for an unknown email, so the answer takes as long as for a wrong password.
        var verdict = hasher.VerifyHashedPassword(user ?? DummyUser, user?.PasswordHash ?? DummyHash, request.Password);
        if (user is null || verdict == PasswordVerificationResult.Failed)
        {
            await throttle.RecordFailureAsync(normalized);
            return Problems.Unauthorized("The email or password is incorrect.");
        }
        await throttle.RecordSuccessAsync(normalized);
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
            user.PasswordHash = hasher.HashPassword(user, request.Password);
        if (user.TotpSecret is not null)
        {
            await db.SaveChangesAsync(ct);
            return TypedResults.Ok(LoginResponse.SecondFactor(mfa.Issue(user.Id)));
        }

        var response = tokens.Issue(user);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(LoginResponse.From(response));
    }

    public static async Task<Results<Ok<AuthResponse>, ProblemHttpResult>> Refresh(
        RefreshRequest request, TaskHubDbContext db, TokenService tokens, TimeProvider clock, SessionEnds ends, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var hash = TokenService.Hash(request.RefreshToken);
        var token = await db.RefreshTokens.AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, ct);
        if (token is null || token.ExpiresAt <= now)
            return Problems.Unauthorized("The refresh token is invalid or expired.");

        // Rotate: exactly one caller can retire a live token. Anyone presenting a retired one is replaying
        // a stolen or leaked token, so the whole family (every session descended from that log-in) dies.
        // The retirement and the new token commit together: in between, the session would have no live token, and
        // the hub's session sweep (Realtime's HubAccessSweep) would close its open connections as if it had ended.
        // Every change to a person's sessions first takes their row lock (LockUserAsync): concurrent refreshes of one
        // token, and a sign-out or a session's end racing them, queue one behind the other. Without it the callers that
        // lost revoked the family at once, and on MariaDB deadlocked on the family's index entries.
        await using var tx = await db.BeginWriteAsync(ct);
        await db.LockUserAsync(token.UserId, ct);
        var retired = await db.RefreshTokens
            .Where(t => t.Id == token.Id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        if (retired == 0)
        {
            await RevokeFamilyAsync(db, token.FamilyId, now, ct);
            await tx.CommitAsync(ct);
            await ends.EndedAsync(token.UserId);
            return Problems.Unauthorized("The refresh token was already used; the session has been revoked.");
        }

        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == token.UserId, ct);
        if (user is null) return Problems.Unauthorized("The refresh token is invalid or expired.");
        var response = tokens.Issue(user, token.FamilyId);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(response);
    }

    public static async Task<NoContent> Logout(
        RefreshRequest request, CurrentUser me, TaskHubDbContext db, TimeProvider clock, SessionEnds ends, CancellationToken ct)
    {
        var hash = TokenService.Hash(request.RefreshToken);
        var familyId = await db.RefreshTokens.Where(t => t.TokenHash == hash && t.UserId == me.Id)
            .Select(t => (Guid?)t.FamilyId).SingleOrDefaultAsync(ct);
        if (familyId is not { } family) return TypedResults.NoContent();
        await using var tx = await db.BeginWriteAsync(ct);
        await db.LockUserAsync(me.Id, ct); // queued with refreshes of the same tokens (see Refresh)
        await RevokeFamilyAsync(db, family, clock.GetUtcNow().UtcDateTime, ct);
        await tx.CommitAsync(ct);
        await ends.EndedAsync(me.Id); // its open hub connections close now, not at the next sweep
        return TypedResults.NoContent();
    }

    internal static Task<int> RevokeFamilyAsync(TaskHubDbContext db, Guid familyId, DateTime now, CancellationToken ct) =>
        db.RefreshTokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);

    private static readonly User DummyUser = new() { Email = "", NormalizedEmail = "", DisplayName = "" };
    private static readonly string DummyHash = new PasswordHasher<User>().HashPassword(DummyUser, Guid.NewGuid().ToString());
}
