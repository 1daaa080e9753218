using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Boards;

/// <summary>
/// Board membership. Owners and admins manage members; only an owner can make or touch an owner; the last
/// owner can neither leave nor be demoted; anyone may leave. A member who leaves is unassigned from the board's tasks.
/// </summary>
public static class MembersApi
{
    public static IEndpointRouteBuilder MapMembers(this IEndpointRouteBuilder app)
    {
        var members = app.MapGroup("/api/boards/{boardId:guid}/members").WithTags("Members").RequireAuthorization();
        members.MapGet("/", ListMembers);
        members.MapPost("/", AddMember).WithIdempotencyKey();
        members.MapPatch("/{userId:guid}", ChangeRole).WithIdempotencyKey();
        members.MapDelete("/{userId:guid}", RemoveMember).WithIdempotencyKey();
        return app;
    }

    public static async Task<Results<Ok<List<MemberDto>>, ProblemHttpResult>> ListMembers(Guid boardId, TaskHubDbContext db, CurrentUser me, CancellationToken ct)
    {
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");
        var members = await db.BoardMembers.AsNoTracking().Where(m => m.BoardId == boardId)
            .OrderBy(m => m.JoinedAt).ThenBy(m => m.UserId)
            .Select(m => new MemberDto(m.UserId, m.User.Email, m.User.DisplayName, m.Role, m.JoinedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(members);
    }

    public static async Task<Results<Created<MemberDto>, ValidationProblem, ProblemHttpResult>> AddMember(
        Guid boardId, AddMemberRequest request, TaskHubDbContext db, CurrentUser me, TimeProvider clock, CancellationToken ct)
    {
        if (await AddRefusalAsync(db, boardId, me.Id, request.Role, ct) is { } refused) return refused;
        var normalized = User.Normalize(request.Email);
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized, ct);
        if (user is null) return NoAccount();
        if (await db.BoardMembers.AnyAsync(m => m.BoardId == boardId && m.UserId == user.Id, ct)) return AlreadyMember();

        // Checked again under the board's lock: the caller may have been demoted or removed, the person added by another
        // tab, or the board deleted, meanwhile.
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockBoardAsync(boardId, ct)) return Problems.NotFound("Board");
        if (await AddRefusalAsync(db, boardId, me.Id, request.Role, ct) is { } refusedNow) return refusedNow;
        if (await db.BoardMembers.AnyAsync(m => m.BoardId == boardId && m.UserId == user.Id, ct)) return AlreadyMember();
        var member = new BoardMember { BoardId = boardId, UserId = user.Id, Role = request.Role, JoinedAt = clock.GetUtcNow().UtcDateTime };
        db.BoardMembers.Add(member);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The person's account was deleted meanwhile (their deletion holds their row until it commits; the member
            // row's foreign key then finds none). The person's lock is not taken here: never after a board's.
            db.ChangeTracker.Clear();
            if (await db.Users.AnyAsync(u => u.Id == user.Id, ct)) throw;
            return NoAccount();
        }
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/boards/{boardId}/members/{user.Id}", new MemberDto(user.Id, user.Email, user.DisplayName, member.Role, member.JoinedAt));
    }

    /// <summary>Owners and admins add members; only an owner makes someone an owner.</summary>
    private static Task<ProblemHttpResult?> AddRefusalAsync(TaskHubDbContext db, Guid boardId, Guid userId, BoardRole role, CancellationToken ct) =>
        db.ManagerRefusalAsync(boardId, userId, "Only owners and admins can add members.", ct,
            ownerOnly: role == BoardRole.Owner, ownerForbidden: "Only an owner can make someone an owner.");

    private static ProblemHttpResult NoAccount() => TypedResults.Problem("No TaskHub account uses this email. Ask them to sign up first.",
        statusCode: StatusCodes.Status404NotFound, title: "Not found", extensions: new Dictionary<string, object?> { ["field"] = "email" });

    private static ProblemHttpResult AlreadyMember() => Problems.Conflict("This person is already a member of the board.");

    public static async Task<Results<Ok<MemberDto>, ValidationProblem, ProblemHttpResult>> ChangeRole(
        Guid boardId, Guid userId, ChangeRoleRequest request, TaskHubDbContext db, BoardDepartures departures, CurrentUser me, CancellationToken ct)
    {
        var mine = await db.MembershipAsync(boardId, me.Id, ct);
        if (mine is null) return Problems.NotFound("Board");
        var target = await db.BoardMembers.Include(m => m.User).SingleOrDefaultAsync(m => m.BoardId == boardId && m.UserId == userId, ct);
        if (target is null) return Problems.NotFound("Member");
        var newRole = request.Role!.Value;
        if (Refusal(mine, target, newRole) is { } refused) return refused;
        // Checked again under the board's lock, with both roles read again: another owner may be leaving or demoting at
        // the same moment, and the actor's or the target's role may have just changed.
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockBoardAsync(boardId, ct)) return Problems.NotFound("Board");
        mine = await db.MembershipAsync(boardId, me.Id, ct);
        if (mine is null) return Problems.NotFound("Board");
        await db.Entry(target).ReloadAsync(ct);
        if (db.Entry(target).State == EntityState.Detached) return Problems.NotFound("Member");
        if (Refusal(mine, target, newRole) is { } refusedNow) return refusedNow;
        if (target.Role == BoardRole.Owner && newRole != BoardRole.Owner && await db.IsOnlyOwnerAsync(boardId, target.UserId, ct))
            return Problems.Conflict("A board needs an owner: make someone else owner first.");

        var wasManager = target.CanManageMembers;
        target.Role = newRole;
        if (wasManager && !target.CanManageMembers) await departures.DemotedAsync(boardId, target.UserId, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(new MemberDto(target.UserId, target.User.Email, target.User.DisplayName, target.Role, target.JoinedAt));
    }

    private static ProblemHttpResult? Refusal(BoardMember mine, BoardMember target, BoardRole newRole) =>
        !mine.CanManageMembers ? Problems.Forbidden("Only owners and admins can change roles.")
        : (target.Role == BoardRole.Owner || newRole == BoardRole.Owner) && mine.Role != BoardRole.Owner
            ? Problems.Forbidden("Only an owner can make someone an owner or change an owner's role.")
            : null;

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveMember(
        Guid boardId, Guid userId, TaskHubDbContext db, BoardDepartures departures, CurrentUser me, CancellationToken ct)
    {
        if (await RemoveRefusalAsync(db, boardId, userId, me.Id, ct) is { } refused) return refused;
        // Checked again under the board's lock, with the last-owner rule: the caller may have been demoted or removed,
        // or another owner may be leaving, at the same moment.
        return await departures.RemoveAsync(boardId, userId, me.Id, () => RemoveRefusalAsync(db, boardId, userId, me.Id, ct), ct)
            ?? (Results<NoContent, ProblemHttpResult>)TypedResults.NoContent();
    }

    /// <summary>Anyone may leave; owners and admins remove others, and only an owner removes an owner.</summary>
    private static async Task<ProblemHttpResult?> RemoveRefusalAsync(TaskHubDbContext db, Guid boardId, Guid userId, Guid actorId, CancellationToken ct)
    {
        var mine = await db.MembershipAsync(boardId, actorId, ct);
        if (mine is null) return Problems.NotFound("Board");
        if (userId == actorId) return null;
        var target = await db.MembershipAsync(boardId, userId, ct);
        if (target is null) return Problems.NotFound("Member");
        if (!mine.CanManageMembers) return Problems.Forbidden("Only owners and admins can remove members.");
        if (target.Role == BoardRole.Owner && mine.Role != BoardRole.Owner) return Problems.Forbidden("Only an owner can remove an owner.");
        return null;
    }
}
