using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// The session check of hub connections (<see cref="AuthExtensions"/>), batched: after a replica restart thousands of
/// clients reconnect within a second or two, and each connection's check would be a query of its own; with
/// <see cref="BatchedLookup{TKey}"/> the checks asked while one runs go together in the next (one query, one database
/// connection). REST requests keep their own (compiled) check.
/// </summary>
public sealed class HubSessionChecks(IServiceScopeFactory scopes, TimeProvider clock)
{
    private readonly BatchedLookup<(Guid FamilyId, Guid UserId)> _alive = new(scopes, async (db, keys, ct) =>
    {
        var families = keys.Select(k => k.FamilyId).Distinct().ToList();
        var now = clock.GetUtcNow().UtcDateTime;
        var rows = await db.RefreshTokens.AsNoTracking()
            .Where(t => families.Contains(t.FamilyId) && t.RevokedAt == null && t.ExpiresAt > now)
            .Select(t => new { t.FamilyId, t.UserId }).Distinct().ToListAsync(ct);
        return rows.Select(r => (r.FamilyId, r.UserId)).ToHashSet();
    });

    public long Queries => _alive.Queries;

    public Task<bool> AliveAsync(Guid familyId, Guid userId, CancellationToken ct) => _alive.ExistsAsync((familyId, userId), ct);

    /// <summary>Which of these sessions are alive now: for a sweep of every open connection.</summary>
    public Task<IReadOnlySet<(Guid FamilyId, Guid UserId)>> AliveAsync(IReadOnlyCollection<(Guid FamilyId, Guid UserId)> sessions, CancellationToken ct) =>
        _alive.ExistingAsync(sessions, ct);

    /// <summary>The session (family) and person a hub connection's principal names, as its connect check read them.</summary>
    public static (Guid FamilyId, Guid UserId)? SessionOf(ClaimsPrincipal? principal) =>
        Guid.TryParse(principal?.FindFirst(JwtRegisteredClaimNames.Sid)?.Value, out var family) &&
        Guid.TryParse(principal?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value, out var user)
            ? (family, user) : null;
}
