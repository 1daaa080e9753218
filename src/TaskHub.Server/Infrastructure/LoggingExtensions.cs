using System.Text.Json;
using Microsoft.Extensions.Logging.Console;

namespace TaskHub.Server.Infrastructure;

public static class LoggingExtensions
{
    /// <summary>
    /// Outside Development, one JSON object per log line on stdout (what container log collectors parse),
    /// with scopes included: ASP.NET Core's request scope carries <c>RequestId</c>, <c>RequestPath</c> and
    /// <c>ConnectionId</c>, and the activity tracking options add <c>TraceId</c>/<c>SpanId</c> (W3C ids that
    /// match the <c>traceId</c> in problem details). Development keeps the readable console format.
    /// <c>Logging:Console:FormatterName</c> (e.g. <c>simple</c>) still overrides the choice.
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubLogging(this IHostApplicationBuilder builder)
    {
        // "Request starting GET /hubs/board?access_token=…" would put tokens in the logs (browsers can only send
        // the hub's token in the query string). This rule is added after configuration, so no log-level setting
        // can turn those lines back on; RequestLoggingMiddleware writes a line per request without the query.
        builder.Services.PostConfigure<LoggerFilterOptions>(o =>
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning, null)));
        if (builder.Environment.IsDevelopment()) return builder;

        builder.Logging.Configure(o => o.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);
        if (builder.Configuration["Logging:Console:FormatterName"] is { Length: > 0 }) return builder;

        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
        });
        return builder;
    }
}
