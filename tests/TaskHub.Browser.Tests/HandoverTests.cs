using System.Diagnostics;
using Microsoft.Playwright;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Browser.Tests;

/// <summary>
/// A rolling restart under an open board, in Chromium, on the real cluster (scripts/cluster.sh: nginx and two published
/// replicas on MariaDB and Redis, serving the built board): the replica that holds the page's hub connection gets SIGTERM
/// as an orchestrator sends it. The page moves to the other replica before its connection closes (src/hub.ts), so it
/// never shows "Reconnecting…", changes made meanwhile and afterwards appear live, and the replica exits once the page
/// has moved rather than at the end of its 20 s handover limit.
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

            // From here any "Reconnecting…" banner, however brief, is counted.
            await page.EvaluateAsync("""
                () => {
                  window.reconnectingSeen = 0;
                  new MutationObserver(() => { if (document.querySelector('[data-testid="reconnecting"]')) window.reconnectingSeen++; })
                    .observe(document.body, { childList: true, subtree: true, attributes: true });
                }
                """);
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
            Assert.Equal(0, await page.EvaluateAsync<int>("() => window.reconnectingSeen"));
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
