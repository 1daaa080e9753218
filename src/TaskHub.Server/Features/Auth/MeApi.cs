using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

public static class MeApi
{
    public static IEndpointRouteBuilder MapMe(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/me").WithTags("Me").RequireAuthorization();
        group.MapGet("/", GetMe);
        group.MapPatch("/", UpdateMe);
        group.MapGet("/notification-settings", GetNotificationSettings);
        group.MapPut("/notification-settings", PutNotificationSettings);
        return app;
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> GetMe(CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == me.Id, ct);
        return user is null ? Problems.NotFound("User") : TypedResults.Ok(UserDto.From(user));
    }

    /// <summary>Edits name and time zone; a new password needs the current one and signs out every other session.</summary>
    public static async Task<Results<Ok<UserDto>, ValidationProblem, ProblemHttpResult>> UpdateMe(
        UpdateMeRequest request, CurrentUser me, TaskHubDbContext db, IPasswordHasher<User> hasher, TimeProvider clock, SessionEnds ends,
        CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == me.Id, ct);
        if (user is null) return Problems.NotFound("User");

        var errors = new FieldErrors();
        if (request.DisplayName.HasValue) UserInput.CheckDisplayName(errors, "displayName", request.DisplayName.Value);
        if (request.TimeZone.HasValue) UserInput.CheckTimeZone(errors, "timeZone", request.TimeZone.Value);
        var changingPassword = request.NewPassword.HasValue;
        if (changingPassword)
        {
            UserInput.CheckPassword(errors, "newPassword", request.NewPassword.Value ?? "", user.Email);
            var current = request.CurrentPassword.GetValueOr(null!);
            if (string.IsNullOrEmpty(current))
                errors.Add("currentPassword", "Enter your current password to set a new one.");
            else if (hasher.VerifyHashedPassword(user, user.PasswordHash, current) == PasswordVerificationResult.Failed)
                errors.Add("currentPassword", "The current password is incorrect.");
        }
        if (errors.Any) return errors.ToProblem();

        if (request.DisplayName.HasValue) user.DisplayName = request.DisplayName.Value.Trim();
        if (request.TimeZone.HasValue) user.TimeZone = request.TimeZone.Value;
        if (!changingPassword)
            return await db.SaveUnderUserLockAsync(user.Id, ct) ? TypedResults.Ok(UserDto.From(user)) : Problems.NotFound("User");
        user.PasswordHash = hasher.HashPassword(user, request.NewPassword.Value!);
        // Sign out every other session; this one (its refresh-token family) stays. Under the person's lock, queued with
        // refreshes of those sessions (AuthApi.Refresh), and with the new password in the same transaction.
        var mySession = Guid.TryParse(me.Principal.FindFirst(JwtRegisteredClaimNames.Sid)?.Value, out var sid) ? sid : Guid.Empty;
        var now = clock.GetUtcNow().UtcDateTime;
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockUserAsync(user.Id, ct)) return Problems.NotFound("User"); // (the account deleted meanwhile)
        await db.RefreshTokens.Where(t => t.UserId == user.Id && t.FamilyId != mySession && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await ends.EndedAsync(user.Id);
        return TypedResults.Ok(UserDto.From(user));
    }

    public static async Task<Results<Ok<NotificationSettingsDto>, ProblemHttpResult>> GetNotificationSettings(
        CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        var s = await db.Users.AsNoTracking().Where(u => u.Id == me.Id)
            .Select(u => new NotificationSettingsDto(u.EmailOnChange, u.Digest, u.ReminderLeadHours)).SingleOrDefaultAsync(ct);
        return s is null ? Problems.NotFound("User") : TypedResults.Ok(s);
    }

    public static async Task<Results<Ok<NotificationSettingsDto>, ProblemHttpResult>> PutNotificationSettings(
        NotificationSettingsDto request, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == me.Id, ct);
        if (user is null) return Problems.NotFound("User");
        user.EmailOnChange = request.EmailOnChange;
        user.Digest = request.Digest;
        user.ReminderLeadHours = request.ReminderLeadHours;
        if (!await db.SaveUnderUserLockAsync(user.Id, ct)) return Problems.NotFound("User");
        return TypedResults.Ok(new NotificationSettingsDto(user.EmailOnChange, user.Digest, user.ReminderLeadHours));
    }
}
