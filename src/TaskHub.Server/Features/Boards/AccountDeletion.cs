using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Boards;

/// <summary>
/// <c>DELETE /api/me</c>. Deleting an account is mostly about boards — the person leaves every one of them and
/// the boards they alone own are handed on — so it lives here, beside membership, rather than in Auth.
/// </summary>
public static class AccountDeletion
{
    public static IEndpointRouteBuilder MapAccountDeletion(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/api/me", DeleteMe).WithTags("Me").RequireAuthorization();
        return app;
    }

    /// <summary>
    /// Deletes the account. They leave every board (their tasks become unassigned: recorded changes); each board
    /// they alone own passes to its longest-standing admin, else its longest-standing member; a board with neither
    /// is deleted. Every session is revoked with the account.
    /// </summary>
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteMe(
        [FromBody] DeleteMeRequest request, CurrentUser me, TaskHubDbContext db, IPasswordHasher<User> hasher,
        BoardDepartures departures, SessionEnds ends, CancellationToken ct)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == me.Id, ct);
        if (user is null) return Problems.NotFound("User");
        if (hasher.VerifyHashedPassword(user, user.PasswordHash, request.Password) == PasswordVerificationResult.Failed)
            return FieldErrors.Single("password", "The password is incorrect.");

        List<Guid> memberOf;
        var orphans = new List<Guid>(); // boards of theirs left without anyone: deleted with the account
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            // Read in the write's turn, not before it: embedded (one writer at a time) nothing joins them to a board between
            // this read and the check below, and on MariaDB the window is the transaction's, not also its wait for its
            // turn. Read before, imports naming the person that kept committing while the deletion waited for its turn
            // answered every try 409 (RacingAdminRequestsTests.ImportingWithAnAssigneeWhoseAccountIsDeleted, CI on SQLite).
            memberOf = await db.BoardMembers.Where(m => m.UserId == user.Id).Select(m => m.BoardId).ToListAsync(ct);
            await departures.LeavingAsync(memberOf, user.Id, actorId: user.Id, ct);
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
                if (heir is null) orphans.Add(boardId);
                else heir.Role = BoardRole.Owner;
            }
            await db.SaveChangesAsync(ct);
            // The person's lock, after the boards' (the order every board write takes them in): a board of theirs created
            // meanwhile (which takes it) either committed before, and is found here, or waits until the account is gone
            // and then finds no account. Found, the deletion stops: its cascade would leave that board without members.
            // A membership added meanwhile by someone else is found the same way (its board's handlers have not run), or its
            // insert waits on this row and finds no account (MembersApi.AddMember: 404).
            // Gone: a second deletion at once (a double click) waited for the first's board locks and finds no account.
            if (!await db.LockUserAsync(user.Id, ct)) return Problems.NotFound("User");
            if (await db.BoardMembers.AnyAsync(m => m.UserId == user.Id && !memberOf.Contains(m.BoardId), ct))
                return Problems.Conflict("You created or joined a board while the account was being deleted. Try again.");
            // The boards left without anyone go only now, under the person's lock (their locks are held since LeavingAsync):
            // their deletion removes the person's notifications on them, and the person's own "mark read" holds that lock
            // while it updates the same rows. Deleted before it, MariaDB found a deadlock in every round
            // (RacingRequestsTests.MarkingReadWhileDeletingTheAccount).
            await departures.DeleteBoardsAsync(orphans, ct);
            await db.Users.Where(u => u.Id == user.Id).ExecuteDeleteAsync(ct); // memberships and refresh tokens cascade; createdById becomes null
            await tx.CommitAsync(ct);
        }
        await ends.EndedAsync(user.Id); // their open hub connections close now (their sessions went with the account)
        await departures.LeftAsync(memberOf, user.Id);
        foreach (var boardId in orphans) await departures.BoardDeletedAsync(boardId); // (its viewers are told, as for DELETE /api/boards/{id})
        return TypedResults.NoContent();
    }
}
