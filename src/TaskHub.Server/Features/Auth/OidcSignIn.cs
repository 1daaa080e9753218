using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Auth;

/// <summary>
/// Turns a provider's verified answer into one of: a sign-in code (a linked account, or a new one made from a
/// verified email), a link code (an account with that email exists: its password must confirm the link — never
/// linked silently), or an error. The browser is sent to the web app with the code in the query; the code is
/// single-use, short-lived, stored hashed, and exchanged for tokens by POST — tokens never travel in a URL.
/// </summary>
public sealed partial class OidcSignIn(TaskHubDbContext db, TimeProvider clock, ILogger<OidcSignIn> log)
{
    public static readonly TimeSpan SignInCodeLifetime = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan LinkCodeLifetime = TimeSpan.FromMinutes(10);

    public static string ErrorUrl(string error) => $"/login?ssoError={Uri.EscapeDataString(error)}";

    public async Task CompleteAsync(TicketReceivedContext ctx, string provider, OidcProviderOptions options)
    {
        ctx.HandleResponse(); // no cookie sign-in: we answer with a redirect of our own
        ctx.Response.Redirect(await DecideAsync(ctx.Principal!, provider, options, ctx.HttpContext.RequestAborted));
    }

    public static Task FailAsync(RemoteFailureContext ctx)
    {
        // A tampered or replayed state, a wrong nonce, a provider error: the sign-in does not happen.
        var log = ctx.HttpContext.RequestServices.GetRequiredService<ILogger<OidcSignIn>>();
        LogRemoteFailure(log, ctx.Scheme.Name, ctx.Failure?.GetType().Name ?? "unknown");
        ctx.Response.Redirect(ErrorUrl("failed"));
        ctx.HandleResponse();
        return Task.CompletedTask;
    }

    private async Task<string> DecideAsync(System.Security.Claims.ClaimsPrincipal principal, string provider, OidcProviderOptions options, CancellationToken ct)
    {
        var subject = principal.FindFirst("sub")?.Value;
        var email = principal.FindFirst("email")?.Value?.Trim();
        var verified = string.Equals(principal.FindFirst("email_verified")?.Value, "true", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(subject) || subject.Length > 255) return ErrorUrl("failed");
        // The domain rule holds for every sign-in through this provider, not only the first.
        if (email is null || !options.AllowsEmail(email)) return ErrorUrl("domain");

        var now = clock.GetUtcNow().UtcDateTime;
        var linked = await db.Set<ExternalLogin>().AsNoTracking().Where(l => l.Provider == provider && l.Subject == subject)
            .Select(l => (Guid?)l.UserId).SingleOrDefaultAsync(ct);
        if (linked is { } known) return $"/sso?code={await NewCodeAsync(OidcCodePurpose.SignIn, known, provider, subject, now, ct)}";

        // An unverified email proves nothing: it neither makes an account nor finds one.
        if (!verified) return ErrorUrl("unverified");
        var normalized = User.Normalize(email);
        var existing = await db.Users.AsNoTracking().Where(u => u.NormalizedEmail == normalized).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(ct);
        if (existing is { } owner)
            return $"/sso?link={await NewCodeAsync(OidcCodePurpose.Link, owner, provider, subject, now, ct)}&provider={Uri.EscapeDataString(provider)}";

        if (email.Length > UserRules.EmailMax) return ErrorUrl("failed");
        var name = principal.FindFirst("name")?.Value?.Trim();
        var user = new User
        {
            Email = email,
            NormalizedEmail = normalized,
            DisplayName = string.IsNullOrEmpty(name) ? email[..email.IndexOf('@')] : name[..Math.Min(name.Length, UserRules.DisplayNameMax)],
            PasswordHash = "", // no password: this account signs in through its provider (a reset link can give it one)
        };
        db.Users.Add(user);
        db.Add(new ExternalLogin { UserId = user.Id, Provider = provider, Subject = subject, CreatedAt = now });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // A sign-up with that email (or this same sign-in in another tab) won the race: start over.
            db.ChangeTracker.Clear();
            return await DecideAsync(principal, provider, options, ct);
        }
        LogAccountCreated(log, provider, user.Id);
        return $"/sso?code={await NewCodeAsync(OidcCodePurpose.SignIn, user.Id, provider, subject, now, ct)}";
    }

    private async Task<string> NewCodeAsync(OidcCodePurpose purpose, Guid userId, string provider, string subject, DateTime now, CancellationToken ct)
    {
        var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        db.Add(new OidcCode
        {
            CodeHash = TokenService.Hash(code),
            Purpose = purpose,
            UserId = userId,
            Provider = provider,
            Subject = subject,
            CreatedAt = now,
            ExpiresAt = now + (purpose == OidcCodePurpose.SignIn ? SignInCodeLifetime : LinkCodeLifetime),
        });
        await db.SaveChangesAsync(ct);
        return code;
    }

    /// <summary>Uses up a code of <paramref name="purpose"/>: the code's row when it was live (and now is not), else null.</summary>
    public static async Task<OidcCode?> RedeemAsync(TaskHubDbContext db, string? code, OidcCodePurpose purpose, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > 100) return null;
        var hash = TokenService.Hash(code);
        var row = await db.Set<OidcCode>().AsNoTracking().SingleOrDefaultAsync(c => c.CodeHash == hash && c.Purpose == purpose, ct);
        if (row is null || row.UsedAt is not null || row.ExpiresAt <= now) return null;
        var used = await db.Set<OidcCode>().Where(c => c.Id == row.Id && c.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct);
        return used == 1 ? row : null;
    }

    /// <summary>A link code, unused and live, without using it up (a wrong password leaves it usable).</summary>
    public static async Task<OidcCode?> PeekAsync(TaskHubDbContext db, string? code, OidcCodePurpose purpose, DateTime now, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(code) || code.Length > 100) return null;
        var hash = TokenService.Hash(code);
        return await db.Set<OidcCode>().AsNoTracking()
            .SingleOrDefaultAsync(c => c.CodeHash == hash && c.Purpose == purpose && c.UsedAt == null && c.ExpiresAt > now, ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on through {Scheme} failed: {Failure}")]
    private static partial void LogRemoteFailure(ILogger logger, string scheme, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {UserId} created by single sign-on through {Provider}")]
    private static partial void LogAccountCreated(ILogger logger, string provider, Guid userId);
}
