namespace TaskHub.Server.Infrastructure;

/// <summary>Settings under <c>Cors</c>: origins other than TaskHub's own that may call the API from a browser.</summary>
public sealed class CorsOptions
{
    public const string Section = "Cors";
    public string[] AllowedOrigins { get; set; } = [];
}

public static class SecurityExtensions
{
    public const string CorsPolicy = "taskhub";

    /// <summary>A strict CORS policy: none but the configured origins (same-origin needs none).</summary>
    public static IHostApplicationBuilder AddTaskHubSecurity(this IHostApplicationBuilder builder)
    {
        var origins = builder.AddTaskHubOptions<CorsOptions>(CorsOptions.Section).AllowedOrigins;
        builder.Services.AddCors(o => o.AddPolicy(CorsPolicy, p =>
        {
            if (origins.Length > 0)
                p.WithOrigins(origins).WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
                 .WithHeaders("Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "X-Requested-With", "X-SignalR-User-Agent")
                 .WithExposedHeaders("ETag", "Location", "X-Board-Seq", "Retry-After", "Idempotent-Replayed").AllowCredentials();
        }));
        return builder;
    }

    /// <summary>Security headers on every response; a strict Content-Security-Policy for the app's own pages.</summary>
    public static IApplicationBuilder UseTaskHubSecurityHeaders(this IApplicationBuilder app)
    {
        app.Use((http, next) =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            h["Cross-Origin-Opener-Policy"] = "same-origin";
            h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
            var path = http.Request.Path;
            // The jobs dashboard and the API reference bring their own inline scripts; they get framing protection only.
            if (!path.StartsWithSegments("/hangfire") && !path.StartsWithSegments("/docs") && !path.StartsWithSegments("/scalar"))
            {
                h.XFrameOptions = "DENY";
                h.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
                                          "connect-src 'self' ws: wss:; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
            }
            else
            {
                h.XFrameOptions = "SAMEORIGIN";
            }
            if (http.Request.IsHttps) h.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            return next(http);
        });
        app.UseCors(CorsPolicy);
        return app;
    }
}
