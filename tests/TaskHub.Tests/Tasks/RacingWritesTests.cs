using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Data;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// What changes between a write's checks and its board lock: a task's creation checks its assignee and labels again
/// under the lock (a removal or a label's deletion that commits after the first check takes the lock too, and is not
/// undone by the creation), and a removal holds the lock from before its handlers look; a board deleted meanwhile is a
/// 404, not a 500; a token refresh leaves its session a live token at every moment. MariaDB only: there a write's transaction
/// begins in its seq statement, so the other write can commit right before it (SQLite's write queue would hold it
/// behind the write's transaction).
/// </summary>
public sealed class RacingWritesTests(StatementHookApplication app) : IClassFixture<StatementHookApplication>
{
    [Fact]
    public async Task ARefreshNeverLeavesItsSessionWithoutALiveTokenSoTheAccessSweepKeepsItsConnectionOpen()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await using var live = await LiveBoard.ConnectAsync(app, ada, handover: true); // (WebSockets: no request of its own after it opens)
        await live.JoinAsync(board, 0);

        // The sweep runs between the old token's retirement and the new token's insert.
        app.Hook.Arm("INSERT INTO `refresh_tokens`", () =>
            app.Services.GetServices<IHostedService>().OfType<BoardHeadService>().Single().TickAsync(CancellationToken.None));
        var refreshed = await app.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = ada.RefreshToken });

        Assert.True(app.Hook.Fired);
        await refreshed.Json(HttpStatusCode.OK);
        await ada.CreateTaskAsync(board, new { title = "after the refresh" });
        Assert.True(await LiveBoard.EventuallyAsync(() => live.Applied == 1));
        Assert.True(live.Connected);
    }

    [Fact]
    public async Task AnEditOfATaskWhoseBoardWasDeletedAfterTheAccessCheckIsA404()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = (await ada.CreateTaskAsync(board, new { title = "soon gone" })).GetProperty("id").GetGuid();

        app.Hook.Arm(StatementHook.SeqStatement, async () => Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}")).StatusCode));
        var response = await ada.Client.Patch($"/api/tasks/{task}", new { title = "edited" });

        Assert.True(app.Hook.Fired);
        await response.AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnAssigneeRemovedAfterTheFirstCheckIsRefusedAndNoTaskIsLeftWithANonMember()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);

        app.Hook.Arm(StatementHook.SeqStatement, async () => Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).StatusCode));
        var response = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "for bob", assigneeId = bob.Id });

        Assert.True(app.Hook.Fired);
        await response.AssertFieldError("assigneeId");
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        Assert.False(await db.Tasks.AnyAsync(t => t.BoardId == board && t.AssigneeId == bob.Id));
    }

    [Fact]
    public async Task AnAssignmentDuringARemovalOfSomeoneWithNoTasksWaitsForItAndIsRefused()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);

        // Bob has no tasks, so the removal's handlers find nothing to unassign; while its transaction is open (its
        // membership DELETE about to run) a creation assigns Bob. With the board's lock taken by the removal first, the
        // creation waits for it and then finds Bob gone; without it, the creation commits a task for Bob first.
        Task<HttpResponseMessage>? creation = null;
        app.Hook.Arm(sql => sql.StartsWith("DELETE", StringComparison.Ordinal) && sql.Contains("`board_members`", StringComparison.Ordinal), async () =>
        {
            creation = ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "for bob", assigneeId = bob.Id });
            await Task.WhenAny(creation, Task.Delay(TimeSpan.FromSeconds(2))); // (it cannot finish while the lock is held)
        });
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).StatusCode);

        Assert.True(app.Hook.Fired);
        await (await creation!).AssertFieldError("assigneeId");
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        Assert.False(await db.Tasks.AnyAsync(t => t.BoardId == board && t.AssigneeId == bob.Id));
    }

    [Fact]
    public async Task ALabelDeletedAfterTheFirstCheckIsRefusedAndNoTaskKeepsItsId()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var label = (await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = "bug", color = "red" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();

        app.Hook.Arm(StatementHook.SeqStatement, async () => Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/labels/{label}")).StatusCode));
        var response = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "a bug", labelIds = new[] { label } });

        Assert.True(app.Hook.Fired);
        await response.AssertFieldError("labelIds");
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var labelIds = await db.Tasks.Where(t => t.BoardId == board).Select(t => t.LabelIds).ToListAsync();
        Assert.DoesNotContain(labelIds, ids => ids.Contains(label.ToString()));
    }
}

/// <summary>Runs a test's step once, right before the next statement whose text contains the armed text is sent.</summary>
public sealed class StatementHook : DbCommandInterceptor
{
    /// <summary>The statement that takes a board's seq (BoardProbes' text).</summary>
    public const string SeqStatement = "UPDATE boards SET LastSeq = LastSeq +";

    private (Func<string, bool> Matches, Func<Task> Step)? _armed;

    public bool Fired { get; private set; }

    public void Arm(string text, Func<Task> step) => Arm(sql => sql.Contains(text, StringComparison.Ordinal), step);

    public void Arm(Func<string, bool> matches, Func<Task> step)
    {
        Fired = false;
        lock (this) _armed = (matches, step);
    }

    private Func<Task>? Take(DbCommand command)
    {
        lock (this)
        {
            if (_armed is not { } armed || !armed.Matches(command.CommandText)) return null;
            _armed = null; // (disarmed first: the step's own writes run such statements too)
            return armed.Step;
        }
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken ct = default)
    {
        if (Take(command) is { } step) { Fired = true; await step(); }
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken ct = default)
    {
        if (Take(command) is { } step) { Fired = true; await step(); }
        return result;
    }
}

public sealed class StatementHookApplication : MariaDbApplication
{
    public StatementHook Hook { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IInterceptor>(Hook));
    }
}
