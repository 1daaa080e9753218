using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Net.Http.Headers;

namespace TaskHub.Server.Infrastructure;

/// <summary>
/// A request under <c>/api</c> (a POST, PUT or PATCH, or the DELETE of an account) whose body type its endpoint does not
/// take answers 415 with a problem naming <c>Content-Type</c> and the types the endpoint takes, not 404. Routing drops an endpoint whose accepted body types
/// (<see cref="IAcceptsMetadata"/>: <c>application/json</c> for a JSON body, <c>multipart/form-data</c> for a file) do not
/// match the request; the web app's fallback route, there whenever the browser board is built, then takes it and answers
/// 404. Without the fallback routing answers a bare 415 of its own. A request with no <c>Content-Type</c> passes
/// routing's check (dotnet/aspnetcore#45264) and reaches the endpoint, whose refusal is a 415 that names nothing. Only a
/// request with no endpoint, the fallback or routing's 415 is checked here (an endpoint's own refusal below). Such a request
/// is matched again by path (with the routes' constraints: a malformed id is
/// still a 404) and method alone against the API's routes (parsed once, on the first such request). A request whose type
/// the matching route does take was refused for something else, and is left alone.
/// </summary>
public sealed class UnsupportedMediaTypeMiddleware(RequestDelegate next, EndpointDataSource endpoints, IInlineConstraintResolver constraints,
    IProblemDetailsService problems)
{
    /// <summary>The 415 problem: what the request came with, and the types the endpoint takes (<c>accepts</c>).</summary>
    private static Microsoft.AspNetCore.Mvc.ProblemDetails Problem(HttpRequest request, IReadOnlyList<string> accepts)
    {
        var sent = string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : $"Content-Type '{request.ContentType}'";
        return new()
        {
            Status = StatusCodes.Status415UnsupportedMediaType,
            Title = "Unsupported media type",
            Detail = $"The request came with {sent}; this endpoint takes a body of {string.Join(" or ", accepts)}.",
            Extensions = { ["header"] = "Content-Type", ["accepts"] = accepts },
        };
    }

    private sealed record Route(TemplateMatcher Path, IReadOnlyList<(string Name, IRouteConstraint Constraint)> Constraints,
        IReadOnlyList<string> Methods, IReadOnlyList<string> Accepts);

    private Route[]? _routes;

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (context.Request.Path.StartsWithSegments("/api") && (endpoint is null || IsFallback(endpoint) || IsRoutings415(endpoint)))
            return UnmatchedAsync(context, endpoint);
        // Only an endpoint that takes a body can refuse one; every other request (a GET) goes straight on.
        return OwnAccepts(context) is not null ? EndpointRefusalAsync(context) : next(context);
    }

    /// <summary>Routing found no endpoint, the fallback or its own 415: a route that takes another body type answers 415,
    /// a path no route takes with routing's 415 answers 404, anything else goes on.</summary>
    private async Task UnmatchedAsync(HttpContext context, Endpoint? endpoint)
    {
        var (found, accepts) = Match(context);
        if (accepts is not null)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await WriteAsync(context, accepts);
            return;
        }
        if (!found && endpoint is not null && IsRoutings415(endpoint))
        {
            // Routing weighs the body's type before the routes' constraints: a malformed id is a 404 all the same.
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = new() { Status = 404, Title = "Not found" } });
            return;
        }
        await next(context);
    }

    /// <summary>A request with no Content-Type at all does reach its endpoint, which refuses the body it cannot read: by
    /// throwing (RouteHandlerOptions.ThrowOnBadRequest, on in Development) or with a bare 415.</summary>
    private async Task EndpointRefusalAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status415UnsupportedMediaType && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        }
        if (context.Response is { StatusCode: StatusCodes.Status415UnsupportedMediaType, HasStarted: false } && OwnAccepts(context) is { } own)
            await WriteAsync(context, own);
    }

    /// <summary>The problem, when the caller takes one (an <c>Accept</c> that rules out JSON gets the status code pages'
    /// plain text instead).</summary>
    private Task WriteAsync(HttpContext context, IReadOnlyList<string> accepts) =>
        problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = Problem(context.Request, accepts) }).AsTask();

    private static IReadOnlyList<string>? OwnAccepts(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is { ContentTypes.Count: > 0 } accepts ? accepts.ContentTypes : null;

    /// <summary>The web app's catch-all (<c>MapFallback</c>): the last in order.</summary>
    private static bool IsFallback(Endpoint endpoint) => endpoint is RouteEndpoint { Order: int.MaxValue };

    /// <summary>Routing's own answer when it did see the type mismatch: a bare 415 with no body (its display name is the
    /// only mark it has). It gets the same problem as the others.</summary>
    private static bool IsRoutings415(Endpoint endpoint) =>
        endpoint is not RouteEndpoint && endpoint.DisplayName?.StartsWith("415", StringComparison.Ordinal) == true;

    /// <summary>Whether an API route matches the request's path (constraints included) and method, and its body types when
    /// the request's type is not among them (null when it is: the request was refused for another reason).</summary>
    private (bool Found, IReadOnlyList<string>? Accepts) Match(HttpContext context)
    {
        var request = context.Request;
        foreach (var route in _routes ??= Routes())
        {
            var values = new RouteValueDictionary();
            if (!route.Methods.Contains(request.Method, StringComparer.OrdinalIgnoreCase) || !route.Path.TryMatch(request.Path, values)
                || !route.Constraints.All(c => c.Constraint.Match(context, null, c.Name, values, RouteDirection.IncomingRequest)))
                continue;
            var sent = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? type.MediaType.Value : null;
            return (true, sent is not null && route.Accepts.Any(a => MediaTypeHeaderValue.TryParse(a, out var taken)
                                                                      && string.Equals(taken.MediaType.Value, sent, StringComparison.OrdinalIgnoreCase))
                ? null : route.Accepts);
        }
        return (false, null);
    }

    private Route[] Routes() =>
    [
        .. endpoints.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.OrdinalIgnoreCase) == true)
            .Select(e => (e, methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods, accepts: e.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes))
            .Where(r => r.methods is { Count: > 0 } && r.accepts is { Count: > 0 })
            .Select(r => new Route(new TemplateMatcher(new RouteTemplate(r.e.RoutePattern), new()), Constraints(r.e.RoutePattern), r.methods!, r.accepts!)),
    ];

    private List<(string, IRouteConstraint)> Constraints(Microsoft.AspNetCore.Routing.Patterns.RoutePattern pattern) =>
    [
        .. pattern.Parameters.SelectMany(p => p.ParameterPolicies.Select(policy => (p, policy)))
            .Select(x => (x.p, constraint: x.policy.ParameterPolicy as IRouteConstraint
                                           ?? (x.policy.Content is { } content ? constraints.ResolveConstraint(content) : null)))
            .Where(x => x.constraint is not null)
            .Select(x => (x.p.Name, x.p.IsOptional ? new Microsoft.AspNetCore.Routing.Constraints.OptionalRouteConstraint(x.constraint!) : x.constraint!)),
    ];
}
