using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Reports;

public static class ReportsApi
{
    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Reports").RequireAuthorization();
        api.MapGet("/boards/{boardId:guid}/reports", BoardReport);
        api.MapGet("/boards/{boardId:guid}/reports/trends", BoardTrends);
        api.MapGet("/me/report", MyReport);
        return app;
    }

    public static async Task<Results<Ok<ProgressReport>, ValidationProblem, ProblemHttpResult>> BoardReport(
        Guid boardId, string? period, string? date, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");
        var zone = await ZoneOfAsync(db, me.Id, ct);
        if (!ProgressReports.TryWindow(period, date, zone, clock, out var window, out var problem)) return problem!;
        return TypedResults.Ok(await ProgressReports.BuildAsync(db.Tasks.Where(t => t.BoardId == boardId), window, zone, clock, db, ct));
    }

    public static async Task<Results<Ok<TrendReport>, ValidationProblem, ProblemHttpResult>> BoardTrends(
        Guid boardId, string? range, string? date, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (await db.MembershipAsync(boardId, me.Id, ct) is null) return Problems.NotFound("Board");
        var zone = await ZoneOfAsync(db, me.Id, ct);
        if (!TrendReports.TryPeriods(range, date, zone, clock, out var p, out var problem)) return problem!;
        return TypedResults.Ok(await TrendReports.BuildAsync(boardId, p.Range, p.Unit, p.Periods, zone, clock, db, ct));
    }

    public static async Task<Results<Ok<ProgressReport>, ValidationProblem>> MyReport(
        string? period, string? date, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var zone = await ZoneOfAsync(db, me.Id, ct);
        if (!ProgressReports.TryWindow(period, date, zone, clock, out var window, out var problem)) return problem!;
        var mine = db.Tasks.Where(t => t.AssigneeId == me.Id && t.Board.Members.Any(m => m.UserId == me.Id));
        return TypedResults.Ok(await ProgressReports.BuildAsync(mine, window, zone, clock, db, ct));
    }

    private static async Task<TimeZoneInfo> ZoneOfAsync(TaskHubDbContext db, Guid userId, CancellationToken ct)
    {
        var tz = await db.Users.Where(u => u.Id == userId).Select(u => u.TimeZone).SingleOrDefaultAsync(ct);
        return User.ZoneOf(tz);
    }
}
