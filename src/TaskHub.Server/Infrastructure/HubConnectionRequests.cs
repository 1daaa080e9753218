namespace TaskHub.Server.Infrastructure;

/// <summary>
/// Requests that live as long as a hub connection: a WebSocket (an HTTP/1.1 upgrade or an HTTP/2 extended CONNECT) or
/// a server-sent event stream under <c>/hubs</c>. Whatever such a request keeps (its services, middleware frames, its
/// principal) is kept per connection, so the pipeline and authentication keep as little as they can for them
/// (bench/README.md, "Memory per connection").
/// </summary>
public static class HubConnectionRequests
{
    // (The WebSocket feature is added later, by the hub's endpoint, so the upgrade is read off the server's features.)
    public static bool IsHubConnection(this HttpContext http) =>
        http.Request.Path.StartsWithSegments("/hubs") &&
        (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()?.IsUpgradableRequest == true ||
         http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpExtendedConnectFeature>()?.IsExtendedConnect == true ||
         http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase));
}
