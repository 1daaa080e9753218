using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Notifications;

/// <summary>A write adds only the outbox rows that have something to do (each row costs an insert in the write and the
/// dispatcher's claim and bookkeeping), on both providers: what it needs to know about the board is answered by the
/// statement that takes its seq (BoardProbe). The notifications themselves are tested with their features.</summary>
public abstract class OutboxRowTests<TApp>(TApp app) where TApp : TaskHubApplication
{
    [Fact]
    public async Task AChangeNobodyElseIsInvolvedInOnAnUnwatchedBoardGetsNoChangeEmailRow()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);

        await ada.CreateTaskAsync(board, new { title = "alone" }); // only Ada is involved, nobody watches
        var alone = await ada.LastSeqAsync(board);
        await ada.CreateTaskAsync(board, new { title = "for Bob", assigneeId = bob.Id }); // Bob is involved
        var assigned = await ada.LastSeqAsync(board);
        await (await bob.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "watching", email = true })).Json(HttpStatusCode.OK);
        await ada.CreateTaskAsync(board, new { title = "watched" }); // only Ada is involved, but Bob watches
        var watched = await ada.LastSeqAsync(board);

        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var keys = new[] { alone, assigned, watched }.Select(seq => $"{OutboxKinds.TaskEmail}:{board:N}:{seq}").ToList();
        var rows = db.Set<OutboxMessage>().AsNoTracking().Where(m => keys.Contains(m.Key)).Select(m => m.Key).ToList();
        Assert.Equal([keys[1], keys[2]], rows.Order());
    }
}

public sealed class OutboxRowTestsOnSqlite(SqliteApplication app) : OutboxRowTests<SqliteApplication>(app), IClassFixture<SqliteApplication>;
public sealed class OutboxRowTestsOnMariaDb(MariaDbApplication app) : OutboxRowTests<MariaDbApplication>(app), IClassFixture<MariaDbApplication>;
