using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Boards;

public static class BoardsApi
{
    public static IEndpointRouteBuilder MapBoards(this IEndpointRouteBuilder app)
    {
        var boards = app.MapGroup("/api/boards").WithTags("Boards").RequireAuthorization();
        boards.MapPost("/", CreateBoard).WithIdempotencyKey();
        boards.MapGet("/", ListBoards);
        boards.MapGet("/{boardId:guid}", GetBoard);
        boards.MapDelete("/{boardId:guid}", DeleteBoard).WithIdempotencyKey();
        return app;
    }

    public static async Task<Results<Created<BoardDto>, ValidationProblem>> CreateBoard(
        BoardRequest request, TaskHubDbContext db, CurrentUser me, TimeProvider clock, CancellationToken ct)
    {
        var name = request.Name.Trim();
        if (name.Length == 0) return FieldErrors.Single("name", "Name is required.");
        var now = clock.GetUtcNow().UtcDateTime;
        var board = new Board { Name = name, CreatedAt = now };
        board.Members.Add(new BoardMember { UserId = me.Id, Role = BoardRole.Owner, JoinedAt = now });
        db.Boards.Add(board);
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockUserAsync(me.Id, ct)) throw new GoneMeanwhileException("User");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/boards/{board.Id}", new BoardDto(board.Id, board.Name, BoardRole.Owner, 0, board.CreatedAt, board.UpdatedAt, board.Version));
    }

    public static async Task<Ok<List<BoardDto>>> ListBoards(TaskHubDbContext db, CurrentUser me, CancellationToken ct)
    {
        var boards = await db.BoardMembers.AsNoTracking().Where(m => m.UserId == me.Id)
            .OrderBy(m => m.Board.Name)
            .Select(m => new BoardDto(m.Board.Id, m.Board.Name, m.Role, m.Board.LastSeq, m.Board.CreatedAt, m.Board.UpdatedAt, m.Board.Version))
            .ToListAsync(ct);
        return TypedResults.Ok(boards);
    }

    public static async Task<Results<Ok<BoardDto>, ProblemHttpResult>> GetBoard(Guid boardId, TaskHubDbContext db, CurrentUser me, CancellationToken ct)
    {
        var board = await FindAsync(db, boardId, me.Id, ct);
        return board is null ? Problems.NotFound("Board") : TypedResults.Ok(board);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteBoard(
        Guid boardId, TaskHubDbContext db, BoardDepartures departures, CurrentUser me, CancellationToken ct)
    {
        if (await db.ManagerRefusalAsync(boardId, me.Id, "Only a board owner can delete it.", ct, ownerOnly: true) is { } refused) return refused;
        // Members, tasks and events go with the board (cascading foreign keys); what lives elsewhere (files) is
        // queued for deletion in the same transaction.
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            // A second deletion at once (a double click, two owners) waits here for the first, then finds no board.
            if (!await db.LockBoardAsync(boardId, ct)) return Problems.NotFound("Board");
            // The caller's role again, under the lock: an owner demoted or removed meanwhile does not delete.
            if (await db.ManagerRefusalAsync(boardId, me.Id, "Only a board owner can delete it.", ct, ownerOnly: true) is { } refusedNow) return refusedNow;
            await departures.DeleteBoardsAsync([boardId], ct);
            await db.SaveChangesAsync(ct); // (what the request added: an Idempotency-Key's row commits with the deletion)
            await tx.CommitAsync(ct);
        }
        await departures.BoardDeletedAsync(boardId);
        return TypedResults.NoContent();
    }

    internal static Task<BoardDto?> FindAsync(TaskHubDbContext db, Guid boardId, Guid userId, CancellationToken ct) =>
        db.BoardMembers.AsNoTracking().Where(m => m.BoardId == boardId && m.UserId == userId)
            .Select(m => new BoardDto(m.Board.Id, m.Board.Name, m.Role, m.Board.LastSeq, m.Board.CreatedAt, m.Board.UpdatedAt, m.Board.Version))
            .SingleOrDefaultAsync(ct);
}
