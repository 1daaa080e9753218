using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace TaskHub.Server.Infrastructure;

/// <summary>Serves the browser board (web/ built into wwwroot) with an SPA fallback.</summary>
public static class WebAppExtensions
{
    private static readonly string[] ReservedPrefixes =
        ["/api", "/hubs", "/hangfire", "/docs", "/openapi", "/metrics", "/healthz", "/readyz"];

    public static WebApplication MapTaskHubWebApp(this WebApplication app)
    {
        var webRoot = app.Environment.WebRootPath;
        if (string.IsNullOrEmpty(webRoot) || !File.Exists(Path.Combine(webRoot, "index.html")))
            return app; // no web build (e.g. the .NET tests): nothing to serve

        app.Lifetime.ApplicationStarted.Register(() => AnnounceBoard(app));
        app.UseDefaultFiles();
        // The web app's files keep their names across releases: browsers revalidate them (ETag → 304) every load.
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache" });
        app.MapFallback(async context =>
        {
            var path = context.Request.Path.Value ?? "/";
            if (ReservedPrefixes.Any(p => path.Equals(p, StringComparison.OrdinalIgnoreCase)
                                          || path.StartsWith(p + "/", StringComparison.OrdinalIgnoreCase))
                || Path.HasExtension(path))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.SendFileAsync(Path.Combine(webRoot, "index.html"));
        });
        return app;
    }

    /// <summary>Prints where the board is, once the server listens (the addresses come from --urls,
    /// ASPNETCORE_URLS or launchSettings.json).</summary>
    private static void AnnounceBoard(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        if (addresses is null || addresses.Count == 0) return;
        var url = addresses.First().Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost").Replace("://+", "://localhost").Replace("://*", "://localhost");
        app.Logger.LogInformation("TaskHub board: open {BoardUrl}/ in a browser", url.TrimEnd('/'));
    }
}
