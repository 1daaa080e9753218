namespace TaskHub.Server.Features.Boards;

public static class BoardsExtensions
{
    /// <summary>Boards and membership: who may see and change a board, and what happens when someone leaves.</summary>
    public static IHostApplicationBuilder AddTaskHubBoards(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<BoardDepartures>();
        return builder;
    }
}
