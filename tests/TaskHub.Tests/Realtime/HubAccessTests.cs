using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// Access that ends while a hub connection is open ends the connection's access too: a session ended elsewhere closes
/// its open connections at the next head tick (<see cref="HubAccessSweep"/>); a member removed while their join ran, or
/// whose revocation was lost, stops receiving the board's events.
/// </summary>
public abstract class HubAccessTests(TaskHubApplication app, PresenceHook hook)
{
    private Task TickAsync() =>
        app.Services.GetServices<IHostedService>().OfType<BoardHeadService>().Single().TickAsync(CancellationToken.None);

    [Fact]
    public async Task AConnectionOfASessionThatEndedIsClosedAtTheNextTickAndOtherSessionsStayOpen()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var adas = await LiveBoard.ConnectAsync(app, ada);
        await adas.JoinAsync(board, 0);
        // Over WebSockets, as the browser: a long-polling client's next poll is a request of its own, checked again.
        await using var bobs = await LiveBoard.ConnectAsync(app, bob, handover: true);
        await bobs.JoinAsync(board, 0);

        Assert.Equal(HttpStatusCode.NoContent, (await bob.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = bob.RefreshToken })).StatusCode);
        await TickAsync();

        Assert.True(await LiveBoard.EventuallyAsync(() => !bobs.Connected));
        Assert.True(adas.Connected);
        await ada.CreateTaskAsync(board, new { title = "after bob signed out" });
        Assert.True(await LiveBoard.EventuallyAsync(() => adas.Applied == 1));
        Assert.DoesNotContain(bobs.ReceivedLive, e => e.Task!.Title == "after bob signed out");
    }

    [Fact]
    public async Task AMemberWhoseRevocationWasLostLosesTheBoardAtTheNextTick()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var live = await LiveBoard.ConnectAsync(app, bob);
        await live.JoinAsync(board, 0);

        // The removal finds a member's connections through presence: without the entry (its Redis message lost, or the
        // entry expired), it reaches none of them.
        var presence = app.Services.GetRequiredService<IPresenceStore>();
        await presence.RemoveAsync(board, live.ConnectionId!, bob.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).StatusCode);
        await TickAsync();

        Assert.True(await LiveBoard.EventuallyAsync(() => live.Revoked.Contains(board)));
        await live.AssertNothingMoreOfAsync(board, ada, bob);
        Assert.True(live.Connected); // the session is alive: only the board is gone
    }

    [Fact]
    public async Task AMemberRemovedWhileTheirJoinRunsIsRefusedAndGetsNoLaterEvents()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var live = await LiveBoard.ConnectAsync(app, bob);

        // The removal commits (and looks for Bob's connections in presence) after the join's membership check and
        // before its presence entry exists.
        hook.BeforeAdd(async (boardId, userId) =>
        {
            if (boardId == board && userId == bob.Id)
                Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).StatusCode);
        });
        try
        {
            await Assert.ThrowsAsync<HubException>(() => live.JoinAsync(board, 0));
        }
        finally
        {
            hook.BeforeAdd(null);
        }
        await live.AssertNothingMoreOfAsync(board, ada, bob);
    }

    /// <summary>
    /// SignalR runs a connection's OnDisconnectedAsync without waiting for its invocations still running. A join whose
    /// connection closed (and was forgotten) before the join added its presence entry removes that entry itself: it
    /// stayed, a person shown on the board after they left, until it expired, and the replica kept the closed
    /// connection among its own.
    /// </summary>
    [Fact]
    public async Task AJoinWhoseConnectionClosedBeforeItsPresenceEntryLeavesNoEntryBehind()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var live = await LiveBoard.ConnectAsync(app, ada);
        var connectionId = live.ConnectionId!;
        var local = app.Services.GetRequiredService<LocalConnections>();
        var joinEnded = hook.JoinEndedAsync(connectionId);
        var closedFirst = false;
        hook.BeforeAdd(async (boardId, userId) =>
        {
            if (boardId != board || userId != ada.Id) return;
            var closing = Task.Run(() => live.DisposeAsync().AsTask()); // (its stop waits for the join's reply, which waits here)
            // The server forgot the connection: its OnDisconnectedAsync ran while the join is still here.
            closedFirst = await LiveBoard.EventuallyAsync(() => !local.All().Any(c => c.ConnectionId == connectionId));
        });
        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => live.JoinAsync(board, 0));
            await joinEnded.WaitAsync(TimeSpan.FromSeconds(40));
        }
        finally
        {
            hook.BeforeAdd(null);
        }

        Assert.True(closedFirst);
        var presence = app.Services.GetRequiredService<IPresenceStore>();
        Assert.DoesNotContain(connectionId, await presence.ConnectionsOfAsync(board, ada.Id, DateTimeOffset.UtcNow));
        Assert.DoesNotContain(ada.Id, await presence.UsersAsync(board, DateTimeOffset.UtcNow));
        Assert.DoesNotContain(local.All(), c => c.ConnectionId == connectionId);
    }
}

