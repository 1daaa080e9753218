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
/// <c>id</c>) go on.
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
                if (!http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested
                    && !(http.RequestServices.GetService<HubHandover>() is { HandingOver: true } && !http.Request.Query.ContainsKey("id"))) return next(http);
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
    /// meanwhile open a connection each, which the stopping replica still serves. This narrows the race; the balancer
    /// retiring idle connections sooner than the grace (nginx's upstream <c>keepalive_timeout</c>, 500 ms in deploy/nginx)
    /// closes most of the rest. Left: a request that began before the handover and answers late in the grace gets no
    /// header (it is decided as a request starts), so its connection can still be pooled when the listeners close.
    /// </summary>
    public static IApplicationBuilder UseConnectionCloseWhileStopping(this IApplicationBuilder app)
    {
        var lifetime = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>();
        var handover = app.ApplicationServices.GetService<HubHandover>();
        return app.Use((http, next) =>
        {
            // Set as the response starts: the exception handler clears the headers of a response it rewrites.
            if ((lifetime.ApplicationStopping.IsCancellationRequested || handover is { HandingOver: true })
                && HttpProtocol.IsHttp11(http.Request.Protocol) && http.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true })
                http.Response.OnStarting(static response =>
                {
                    ((HttpResponse)response).Headers.Connection = "close";
                    return Task.CompletedTask;
                }, http.Response);
            return next(http);
        });
    }
}
