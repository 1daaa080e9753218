using Microsoft.AspNetCore.Http.Features;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// A replica that is stopping refuses new hub connections with 503. SignalR closes the open ones when the
/// application starts stopping, and their clients reconnect at once; without this the stopping replica (whose
/// listener stays open until the host stops the server last) would accept some of them again and hold them,
/// without events, until its shutdown timeout closed them ~30 s later. With a 503 the load balancer passes the
/// upgrade request to another replica (nginx: <c>proxy_next_upstream … http_503</c>). The same while the replica hands
/// its connections over before stopping (<see cref="HubHandover"/>): its clients' new connections must land elsewhere,
/// while the requests of connections it still serves (long polling's polls and sends, which carry the connection's
/// <c>id</c>) go on. And a replica that is shedding connections to rebalance refuses new ones that are moves
/// (<c>?move=1</c>) while those it asked to move are on their way (<see cref="HubRebalancer.RefusingMoves"/>), so a round-robin balancer's move lands elsewhere.
/// </summary>
public static class HubDrain
{
    public static TBuilder RefuseWhileStopping<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var next = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = http =>
            {
                var connect = !http.Request.Query.ContainsKey("id"); // (a long-polling connection's later requests carry its id)
                var movingAway = connect && http.Request.Query["move"] == "1" && http.RequestServices.GetService<HubRebalancer>() is { RefusingMoves: true };
                if (!http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested
                    && !(connect && http.RequestServices.GetService<HubHandover>() is { HandingOver: true })
                    && !movingAway)
                    return next(http);
                if (movingAway) RealtimeMetrics.MovesRefused.Inc();
                http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                http.Response.Headers.RetryAfter = "1";
                return Task.CompletedTask;
            };
        });
        return builder;
    }

    /// <summary>
    /// While the replica is stopping (handing over, then the host stopping), every HTTP/1.1 response to a request that
    /// began then, but an upgrade (a WebSocket's), says <c>Connection: close</c>: the load balancer's pooled keep-alive connections to this replica close
    /// after the request they carry instead of staying idle until the server stops and closes them under it. nginx
    /// does not pass a POST that has already gone out on such a connection to another replica (it is not idempotent),
    /// so that race failed one write in most reconnect-storm reps (bench/README.md, "Twenty-third round"). New requests
    /// meanwhile open a connection each, which the stopping replica still serves. A request that began before gets no
    /// header (it is decided as a request starts), so it is counted (<see cref="KeepAliveRequests"/>, when the handover
    /// is on) and the handover closes the listeners only once its connection has left the balancer's pool.
    /// </summary>
    public static IApplicationBuilder UseConnectionCloseWhileStopping(this IApplicationBuilder app)
    {
        var lifetime = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>();
        var handover = app.ApplicationServices.GetService<HubHandover>();
        var keepAlive = app.ApplicationServices.GetService<KeepAliveRequests>(); // (registered with the handover)
        return app.Use((http, next) =>
        {
            var counted = keepAlive is not null && KeepAliveRequests.Counts(http);
            if (counted) keepAlive!.Begin(); // (before the check below: a handover that starts meanwhile still sees it)
            if (!lifetime.ApplicationStopping.IsCancellationRequested && handover is not { HandingOver: true })
                return counted ? Counted(http, next, keepAlive!) : next(http);
            if (counted) keepAlive!.End(keptOpen: false);
            // Set as the response starts: the exception handler clears the headers of a response it rewrites.
            if (HttpProtocol.IsHttp11(http.Request.Protocol) && http.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true })
                http.Response.OnStarting(static response =>
                {
                    ((HttpResponse)response).Headers.Connection = "close";
                    return Task.CompletedTask;
                }, http.Response);
            return next(http);
        });
    }

    private static Task Counted(HttpContext http, RequestDelegate next, KeepAliveRequests keepAlive)
    {
        Task running;
        try
        {
            running = next(http);
        }
        catch
        {
            keepAlive.End(keptOpen: true);
            throw;
        }
        if (!running.IsCompleted) return Awaited(running, keepAlive);
        keepAlive.End(keptOpen: true);
        return running;

        static async Task Awaited(Task running, KeepAliveRequests keepAlive)
        {
            try { await running; }
            finally { keepAlive.End(keptOpen: true); }
        }
    }
}
