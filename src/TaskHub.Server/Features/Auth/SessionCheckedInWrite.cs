using Microsoft.AspNetCore.Http.HttpResults;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// Endpoint metadata: the endpoint checks the access token's session itself, in a statement it runs anyway — a task
/// creation in the statement that takes the board's seq (Tasks' <c>BoardStream</c>), the other task writes in their
/// first read (Tasks' <c>TaskAccess.FindCheckingSessionAsync</c>) — so the authentication leaves the check to it
/// (<see cref="PendingSessionCheck"/>) instead of asking the database first: on MariaDB one round trip fewer on the
/// busiest writes. Such an endpoint checks the session (<see cref="PendingSessionCheck.FailureAsync"/>) before it reads
/// anything on every path that does not go straight to that statement, and after it when it was refused, so a revoked
/// session still hears 401 and nothing else. (A body that cannot be read, or that its declared rules refuse — a missing
/// or over-long title — is answered 400 before the endpoint runs, whatever the session: that reads nothing and reveals
/// nothing.)
/// </summary>
public sealed class SessionCheckedInWrite
{
    public static readonly SessionCheckedInWrite Instance = new();

    private SessionCheckedInWrite() { }
}

/// <summary>The session of a request's access token that the authentication did not check (a feature of the request,
/// set only on endpoints marked <see cref="SessionCheckedInWrite"/>): the endpoint's write checks it.</summary>
public sealed class PendingSessionCheck(Guid familyId, Guid userId)
{
    /// <summary>The session (the refresh-token family) the token belongs to.</summary>
    public Guid FamilyId => familyId;

    /// <summary>The token's subject: the session must be this user's.</summary>
    public Guid UserId => userId;

    /// <summary>The request's pending check, or null when its session was checked by the authentication.</summary>
    public static PendingSessionCheck? Of(HttpContext http) => http.Features.Get<PendingSessionCheck>();

    /// <summary>Checks the session now: null when it is alive, else the 401 the authentication would have answered.</summary>
    public async Task<ProblemHttpResult?> FailureAsync(HttpContext http, CancellationToken ct)
    {
        if (await http.RequestServices.GetRequiredService<SessionCheck>().AliveNowAsync(http, familyId, userId, ct)) return null;
        http.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{SessionCheck.RevokedMessage}\"";
        return Problems.Unauthorized(SessionCheck.RevokedMessage);
    }
}
