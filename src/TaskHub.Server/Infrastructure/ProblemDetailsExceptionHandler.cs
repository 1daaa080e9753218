using System.Data.Common;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace TaskHub.Server.Infrastructure;

/// <summary>
/// Turns a caller's mistake that surfaced as an exception (malformed JSON, a wrong JSON type, an unknown
/// enum string, a body over the size limit) into a 4xx problem naming the field. Anything else stays a
/// 500 without details, and is logged.
/// </summary>
public sealed partial class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> log)
    : IExceptionHandler
{
    private static readonly Dictionary<string, string> EnumHints = new(StringComparer.Ordinal)
    {
        ["status"] = "todo, in_progress, done",
        ["priority"] = "low, medium, high, urgent",
        ["role"] = "owner, admin, member, viewer",
        ["digest"] = "off, daily, weekly, monthly",
    };

    private static readonly Dictionary<string, string> FormatHints = new(StringComparer.Ordinal)
    {
        ["dueAt"] = "Must be an ISO-8601 date and time, e.g. 2026-11-23T09:00:00Z.",
        ["assigneeId"] = "Must be a user id.",
        ["supervisorId"] = "Must be a user id.",
    };

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        // A MariaDB connection found gone: the pool's others were opened before it, so they go too (Data.MySqlConnections).
        Data.MySqlConnections.ForgetPoolIfBroken(exception);
        var (status, title, detail, errors) = Classify(exception);
        if (status >= 500) LogUnhandled(log, exception, http.Request.Path);
        http.Response.StatusCode = status;
        var details = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail };
        if (errors is not null) details.Extensions["errors"] = errors;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = details, Exception = exception });
    }

    private static (int Status, string Title, string? Detail, Dictionary<string, string[]>? Errors) Classify(Exception exception)
    {
        switch (exception)
        {
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                return (413, "Request body too large", "The request body exceeds the size limit.", null);
            case BadHttpRequestException bad when FindJsonException(bad) is { } json:
                return JsonProblem(json);
            case BadHttpRequestException bad:
                return (bad.StatusCode, "Bad request", bad.Message, null);
            case JsonException json:
                return JsonProblem(json);
            case GoneMeanwhileException gone:
                return (404, "Not found", $"{gone.What} was not found.", null);
            case DbUpdateConcurrencyException:
                return (409, "Conflict", "The resource was changed by someone else at the same time. Reload and try again.", null);
            case var e when IsUnavailable(e):
                return (503, "Service unavailable", "A service TaskHub depends on is not reachable right now. Try again shortly.", null);
            default:
                return (500, "An unexpected error occurred.", null, null);
        }
    }

    /// <summary>A dependency that is down or overloaded (anywhere in the chain): the caller should retry, it is not a bug.</summary>
    public static bool IsUnavailable(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case TimeoutException or System.Net.Sockets.SocketException:
                case StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException:
                case DbException { IsTransient: true }:
                case Exception when Data.MySqlConnections.IsBroken(x): // a MariaDB connection found gone
                case Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 5 or 6 }: // SQLITE_BUSY, SQLITE_LOCKED
                    return true;
            }
        }
        return false;
    }

    private static JsonException? FindJsonException(Exception e)
    {
        for (var x = e.InnerException; x is not null; x = x.InnerException)
            if (x is JsonException json) return json;
        return null;
    }

    private static (int, string, string?, Dictionary<string, string[]>?) JsonProblem(JsonException json)
    {
        var field = FieldFromPath(json.Path);
        string message;
        if (field is null || json.InnerException?.GetType().Name == "JsonReaderException")
        {
            field = "body";
            message = json.LineNumber is { } line
                ? $"The request body is not valid JSON (line {line + 1}, position {json.BytePositionInLine + 1})."
                : "The request body is not valid JSON.";
        }
        else if (EnumHints.TryGetValue(field, out var allowed))
        {
            message = $"Must be one of: {allowed}.";
        }
        else if (FormatHints.TryGetValue(field, out var hint))
        {
            message = hint;
        }
        else if (json.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            message = "Unknown field.";
        }
        else
        {
            message = "The value has the wrong type or format.";
        }
        return (400, "One or more fields are invalid.", null, new() { [field] = [message] });
    }

    /// <summary>"$.priority" → "priority"; "$.items[2].name" → "items[2].name"; "$" → null.</summary>
    private static string? FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return null;
        var f = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        if (f.StartsWith("['", StringComparison.Ordinal) && f.EndsWith("']", StringComparison.Ordinal)) f = f[2..^2];
        return f.Length == 0 ? null : f;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception for {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path);
}
