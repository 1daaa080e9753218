using Microsoft.AspNetCore.Http.HttpResults;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// Optimistic concurrency for the edits of what tasks do not cover: a label, a checklist item, a comment and a board's
/// name each carry a <c>version</c> (1 when created, +1 on each change), answered as the <c>ETag</c> of their PATCH.
/// A PATCH with an <c>If-Match</c> naming an older version is refused with 412, checked where the edit is written (after
/// the board's lock, so it cannot go stale); without one the last write wins, as before the versions.
/// </summary>
public static class EditVersions
{
    /// <summary>Whether the request's <c>If-Match</c> (absent: any) allows changing something now at <paramref name="version"/>.</summary>
    public static bool Allows(HttpContext http, int version) => BoardWrite.IsExpected(http.Request.Headers.IfMatch, version);

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
}
