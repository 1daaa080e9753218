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

        app.UseDefaultFiles();
        app.UseStaticFiles();
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
}
