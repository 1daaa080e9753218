using System.Security.Claims;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// Who is calling: the one way endpoints learn the signed-in user (scoped, from the request's validated token).
/// Endpoints take it as a parameter; only authorised endpoints use it, so the subject claim is always there.
/// </summary>
public sealed class CurrentUser(IHttpContextAccessor accessor)
{
    private Guid? _id;

    public ClaimsPrincipal Principal => accessor.HttpContext?.User ?? throw new InvalidOperationException("No request in progress.");

    /// <summary>The user's id (the token's <c>sub</c>).</summary>
    public Guid Id => _id ??= Principal.GetUserId();
}
