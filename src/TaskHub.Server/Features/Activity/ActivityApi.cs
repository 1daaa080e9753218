using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Activity;

public static class ActivityApi
{
    public const int MaxPage = 5_000;

    public static IEndpointRouteBuilder MapActivity(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Activity").RequireAuthorization();
        api.MapGet("/boards/{boardId:guid}/events", GetBoardEvents);
        api.MapGet("/tasks/{taskId:guid}/activity", GetTaskActivity);
        return app;
    }

    /// <summary>The board's events with seq greater than <paramref name="after"/>, ascending: how a client catches up.</summary>
    public static async Task<Results<Ok<List<BoardEventDto>>, ValidationProblem, ProblemHttpResult>> GetBoardEvents(
        Guid boardId, CurrentUser me, TaskHubDbContext db, string? after, string? limit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        long afterSeq = 0;
        int take = MaxPage;
        errors.Check(after is null || long.TryParse(after, out afterSeq) && afterSeq >= 0, "after", "Must be a whole number ≥ 0.");
        errors.Check(limit is null || int.TryParse(limit, out take) && take is >= 1 and <= MaxPage, "limit", $"Must be a whole number from 1 to {MaxPage}.");
        if (errors.Any) return errors.ToProblem();

        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");

        var rows = await db.BoardEvents.AsNoTracking()
            .Where(e => e.BoardId == boardId && e.Seq > afterSeq)
            .OrderBy(e => e.Seq).Take(take).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(BoardEventDto.From).ToList());
    }

    /// <summary>A task's change history, newest first.</summary>
    public static async Task<Results<Ok<List<BoardEventDto>>, ProblemHttpResult>> GetTaskActivity(
        Guid taskId, CurrentUser me, TaskHubDbContext db, IServiceProvider services, CancellationToken ct)
    {
        var visible = await db.Tasks.AnyAsync(t => t.Id == taskId && t.Board.Members.Any(m => m.UserId == me.Id), ct);
        if (!visible) return Problems.NotFound("Task");
        // Scaled out, the change log lives in DynamoDB (fed by the outbox); embedded, it is the SQL event table.
        if (services.GetService<DynamoChangeLog>() is { } changeLog)
            return TypedResults.Ok(await changeLog.TaskHistoryAsync(taskId, MaxPage, ct));
        var rows = await db.BoardEvents.AsNoTracking()
            .Where(e => e.TaskId == taskId)
            .OrderByDescending(e => e.Seq).Take(MaxPage).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(BoardEventDto.From).ToList());
    }
}
