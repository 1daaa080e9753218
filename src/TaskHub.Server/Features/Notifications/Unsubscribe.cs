using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Which kind of email an unsubscribe link turns off.</summary>
public enum EmailList : byte { Changes = 1, Digest = 2 }

/// <summary>
/// One-click unsubscribe links (RFC 8058): <c>/api/unsubscribe?token=…</c>, where the token names the user and
/// the list and is signed (HMAC-SHA256 with the server's signing key, earlier keys still accepted after a
/// rotation), so it works without logging in and cannot be forged for someone else.
/// </summary>
public sealed class UnsubscribeLinks(IOptions<JwtOptions> jwt, IOptions<EmailOptions> email)
{
    private const int MacBytes = 16;

    public string UrlFor(Guid userId, EmailList list) =>
        $"{email.Value.PublicBaseUrl.TrimEnd('/')}/api/unsubscribe?token={Token(userId, list, jwt.Value.SigningKey!)}";

    public static string Token(Guid userId, EmailList list, string key)
    {
        var body = Body(userId, list);
        return WebEncoders.Base64UrlEncode([.. body, .. Mac(body, key)]);
    }

    /// <summary>The user and list a token names, or null when it is malformed or not signed by any of our keys.</summary>
    public (Guid UserId, EmailList List)? Read(string? token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 100) return null;
        byte[] raw;
        try
        {
            raw = WebEncoders.Base64UrlDecode(token);
        }
        catch (FormatException)
        {
            return null;
        }
        if (raw.Length != 17 + MacBytes || !Enum.IsDefined((EmailList)raw[16])) return null;
        var body = raw[..17];
        var keys = new[] { jwt.Value.SigningKey! }.Concat(jwt.Value.PreviousSigningKeys);
        if (!keys.Any(k => CryptographicOperations.FixedTimeEquals(Mac(body, k), raw[17..]))) return null;
        return (new Guid(raw[..16]), (EmailList)raw[16]);
    }

    private static byte[] Body(Guid userId, EmailList list) => [.. userId.ToByteArray(), (byte)list];

    private static byte[] Mac(byte[] body, string key) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes("taskhub-unsubscribe:" + key), body)[..MacBytes];
}

public static class UnsubscribeApi
{
    public static IEndpointRouteBuilder MapUnsubscribe(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/unsubscribe").WithTags("Notifications").AllowAnonymous();
        group.MapPost("/", Unsubscribe).DisableAntiforgery();
        group.MapGet("/", Confirm).ExcludeFromDescription();
        return app;
    }

    public sealed record UnsubscribedDto(string List, string Message);

    /// <summary>
    /// The one-click POST a mail client sends (body <c>List-Unsubscribe=One-Click</c>, which is not needed here),
    /// or the confirmation page's button: turns the list off for the token's user.
    /// </summary>
    public static async Task<Results<Ok<UnsubscribedDto>, ContentHttpResult, ValidationProblem>> Unsubscribe(
        string? token, HttpContext http, UnsubscribeLinks links, TaskHubDbContext db, CancellationToken ct)
    {
        if (links.Read(token) is not { } target) return FieldErrors.Single("token", "This unsubscribe link is not valid (it may be incomplete).");
        var updated = target.List == EmailList.Changes
            ? await db.Users.Where(u => u.Id == target.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.EmailOnChange, false), ct)
            : await db.Users.Where(u => u.Id == target.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.Digest, DigestCadence.Off), ct);
        // A deleted account has nothing left to unsubscribe from: the answer is the same.
        _ = updated;
        var what = target.List == EmailList.Changes ? "emails about changes to your tasks" : "digest emails";
        var message = $"You will no longer get {what}. You can turn them on again in your TaskHub settings.";
        if (http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
            return TypedResults.Content(Page("Unsubscribed", $"<p>{WebUtility.HtmlEncode(message)}</p>"), "text/html; charset=utf-8");
        return TypedResults.Ok(new UnsubscribedDto(target.List == EmailList.Changes ? "changes" : "digest", message));
    }

    /// <summary>Opening the link in a browser asks first (link scanners open links too): a button that POSTs.</summary>
    public static IResult Confirm(string? token, UnsubscribeLinks links, IOptions<EmailOptions> email)
    {
        var valid = links.Read(token) is not null;
        var settings = WebUtility.HtmlEncode($"{email.Value.PublicBaseUrl.TrimEnd('/')}/settings");
        var body = valid
            ? $"""<h1>Stop these emails?</h1><form method="post"><button type="submit">Stop these emails</button></form><p><a href="{settings}">Or choose in your settings</a></p>"""
            : $"""<h1>This link is not valid</h1><p>It may be incomplete. <a href="{settings}">Open your email settings</a>.</p>""";
        return Results.Content(Page("Unsubscribe", body), "text/html; charset=utf-8", statusCode: valid ? 200 : 400);
    }

    private static string Page(string title, string body) =>
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · TaskHub</title></head><body><main>{body}</main></body></html>";
}
