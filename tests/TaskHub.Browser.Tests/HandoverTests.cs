using System.Diagnostics;
using Microsoft.Playwright;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Browser.Tests;

/// <summary>
/// A rolling restart under an open board, in Chromium, on the real cluster (scripts/cluster.sh: nginx and two published
/// replicas on MariaDB and Redis, serving the built board): the replica that holds the page's hub connection gets SIGTERM
/// as an orchestrator sends it. The page moves to the other replica before its connection closes (src/hub.ts), so it
/// never shows "Reconnecting…", changes made meanwhile and afterwards appear live, and the replica exits once the page
/// has moved rather than at the end of its 20 s handover limit. And a replica holding more than its share (after the other
/// came back) asks a page to move the same way: no "Reconnecting…", and the moved page still reconnects when it must.
/// </summary>
[Collection("browser")]
public sealed class HandoverTests(ServerFixture server, LocalCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LocalCluster>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 30_000 };

    [Fact]
    public async Task A_rolling_restart_moves_the_open_board_to_another_replica_without_a_gap()
    {
        var lb = cluster.Lb.ToString().TrimEnd('/');
        using var api = await new ApiClient(lb).RegisterAndLogin("Hana Handover");
        var boardId = await api.CreateBoard("Rolling restart");
        await api.CreateTask(boardId, "Before the restart");

        var (ctx, page) = await Browser.LoggedIn(server, api.Email, baseUrl: lb);
        var sockets = 0;
        page.WebSocket += (_, ws) => { if (ws.Url.Contains("/hubs/board", StringComparison.Ordinal)) Interlocked.Increment(ref sockets); };
        try
        {
            await page.GotoAsync($"/boards/{boardId}");
            await Assertions.Expect(Card(page, "Before the restart")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("reconnecting")).ToHaveCountAsync(0);

            await CountReconnectingBannersAsync(page);
            var (on, other) = await WhichReplicaHoldsTheConnectionAsync();
            var socketsBefore = Volatile.Read(ref sockets);

            var stopping = cluster.TerminateAsync(on);
            for (var i = 1; i <= 3; i++) // changes while the replica hands over (the page is still served where it is)
            {
                await CreateRetryingAsync(api, boardId, $"During the restart {i}");
                await Task.Delay(400);
            }
            var exited = await stopping;
            output.WriteLine($"replica {on} exited {exited.TotalSeconds:F1} s after SIGTERM");
            await CreateRetryingAsync(api, boardId, "After the restart");

            foreach (var title in new[] { "During the restart 1", "During the restart 2", "During the restart 3", "After the restart" })
                await Assertions.Expect(Card(page, title)).ToBeVisibleAsync(Visible);
            Assert.Equal(0, await ReconnectingBannersAsync(page));
            Assert.Equal(socketsBefore + 1, Volatile.Read(ref sockets)); // one new connection: the move, not reconnect attempts
            // (A page that is not asked at all is closed by the stop at once: the banner check above catches that.)
            Assert.True(exited < TimeSpan.FromSeconds(9), $"replica {on} exited {exited.TotalSeconds:F1} s after SIGTERM: it waited for its limit (20 s), so the page was asked to move and did not");
            Assert.Equal(1, await cluster.MetricAsync(other, "taskhub_signalr_connections"));
        }
        finally
        {
            await ctx.CloseAsync();
        }
    }

    [Fact]
    public async Task A_replica_holding_more_than_its_share_moves_an_open_board_away_without_a_gap_and_the_moved_page_still_reconnects_later()
    {
        // Replica 1 without tolerance (two pages: fair share 1, allowed 1), alone while the pages open.
        var strict = new Dictionary<string, string> { ["Realtime__Rebalance__TolerancePercent"] = "0", ["Realtime__Rebalance__MinExcess"] = "0" };
        if (cluster.IsRunning(1)) await cluster.TerminateAsync(1);
        await cluster.StartReplicaAsync(1, strict);
        if (cluster.IsRunning(2)) await cluster.TerminateAsync(2);
        var lb = cluster.Lb.ToString().TrimEnd('/');
        using var api = await new ApiClient(lb).RegisterAndLogin("Rita Rebalance");
        var boardId = await api.CreateBoard("Rebalanced");
        await api.CreateTask(boardId, "Before the move");
        var pages = new List<(IBrowserContext Ctx, IPage Page, int[] Sockets)>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var (ctx, page) = await Browser.LoggedIn(server, api.Email, baseUrl: lb);
                var sockets = new int[1];
                page.WebSocket += (_, ws) => { if (ws.Url.Contains("/hubs/board", StringComparison.Ordinal)) Interlocked.Increment(ref sockets[0]); };
                pages.Add((ctx, page, sockets));
                await page.GotoAsync($"/boards/{boardId}");
                await Assertions.Expect(Card(page, "Before the move")).ToBeVisibleAsync(Visible);
                await CountReconnectingBannersAsync(page);
            }
            Assert.True(await EventuallyAsync(async () => await cluster.MetricAsync(1, "taskhub_signalr_connections") == 2), "both pages on replica 1");
            var before = pages.Select(p => Volatile.Read(ref p.Sockets[0])).ToArray();

            // Replica 2 comes up: replica 1 asks one page to move, and it moves there, make before break.
            await cluster.StartReplicaAsync(2);
            Assert.True(await EventuallyAsync(async () => await cluster.MetricAsync(1, "taskhub_signalr_connections") == 1
                && await cluster.MetricAsync(2, "taskhub_signalr_connections") == 1), "one page did not move to replica 2");
            await api.CreateTask(boardId, "After the move");
            foreach (var (_, page, _) in pages) await Assertions.Expect(Card(page, "After the move")).ToBeVisibleAsync(Visible);
            var opened = pages.Select((p, i) => Volatile.Read(ref p.Sockets[0]) - before[i]).ToArray();
            Assert.Equal([0, 1], opened.Order()); // one page opened one new connection (the move), the other none
            foreach (var (_, page, _) in pages) Assert.Equal(0, await ReconnectingBannersAsync(page)); // no gap
            Assert.True(await cluster.MetricAsync(1, "taskhub_hub_connections_shed_total") >= 1);

            // Later the moved page's replica dies: its automatic reconnect (the move's mark off, to the resolved URL) lands on replica 1.
            cluster.Kill(2);
            await CreateRetryingAsync(api, boardId, "After the kill");
            foreach (var (_, page, _) in pages) await Assertions.Expect(Card(page, "After the kill")).ToBeVisibleAsync(Visible);
            Assert.True(await EventuallyAsync(async () => await cluster.MetricAsync(1, "taskhub_signalr_connections") == 2), "the moved page did not reconnect to replica 1");
        }
        finally
        {
            foreach (var (ctx, _, _) in pages) await ctx.CloseAsync();
            // As the other tests expect it: both replicas up, with the cluster's own settings.
            if (cluster.IsRunning(1)) await cluster.TerminateAsync(1);
            await cluster.StartReplicaAsync(1);
            if (!cluster.IsRunning(2)) await cluster.StartReplicaAsync(2);
        }
    }

    /// <summary>From here on, any "Reconnecting…" banner on the page, however brief, is counted (<see cref="ReconnectingBannersAsync"/>).</summary>
    private static Task CountReconnectingBannersAsync(IPage page) => page.EvaluateAsync("""
        () => {
          window.reconnectingSeen = 0;
          new MutationObserver(() => { if (document.querySelector('[data-testid="reconnecting"]')) window.reconnectingSeen++; })
            .observe(document.body, { childList: true, subtree: true, attributes: true });
        }
        """);

    private static Task<int> ReconnectingBannersAsync(IPage page) => page.EvaluateAsync<int>("() => window.reconnectingSeen");

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> done, double seconds = 30)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (await done()) return true;
            await Task.Delay(200);
        }
        return false;
    }

    private static ILocator Card(IPage page, string title) => page.Locator("article[data-task-id]", new() { HasText = title });

    /// <summary>The replica whose <c>taskhub_signalr_connections</c> counts the page's connection, and the other one.</summary>
    private async Task<(int On, int Other)> WhichReplicaHoldsTheConnectionAsync()
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var (one, two) = (await cluster.MetricAsync(1, "taskhub_signalr_connections"), await cluster.MetricAsync(2, "taskhub_signalr_connections"));
            if (one + two == 1) return one == 1 ? (1, 2) : (2, 1);
            if (watch.Elapsed > TimeSpan.FromSeconds(15)) throw new InvalidOperationException($"hub connections: replica 1 {one}, replica 2 {two}; expected the page's one");
            await Task.Delay(200);
        }
    }

    /// <summary>A task created through the balancer as the browser would: a 502 (nginx's kept-alive connection to the
    /// stopping replica broke under the POST, which it does not replay) is retried.</summary>
    private static async Task CreateRetryingAsync(ApiClient api, string boardId, string title)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await api.CreateTask(boardId, title);
                return;
            }
            catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.BadGateway && attempt < 10)
            {
                await Task.Delay(200);
            }
        }
    }
}
