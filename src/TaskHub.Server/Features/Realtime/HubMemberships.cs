using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// The membership check of <see cref="BoardHub.JoinBoard"/>, batched (<see cref="BatchedLookup{TKey}"/>): the joins
/// of a reconnect storm, asked while one check runs, are answered by the next single query.
/// </summary>
public sealed class HubMemberships(IServiceScopeFactory scopes)
{
    private readonly BatchedLookup<(Guid BoardId, Guid UserId)> _members = new(scopes, async (db, keys, ct) =>
    {
        var boards = keys.Select(k => k.BoardId).Distinct().ToList();
        var users = keys.Select(k => k.UserId).Distinct().ToList();
        var rows = await db.BoardMembers.AsNoTracking()
            .Where(m => boards.Contains(m.BoardId) && users.Contains(m.UserId))
            .Select(m => new { m.BoardId, m.UserId }).ToListAsync(ct);
        return rows.Select(r => (r.BoardId, r.UserId)).ToHashSet();
    });

    public long Queries => _members.Queries;

    public Task<bool> IsMemberAsync(Guid boardId, Guid userId, CancellationToken ct) => _members.ExistsAsync((boardId, userId), ct);

    /// <summary>Which of these (board, person) pairs are memberships now: for a sweep of every joined connection.</summary>
    public Task<IReadOnlySet<(Guid BoardId, Guid UserId)>> MembersAsync(IReadOnlyCollection<(Guid BoardId, Guid UserId)> pairs, CancellationToken ct) =>
        _members.ExistingAsync(pairs, ct);
}
