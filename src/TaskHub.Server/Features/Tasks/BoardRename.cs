using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

/// <summary>What a <c>BoardRenamed</c> event carries as its <c>board</c>: the board's new name and version.</summary>
public sealed record BoardNameDto(Guid Id, string Name, int Version);

/// <summary>
/// <c>PATCH /api/boards/{boardId}</c>: an owner renames the board. A board change like any other, so it goes through
/// the board's one write path (<see cref="BoardStream"/>): a <c>BoardRenamed</c> event, live on every open board, in the
/// board's log, webhooks and events. Here rather than in Boards, which the write path itself builds on.
/// </summary>
public static class BoardRenameApi
{
    private const string OwnersOnly = "Only a board owner can rename it.";

    public static IEndpointRouteBuilder MapBoardRename(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/boards").WithTags("Boards").RequireAuthorization()
            .MapPatch("/{boardId:guid}", RenameBoard).WithIdempotencyKey().WithIfMatch();
        return app;
    }

    /// <summary>Renames the board (owners); <c>If-Match</c> optional (412 with the board as it is now when stale).</summary>
    public static async Task<Results<Ok<BoardDto>, ValidationProblem, ProblemHttpResult>> RenameBoard(
        Guid boardId, BoardRequest request, HttpContext http, TaskHubDbContext db, BoardStream stream, CurrentUser me, CancellationToken ct)
    {
        if (await db.ManagerRefusalAsync(boardId, me.Id, OwnersOnly, ct, ownerOnly: true) is { } refused) return refused;
        var name = request.Name.Trim();
        if (name.Length == 0) return FieldErrors.Single("name", "Name is required.");
        return await stream.WriteAsync<Results<Ok<BoardDto>, ValidationProblem, ProblemHttpResult>>(boardId, me.Id, async write =>
        {
            // Under the board's lock (a deleted board is a 404 from the write), with the caller's role read again there:
            // an owner demoted or removed meanwhile does not rename, and a rename committed meanwhile makes If-Match stale.
            if (await db.ManagerRefusalAsync(boardId, me.Id, OwnersOnly, ct, ownerOnly: true) is { } refusedNow) return refusedNow;
            var board = await db.Boards.SingleAsync(b => b.Id == boardId, ct);
            if (!EditVersions.Allows(http, board.Version))
                return EditVersions.Stale(http, "board", board.Version, $"“{board.Name}”", Dto(board));
            if (board.Name != name)
            {
                var before = board.Name;
                board.Name = name;
                board.Version++;
                write.Record(BoardEventTypes.BoardRenamed, null, [new FieldChange("name", before, name)],
                    new EventSubject(Board: new BoardNameDto(board.Id, board.Name, board.Version)));
            }
            EditVersions.Tag(http, board.Version);
            return TypedResults.Ok(Dto(board));
        }, ct);
    }

    /// <summary>A board as its owner sees it (the rename's answers).</summary>
    private static BoardDto Dto(Board board) =>
        new(board.Id, board.Name, BoardRole.Owner, board.LastSeq, board.CreatedAt, board.UpdatedAt, board.Version);
}