/// <summary>The presence store the server uses, with a step a test can run before each entry is added.</summary>
public sealed class PresenceHook
{
    private Func<Guid, Guid, Task>? _beforeAdd;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TaskCompletionSource> _joinsEnded = new();

    public void BeforeAdd(Func<Guid, Guid, Task>? step) => Volatile.Write(ref _beforeAdd, step);

    /// <summary>Completes when the server has finished running a JoinBoard of the connection (whichever way it ended).</summary>
    public Task JoinEndedAsync(string connectionId) => JoinEnded(connectionId).Task;

    private TaskCompletionSource JoinEnded(string connectionId) =>
        _joinsEnded.GetOrAdd(connectionId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Register(IWebHostBuilder builder) => builder.ConfigureTestServices(services =>
    {
        var inner = services.Last(d => d.ServiceType == typeof(IPresenceStore));
        services.Remove(inner);
        services.AddSingleton<IPresenceStore>(sp => new Hooked((IPresenceStore)ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!), this));
        services.Configure<HubOptions>(o => o.AddFilter(new JoinsEnded(this)));
    });

    private sealed class JoinsEnded(PresenceHook hook) : IHubFilter
    {
        public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocation, Func<HubInvocationContext, ValueTask<object?>> next)
        {
            try
            {
                return await next(invocation);
            }
            finally
            {
                if (invocation.HubMethodName == nameof(BoardHub.JoinBoard)) hook.JoinEnded(invocation.Context.ConnectionId).TrySetResult();
            }
        }
    }

    private sealed class Hooked(IPresenceStore inner, PresenceHook hook) : IPresenceStore
    {
        public async Task<bool> AddAsync(Guid boardId, string connectionId, Guid userId, DateTimeOffset expires)
        {
            if (Volatile.Read(ref hook._beforeAdd) is { } step) await step(boardId, userId);
            return await inner.AddAsync(boardId, connectionId, userId, expires);
        }

        public Task<bool> RemoveAsync(Guid boardId, string connectionId, Guid userId) => inner.RemoveAsync(boardId, connectionId, userId);
        public Task<bool> PruneAsync(Guid boardId, DateTimeOffset now) => inner.PruneAsync(boardId, now);
        public Task<IReadOnlyList<Guid>> UsersAsync(Guid boardId, DateTimeOffset now) => inner.UsersAsync(boardId, now);
        public Task<IReadOnlyList<string>> ConnectionsOfAsync(Guid boardId, Guid userId, DateTimeOffset now) => inner.ConnectionsOfAsync(boardId, userId, now);
        public Task RefreshAsync(Guid boardId, IReadOnlyCollection<(string ConnectionId, Guid UserId)> entries, DateTimeOffset expires) =>
            inner.RefreshAsync(boardId, entries, expires);
        public Task ClearAsync(Guid boardId) => inner.ClearAsync(boardId);
    }
}

public sealed class PresenceHookSqliteApplication : SqliteApplication
{
    public PresenceHook Hook { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Hook.Register(builder);
    }
}

public sealed class PresenceHookMariaDbApplication : MariaDbApplication
{
    public PresenceHook Hook { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Hook.Register(builder);
    }
}

public sealed class HubAccessTestsOnSqlite(PresenceHookSqliteApplication app) : HubAccessTests(app, app.Hook), IClassFixture<PresenceHookSqliteApplication>;

public sealed class HubAccessTestsOnMariaDb(PresenceHookMariaDbApplication app) : HubAccessTests(app, app.Hook), IClassFixture<PresenceHookMariaDbApplication>;
