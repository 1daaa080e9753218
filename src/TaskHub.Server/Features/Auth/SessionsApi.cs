using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

/// <summary>One signed-in session (a refresh-token family): first seen at its log-in, last seen at its latest refresh.</summary>
public sealed record SessionDto(Guid Id, string? UserAgent, string? Address, DateTime CreatedAt, DateTime LastSeenAt, bool Current);

/// <summary>The caller's sessions: list them, end one, or end all but this one.</summary>
public static class SessionsApi
{
    public static IEndpointRouteBuilder MapSessions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/me/sessions").WithTags("Sessions").RequireAuthorization();
        group.MapGet("/", List);
        group.MapDelete("/{sessionId:guid}", Revoke);
        group.MapPost("/revoke-others", RevokeOthers);
        return app;
    }

    public static Guid CurrentSession(CurrentUser me) =>
        Guid.TryParse(me.Principal.FindFirst(JwtRegisteredClaimNames.Sid)?.Value, out var sid) ? sid : Guid.Empty;

    /// <summary>Live sessions, the most recently used first.</summary>
    public static async Task<Ok<List<SessionDto>>> List(CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var live = db.RefreshTokens.Where(t => t.UserId == me.Id && t.RevokedAt == null && t.ExpiresAt > now).Select(t => t.FamilyId);
        var tokens = await db.RefreshTokens.AsNoTracking()
            .Where(t => t.UserId == me.Id && live.Contains(t.FamilyId))
            .Select(t => new { t.FamilyId, t.CreatedAt, t.UserAgent, t.Address })
            .ToListAsync(ct);
        var current = CurrentSession(me);
        var sessions = tokens.GroupBy(t => t.FamilyId).Select(family =>
        {
            var latest = family.MaxBy(t => t.CreatedAt)!;
            return new SessionDto(family.Key, latest.UserAgent, latest.Address, family.Min(t => t.CreatedAt), latest.CreatedAt, family.Key == current);
        }).OrderByDescending(s => s.LastSeenAt).ToList();
        return TypedResults.Ok(sessions);
    }

    /// <summary>Ends one session at once: its refresh token and its access tokens (which check their session) stop working.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        Guid sessionId, CurrentUser me, TaskHubDbContext db, TimeProvider clock, SessionEnds ends, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var tx = await db.BeginWriteAsync(ct);
        await db.LockUserAsync(me.Id, ct); // queued with refreshes of the session's tokens (AuthApi.Refresh)
        var revoked = await db.RefreshTokens.Where(t => t.UserId == me.Id && t.FamilyId == sessionId && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        await tx.CommitAsync(ct);
        if (revoked == 0) return Problems.NotFound("Session");
        await ends.EndedAsync(me.Id); // its open hub connections close now, not at the next sweep
        return TypedResults.NoContent();
    }

    /// <summary>Signs out everywhere else; this session stays.</summary>
    public static async Task<NoContent> RevokeOthers(CurrentUser me, TaskHubDbContext db, TimeProvider clock, SessionEnds ends, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var current = CurrentSession(me);
        await using var tx = await db.BeginWriteAsync(ct);
        await db.LockUserAsync(me.Id, ct); // queued with refreshes of the sessions' tokens (AuthApi.Refresh)
        await db.RefreshTokens.Where(t => t.UserId == me.Id && t.FamilyId != current && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
        await tx.CommitAsync(ct);
        await ends.EndedAsync(me.Id);
        return TypedResults.NoContent();
    }
}
