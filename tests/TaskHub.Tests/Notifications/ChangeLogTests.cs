using System.Net;
using Microsoft.EntityFrameworkCore;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Activity;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Notifications;

/// <summary>The change log in DynamoDB: the real DynamoDB API served by dynalite (scripts/services.sh), a table of its own.</summary>
public sealed class DynamoApplication : MariaDbApplication
{
    public string Table { get; } = $"taskhub-test-{Guid.NewGuid():N}";

    /// <summary>Between the app and dynalite, so a test can take DynamoDB "down".</summary>
    public SmtpGate Gate { get; } = new(4567);

    public DynamoApplication()
    {
        Settings["DynamoDb:ServiceUrl"] = $"http://127.0.0.1:{Gate.Port}";
        Settings["DynamoDb:TableName"] = Table;
        Settings["Outbox:FirstRetrySeconds"] = "0.2";
        Settings["Outbox:MaxRetrySeconds"] = "0.5";
    }
}

public sealed class ChangeLogTests(DynamoApplication app) : IClassFixture<DynamoApplication>
{
    [Fact]
    public async Task EveryChangeReachesTheDynamoChangeLogAndTheActivityTabReadsItNewestFirst()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "logged" })).GetProperty("id").GetGuid();
        await ada.CreateTaskAsync(board, new { title = "another task" });
        await (await ada.Client.Patch($"/api/tasks/{id}", new { status = "in_progress" })).Json(HttpStatusCode.OK);
        await (await ada.Client.Patch($"/api/tasks/{id}", new { priority = "urgent" })).Json(HttpStatusCode.OK);

        // Served from DynamoDB (the outbox delivers within moments), in the same shape as the SQL log.
        long[] seqs = [];
        Assert.True(await LiveBoard.EventuallyAsync(async () =>
            (seqs = (await ada.Client.GetJson($"/api/tasks/{id}/activity")).EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToArray()).Length == 3));
        Assert.Equal([4L, 3L, 1L], seqs);
        var latest = (await ada.Client.GetJson($"/api/tasks/{id}/activity"))[0];
        Assert.Equal("priority", latest.GetProperty("changes")[0].GetProperty("field").GetString());
        Assert.Equal(ada.Id, latest.GetProperty("actorId").GetGuid());
    }

    [Fact]
    public async Task WritingTheSameEventTwiceLeavesOneEntry()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "once" })).GetProperty("id").GetGuid();
        var log = app.Services.GetRequiredService<DynamoChangeLog>();
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await log.TaskHistoryAsync(id, 10, default)).Count == 1));

        var events = await ada.Client.GetJson($"/api/boards/{board}/events?after=0");
        var e = JsonSerializer.Deserialize<List<BoardEventDto>>(events.GetRawText(), TaskHubJson.Options)!.Single();
        await log.PutAsync(e, default); // a redelivery
        await log.PutAsync(e, default);

        Assert.Single(await log.TaskHistoryAsync(id, 10, default));
    }

    [Fact]
    public async Task AnotherBoardsTaskActivityIsStillNotFound()
    {
        var ada = await app.SignUpAsync();
        var eve = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "private" })).GetProperty("id").GetGuid();
        await (await eve.Client.GetAsync($"/api/tasks/{id}/activity")).AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WhileDynamoDbIsDownChangesWaitInTheOutboxAndAllArriveOnceItIsBack()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var log = app.Services.GetRequiredService<DynamoChangeLog>();
        await log.EnsureTableAsync(default);
        app.Gate.Up = false;
        Guid id;
        try
        {
            id = (await ada.CreateTaskAsync(board, new { title = "while down" })).GetProperty("id").GetGuid();
            foreach (var p in new[] { "high", "urgent" })
                await (await ada.Client.Patch($"/api/tasks/{id}", new { priority = p })).Json(HttpStatusCode.OK);
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TaskHub.Server.Data.TaskHubDbContext>();
            Assert.True(await LiveBoard.EventuallyAsync(async () => (await db.Set<TaskHub.Server.Features.Notifications.OutboxMessage>().AsNoTracking()
                .Where(m => m.Key.StartsWith($"changelog:{board:N}")).ToListAsync()).All(m => m.Attempts >= 2 && m.DeliveredAt == null)));
        }
        finally
        {
            app.Gate.Up = true;
        }

        Assert.True(await LiveBoard.EventuallyAsync(async () => (await log.TaskHistoryAsync(id, 10, default)).Count == 3, 30));
        // A barrier instead of a pause: a later change of the board through the same outbox has reached the log,
        // and nothing of the board's is left in the outbox (no retry still waiting), so no late entry can come.
        var later = (await ada.CreateTaskAsync(board, new { title = "later" })).GetProperty("id").GetGuid();
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await log.TaskHistoryAsync(later, 10, default)).Count == 1));
        Assert.True(await Outbox.DrainedAsync(app, $"changelog:{board:N}:"));
        Assert.Equal([3L, 2L, 1L], (await log.TaskHistoryAsync(id, 10, default)).Select(e => e.Seq));
    }
}
