using TaskHub.Server.Features.Boards;

namespace TaskHub.Server.Features.Tasks;

public static class TasksExtensions
{
    /// <summary>Tasks and the board stream every change on a board goes through.</summary>
    public static IHostApplicationBuilder AddTaskHubTasks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<BoardStream>();
        builder.Services.AddScoped<IBoardMembershipHandler, UnassignOnLeave>();
        builder.Services.AddHostedService<SqliteSearchIndex>();
        return builder;
    }
}
