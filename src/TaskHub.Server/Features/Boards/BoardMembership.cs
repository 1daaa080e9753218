using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Boards;

/// <summary>
/// How other features take part when someone leaves a board or a board goes, without Boards knowing them:
/// Tasks unassigns the person (recorded changes), Realtime closes their live view. Registered as scoped services.
/// </summary>
public interface IBoardMembershipHandler
{
    /// <summary>Inside the transaction that removes the membership (or the account).</summary>
    Task MemberLeavingAsync(Guid boardId, Guid userId, Guid? actorId, CancellationToken ct) => Task.CompletedTask;

    /// <summary>After that transaction committed.</summary>
    Task MemberLeftAsync(Guid boardId, Guid userId) => Task.CompletedTask;

    /// <summary>Inside the transaction (under the board's lock) that makes an owner or admin a plain member or viewer.</summary>
    Task ManagerDemotedAsync(Guid boardId, Guid userId, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Inside the transaction that deletes a board (its rows go by cascade right after).</summary>
    Task BoardDeletingAsync(Guid boardId, CancellationToken ct) => Task.CompletedTask;

    /// <summary>After a board was deleted.</summary>
    Task BoardDeletedAsync(Guid boardId) => Task.CompletedTask;
}

/// <summary>The one board-access query: the caller's membership of a board (null: not a member, which reads as 404).</summary>
public static class BoardAccess
{
    public static Task<BoardMember?> MembershipAsync(this TaskHubDbContext db, Guid boardId, Guid userId, CancellationToken ct) =>
        Membership.For(db)(db, boardId, userId, ct);

    /// <summary>Why a board write was refused under the board's lock (<c>BoardStream.WriteAsEditorAsync</c> returned null),
    /// read from the membership as it is now: 403 when the caller was made a viewer meanwhile, else 404 (removed, or the
    /// board deleted).</summary>
    public static async Task<ProblemHttpResult> EditRefusalAsync(this TaskHubDbContext db, Guid boardId, Guid userId, CancellationToken ct) =>
        await db.MembershipAsync(boardId, userId, ct) is { CanEditTasks: false }
            ? Problems.Forbidden("Viewers cannot change this board.")
            : Problems.NotFound("Board");

    /// <summary>Why the caller may not manage the board (404 naming <paramref name="missing"/>: not a member; 403 with
    /// <paramref name="forbidden"/>: not an owner or admin; 403 with <paramref name="ownerForbidden"/>, else
    /// <paramref name="forbidden"/>: an admin where <paramref name="ownerOnly"/>), or null when they may. Asked before a
    /// manager's change and again under the board's lock, where a demotion or removal meanwhile is seen.</summary>
    public static async Task<ProblemHttpResult?> ManagerRefusalAsync(this TaskHubDbContext db, Guid boardId, Guid userId, string forbidden,
        CancellationToken ct, bool ownerOnly = false, string missing = "Board", string? ownerForbidden = null) =>
        await db.MembershipAsync(boardId, userId, ct) switch
        {
            null => Problems.NotFound(missing),
            { CanManageMembers: false } => Problems.Forbidden(forbidden),
            { Role: not BoardRole.Owner } when ownerOnly => Problems.Forbidden(ownerForbidden ?? forbidden),
            _ => null,
        };

    /// <summary>Whether <paramref name="userId"/> is the board's only owner (a board needs one). One query: at most two
    /// owners are read. Decisive under the board's lock, which every change of roles or members takes.</summary>
    public static async Task<bool> IsOnlyOwnerAsync(this TaskHubDbContext db, Guid boardId, Guid userId, CancellationToken ct) =>
        await db.BoardMembers.Where(m => m.BoardId == boardId && m.Role == BoardRole.Owner).Select(m => m.UserId).Take(2).ToListAsync(ct)
            is [var only] && only == userId;

    // Compiled (every request on a board asks this): see CompiledPerModel.
    private static readonly CompiledPerModel<Func<TaskHubDbContext, Guid, Guid, CancellationToken, Task<BoardMember?>>> Membership =
        new(() => EF.CompileAsyncQuery((TaskHubDbContext db, Guid boardId, Guid userId, CancellationToken ct) =>
            db.BoardMembers.AsNoTracking().SingleOrDefault(m => m.BoardId == boardId && m.UserId == userId)));
}

/// <summary>Someone leaving boards: the membership goes and every <see cref="IBoardMembershipHandler"/> takes part.</summary>
public sealed class BoardDepartures(TaskHubDbContext db, IEnumerable<IBoardMembershipHandler> handlers)
{
    /// <summary>Inside the caller's write transaction: what must go with the membership. Each board's seq lock is
    /// taken first, so a write that checks the person is a member (an assignment) either commits before the handlers
    /// look (and they clean up after it) or waits and finds them gone.</summary>
    public async Task LeavingAsync(IEnumerable<Guid> boardIds, Guid userId, Guid? actorId, CancellationToken ct)
    {
        foreach (var boardId in boardIds.Order())
        {
            await db.LockBoardAsync(boardId, ct);
            foreach (var h in handlers) await h.MemberLeavingAsync(boardId, userId, actorId, ct);
        }
    }

    /// <summary>After commit.</summary>
    public async Task LeftAsync(IEnumerable<Guid> boardIds, Guid userId)
    {
        foreach (var boardId in boardIds)
            foreach (var h in handlers) await h.MemberLeftAsync(boardId, userId);
    }

    /// <summary>Removes one membership (in one transaction with what goes with it), then tells the handlers. Under the
    /// board's lock, before anything is removed: <paramref name="refusal"/> (the caller's checks, again) and the last-owner
    /// rule, so two owners leaving or removing each other at once cannot leave a board without one. Returns why it was
    /// refused (nothing removed), or null when removed.</summary>
    public async Task<ProblemHttpResult?> RemoveAsync(Guid boardId, Guid userId, Guid actorId, Func<Task<ProblemHttpResult?>> refusal, CancellationToken ct)
    {
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            // (LeavingAsync takes the lock too; the checks go first, before its handlers' work)
            if (!await db.LockBoardAsync(boardId, ct)) return Problems.NotFound("Board");
            if (await refusal() is { } refused) return refused;
            if (await db.IsOnlyOwnerAsync(boardId, userId, ct))
                return Problems.Conflict("A board needs an owner: make someone else owner first, or delete the board.");
            await LeavingAsync([boardId], userId, actorId, ct);
            await db.BoardMembers.Where(m => m.BoardId == boardId && m.UserId == userId).ExecuteDeleteAsync(ct);
            await db.SaveChangesAsync(ct); // (what the request added: an Idempotency-Key's row commits with the removal)
            await tx.CommitAsync(ct);
        }
        await LeftAsync([boardId], userId);
        return null;
    }

    /// <summary>Inside the caller's write transaction, under the board's lock: an owner or admin is no longer one.</summary>
    public async Task DemotedAsync(Guid boardId, Guid userId, CancellationToken ct)
    {
        foreach (var h in handlers) await h.ManagerDemotedAsync(boardId, userId, ct);
    }

    /// <summary>Deletes boards in the caller's write transaction, letting every handler act first.</summary>
    public async Task DeleteBoardsAsync(IEnumerable<Guid> boardIds, CancellationToken ct)
    {
        foreach (var boardId in boardIds)
        {
            foreach (var h in handlers) await h.BoardDeletingAsync(boardId, ct);
            await db.Boards.Where(b => b.Id == boardId).ExecuteDeleteAsync(ct);
        }
    }

    public async Task BoardDeletedAsync(Guid boardId)
    {
        foreach (var h in handlers) await h.BoardDeletedAsync(boardId);
    }
}
