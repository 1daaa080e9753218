using System.Diagnostics;

namespace TaskHub.Server.Infrastructure;

/// <summary>
/// One line per request — method, path (never the query string, which can carry the hub's access token),
/// status and duration — inside ASP.NET Core's request scope, so it carries RequestId/TraceId/SpanId.
/// It replaces the framework's "Request starting/finished" lines, which print the query string.
/// </summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> log)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            if (!http.Request.Path.StartsWithSegments("/metrics") && !http.Request.Path.StartsWithSegments("/healthz"))
                LogRequest(log, http.Request.Method, http.Request.Path.Value ?? "/", http.Response.StatusCode,
                    Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "HTTP {Method} {Path} responded {StatusCode} in {ElapsedMs:0.0} ms")]
    private static partial void LogRequest(ILogger logger, string method, string path, int statusCode, double elapsedMs);
}
