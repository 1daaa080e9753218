using Microsoft.AspNetCore.OpenApi;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

public static class TasksExtensions
{
    /// <summary>Tasks and the board stream every change on a board goes through.</summary>
    public static IHostApplicationBuilder AddTaskHubTasks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<BoardStream>();
        BoardWriteMetrics.Initialize();
        builder.Services.AddSingleton<BoardProbes>(); // answers the BoardProbe singletons other features register
        builder.Services.AddScoped<IBoardMembershipHandler, UnassignOnLeave>();
        builder.Services.AddHostedService<SqliteSearchIndex>();
        builder.AddTaskHubOptions<SearchOptions>(SearchOptions.Section);
        builder.Services.Configure<OpenApiOptions>("v1", o => o.AddOperationTransformer<IfMatchOperationTransformer>());
        return builder;
    }
}
