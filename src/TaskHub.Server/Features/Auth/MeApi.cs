using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

public static class MeApi
{
    public static IEndpointRouteBuilder MapMe(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/api/me").WithTags("Me").RequireAuthorization();
        me.MapGet("/", GetMe);
        me.MapPatch("/", UpdateMe);
        me.MapDelete("/", DeleteMe);
        me.MapGet("/notification-settings", GetNotificationSettings);
        me.MapPut("/notification-settings", PutNotificationSettings);
        return app;
    }

    public static async Task<Results<Ok<UserDto>, ProblemHttpResult>> GetMe(HttpContext http, TaskHubDbContext db, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == http.User.GetUserId(), ct);
        return user is null ? Problems.NotFound("User") : TypedResults.Ok(UserDto.From(user));
    }

    /// <summary>Edits name and time zone; a new password needs the current one and signs out every other session.</summary>
    public static async Task<Results<Ok<UserDto>, ValidationProblem, ProblemHttpResult>> UpdateMe(
        UpdateMeRequest request, HttpContext http, TaskHubDbContext db, IPasswordHasher<User> hasher, TimeProvider clock, CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == http.User.GetUserId(), ct);
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
        if (changingPassword)
        {
            user.PasswordHash = hasher.HashPassword(user, request.NewPassword.Value!);
            // Sign out every other session; this one (its refresh-token family) stays.
            var mySession = Guid.TryParse(http.User.FindFirst(JwtRegisteredClaimNames.Sid)?.Value, out var sid) ? sid : Guid.Empty;
            var now = clock.GetUtcNow().UtcDateTime;
            await db.RefreshTokens.Where(t => t.UserId == user.Id && t.FamilyId != mySession && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(UserDto.From(user));
    }

    /// <summary>
    /// Deletes the account. Their tasks become unassigned (recorded changes); each board they alone own
    /// passes to its longest-standing admin, else its longest-standing member; a board with neither is deleted.
    /// </summary>
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteMe(
        [FromBody] DeleteMeRequest request, HttpContext http, TaskHubDbContext db, IPasswordHasher<User> hasher, BoardPresence live,
        TimeProvider clock, CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == http.User.GetUserId(), ct);
        if (user is null) return Problems.NotFound("User");
        if (hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password) == PasswordVerificationResult.Failed)
            return FieldErrors.Single("password", "The password is incorrect.");

        var now = clock.GetUtcNow().UtcDateTime;
        var memberOf = await db.BoardMembers.Where(m => m.UserId == user.Id).Select(m => m.BoardId).ToListAsync(ct);
        await using var tx = await db.BeginWriteAsync(ct);
        await TaskChanges.UnassignAsync(db, user.Id, boardId: null, actorId: user.Id, now, ct);

        var soleOwned = await db.BoardMembers
            .Where(m => m.UserId == user.Id && m.Role == BoardRole.Owner
                        && !m.Board.Members.Any(o => o.UserId != user.Id && o.Role == BoardRole.Owner))
            .Select(m => m.BoardId).ToListAsync(ct);
        foreach (var boardId in soleOwned)
        {
            var heir = await db.BoardMembers
                .Where(m => m.BoardId == boardId && m.UserId != user.Id && (m.Role == BoardRole.Admin || m.Role == BoardRole.Member))
                .OrderBy(m => m.Role == BoardRole.Admin ? 0 : 1).ThenBy(m => m.JoinedAt).ThenBy(m => m.UserId)
                .FirstOrDefaultAsync(ct);
            if (heir is null) await db.Boards.Where(b => b.Id == boardId).ExecuteDeleteAsync(ct);
            else heir.Role = BoardRole.Owner;
        }
        db.Users.Remove(user); // memberships and refresh tokens cascade; createdById becomes null
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var boardId in memberOf) await live.RevokeAsync(boardId, user.Id);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<NotificationSettingsDto>, ProblemHttpResult>> GetNotificationSettings(
        HttpContext http, TaskHubDbContext db, CancellationToken ct)
    {
        var s = await db.Users.AsNoTracking().Where(u => u.Id == http.User.GetUserId())
            .Select(u => new NotificationSettingsDto(u.EmailOnChange, u.Digest, u.ReminderLeadHours)).SingleOrDefaultAsync(ct);
        return s is null ? Problems.NotFound("User") : TypedResults.Ok(s);
    }

    public static async Task<Results<Ok<NotificationSettingsDto>, ProblemHttpResult>> PutNotificationSettings(
        NotificationSettingsDto request, HttpContext http, TaskHubDbContext db, CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == http.User.GetUserId(), ct);
        if (user is null) return Problems.NotFound("User");
        user.EmailOnChange = request.EmailOnChange;
        user.Digest = request.Digest;
        user.ReminderLeadHours = request.ReminderLeadHours;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new NotificationSettingsDto(user.EmailOnChange, user.Digest, user.ReminderLeadHours));
    }
}
