using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// Optimistic concurrency for the edits of what tasks do not cover: a label, a checklist item, a comment and a board's
/// name each carry a <c>version</c> (1 when created, +1 on each change), answered as the <c>ETag</c> of their PATCH.
/// A PATCH with an <c>If-Match</c> naming an older version is refused with 412, checked where the edit is written (after
/// the board's lock, so it cannot go stale); without one the last write wins, as before the versions.
/// </summary>
public static class EditVersions
{
    /// <summary>Whether the request's <c>If-Match</c> (absent: any) allows changing something now at <paramref name="version"/>;
    /// asked after the board's lock, so the answer cannot go stale.</summary>
    public static bool Allows(HttpContext http, int version) => ETags.Matches(http.Request.Headers.IfMatch, version) != false;

    /// <summary>Sets the answer's <c>ETag</c> to <paramref name="version"/>.</summary>
    public static void Tag(HttpContext http, int version) => http.Response.Headers.ETag = ETags.Of(version);

    /// <summary>
    /// The 412 of a stale edit: it says what the thing is now, in words (<paramref name="now"/>) and whole under
    /// <c>current</c> (with its <c>version</c>), so the client can show the other person's value beside what its user
    /// typed and send theirs again with the new version; the <c>ETag</c> is the current version.
    /// </summary>
    public static ProblemHttpResult Stale(HttpContext http, string what, int version, string now, object current)
    {
        Tag(http, version);
        return TypedResults.Problem(
            $"The {what} was changed by someone else since you loaded it: it is now {now} (version {version}). Send your edit again with If-Match: \"{version}\" to keep yours.",
            statusCode: StatusCodes.Status412PreconditionFailed, title: "Precondition failed",
            extensions: new Dictionary<string, object?> { ["version"] = version, ["current"] = current });
    }

    /// <summary>Marks an endpoint that honours <c>If-Match</c> (a task's or one of the four's version): the OpenAPI
    /// document lists the header and the 412 (<see cref="IfMatchOperationTransformer"/>).</summary>
    public static RouteHandlerBuilder WithIfMatch(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(VersionedEndpoint.Instance).ProducesProblem(StatusCodes.Status412PreconditionFailed);
}

/// <summary>Endpoint metadata: the endpoint compares <c>If-Match</c> with the version of what it changes.</summary>
public sealed class VersionedEndpoint
{
    public static readonly VersionedEndpoint Instance = new();
    private VersionedEndpoint() { }
}

/// <summary>Documents the optional <c>If-Match</c> header on the endpoints that compare it (<see cref="EditVersions.WithIfMatch"/>).</summary>
internal sealed class IfMatchOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<VersionedEndpoint>().Any())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "If-Match",
                In = ParameterLocation.Header,
                Required = false,
                Description = "The version the change was made from, as its ETag (\"7\"): when it was changed since, the answer is 412 saying "
                    + "what it is now (the problem's version and current) and nothing changes. Without it the last write wins.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        return Task.CompletedTask;
    }
}
