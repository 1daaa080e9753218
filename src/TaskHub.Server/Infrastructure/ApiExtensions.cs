using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Scalar.AspNetCore;
using TaskHub.Server.Data;

namespace TaskHub.Server.Infrastructure;

/// <summary>Settings under <c>Api</c>.</summary>
public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Largest accepted request body, in bytes.</summary>
    [Range(1024, 100 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 256 * 1024;
}

public static class ApiExtensions
{
    /// <summary>JSON in camelCase, enums as snake_case strings, problem details, validation, OpenAPI, health and metrics.</summary>
    public static IHostApplicationBuilder AddTaskHubApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.ConfigureHttpJsonOptions(o => ConfigureJson(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier);
            if (ctx.ProblemDetails is HttpValidationProblemDetails validation)
            {
                // Field names as the client wrote them (camelCase), whoever produced the errors.
                var camel = validation.Errors.ToDictionary(kv => JsonNamingPolicy.CamelCase.ConvertName(kv.Key), kv => kv.Value);
                validation.Errors.Clear();
                foreach (var (field, messages) in camel) validation.Errors[field] = messages;
                validation.Title = "One or more fields are invalid.";
            }
        });
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        // prometheus-net exports every .NET Meter by default. The instruments that record per operation (ASP.NET Core's
        // request duration, active requests, route matches, authentication, authorization, memory-pool rents; Kestrel's
        // and the MariaDB driver's per connection) then cost each request a series lookup under a lock per measurement,
        // and nothing reads them (the HTTP series come from HttpMetricsMiddleware). The observable ones (the runtime's,
        // EF Core's query and SaveChanges counters) are read only when /metrics is scraped, and stay.
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument => instrument.IsObservable);
        // Its event-counter adapter enables ASP.NET Core's, Kestrel's and System.Net's event sources at Informational by
        // default (an EventSource cannot be asked for its counters alone), so each request wrote its start and stop
        // events (Kestrel's and hosting's) to the adapter, which reads their names and drops them: ~1 KB allocated per
        // request (bench/README.md, "Forty-second round"). The counters are written at LogAlways, which every level lets
        // through, so at Critical they still arrive and nothing per request does.
        Metrics.ConfigureEventCounterAdapter(o => o.EventSourceSettingsProvider = _ => new EventCounterAdapterEventSourceSettings { MinimumLevel = System.Diagnostics.Tracing.EventLevel.Critical });
        services.AddValidation();
        services.AddOpenApi(o => o.AddSchemaTransformer<OptionalSchemaTransformer>());
        builder.AddTaskHubSecurity();
        builder.AddTaskHubTransport();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }

    public static void ConfigureJson(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
    }

    public static WebApplication UseTaskHubApi(this WebApplication app)
    {
        // A hub connection's request (a WebSocket) lives as long as the connection, and with it the frame of every
        // middleware awaiting it (~1 KB each connection for these). None of them does anything for it: its request log
        // would come when it closes, its 101 has no body or page, and a connection's duration is not a request's.
        app.UseWhen(http => !http.IsHubConnection(), api =>
        {
            api.UseMiddleware<HttpMetricsMiddleware>();
            api.UseMiddleware<RequestLoggingMiddleware>();
            api.UseExceptionHandler();
            api.UseStatusCodePages();
            api.UseTaskHubSecurityHeaders();
            api.UseMiddleware<UnsupportedMediaTypeMiddleware>();
            api.UseMiddleware<RequestBodyLimitMiddleware>();
            api.UseAuthentication();
        });
        app.UseWhen(HubConnectionRequests.IsHubConnection, hub => hub.Use(AuthenticateInOwnScopeAsync));
        // The branches' builders do not tell the WebApplication that authentication is in the pipeline (the flag
        // UseAuthentication sets lives in their own copy of the properties), and it would then add a second
        // authentication middleware in front of everything.
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// The authentication middleware resolves the handlers (and their provider, the authentication service) from the
    /// request's services and awaits the rest of the request: for a hub connection that is the connection's whole life.
    /// This signs it in as the middleware would, with services of its own scope (the handlers, ~0.8 KB, and the session
    /// check's DbContext, ~20 KB), disposed before the hub runs; only the principal and the result stay.
    /// </summary>
    private static async Task AuthenticateInOwnScopeAsync(HttpContext http, RequestDelegate next)
    {
        var requestServices = http.RequestServices;
        await using (var scope = requestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope())
        {
            http.RequestServices = scope.ServiceProvider;
            try
            {
                var result = await http.AuthenticateAsync();
                if (result.Principal is { } principal) http.User = principal;
                http.Features.Set<IAuthenticateResultFeature>(new AuthenticatedFeature(result));
            }
            finally
            {
                http.RequestServices = requestServices;
            }
        }
        await next(http);
    }

    private sealed class AuthenticatedFeature(AuthenticateResult result)
        : IAuthenticateResultFeature
    {
        public AuthenticateResult? AuthenticateResult { get; set; } = result;
    }

    /// <summary>/healthz (alive), /readyz (dependencies), /metrics (Prometheus), /openapi/v1.json and its reference UI.</summary>
    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapMetrics("/metrics");
        app.MapOpenApi();
        app.MapScalarApiReference("/docs");
        return app;
    }

    /// <summary>The signed-in user's id (the token's <c>sub</c>).</summary>
    public static Guid GetUserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue("sub"), out var id) ? id : throw new InvalidOperationException("The token has no subject.");
}

/// <summary>Ready when the database answers.</summary>
public sealed class DatabaseHealthCheck(TaskHubDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            return await db.Database.CanConnectAsync(timeout.Token)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The database does not answer.");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", e);
        }
    }
}
