using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Builds TaskHub's emails: sender, plain-text and HTML parts, a settings (unsubscribe) link, a stable Message-ID.</summary>
public sealed class EmailComposer(IOptions<EmailOptions> options)
{
    public string BaseUrl => options.Value.PublicBaseUrl.TrimEnd('/');
    public string SettingsUrl => $"{BaseUrl}/settings";

    /// <param name="unsubscribeUrl">A one-click unsubscribe link (RFC 8058) for this kind of email; without it the
    /// List-Unsubscribe header points at the settings page.</param>
    public MimeMessage Compose(string toEmail, string toName, string subject, string text, string html, string key, string? unsubscribeUrl = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.Value.From));
        message.To.Add(new MailboxAddress(toName, toEmail));
        message.Subject = subject;
        message.MessageId = $"{key.Replace(':', '.')}@taskhub";
        if (unsubscribeUrl is null)
            message.Headers.Add("List-Unsubscribe", $"<{SettingsUrl}>");
        else
        {
            message.Headers.Add("List-Unsubscribe", $"<{unsubscribeUrl}>");
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        }
        message.Headers.Add("X-TaskHub-Key", key);
        message.Body = new BodyBuilder { TextBody = text, HtmlBody = html }.ToMessageBody();
        return message;
    }

    /// <summary>A simple HTML page around already-encoded inner HTML, with the settings footer.</summary>
    public string Page(string innerHtml) => $"""
        <!doctype html><html><body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#111;max-width:600px">
        {innerHtml}
        <p style="color:#888;font-size:12px">You get this because of your TaskHub notification settings. <a href="{WebUtility.HtmlEncode(SettingsUrl)}">Change them</a></p>
        </body></html>
        """;
}

/// <summary>An email rendered when it was decided (by a job), waiting in the outbox to be sent. <paramref name="Audience"/>
/// says whom it is still for when it is sent (null: anyone; rows written before it existed have none).</summary>
public sealed record EmailEnvelope(string Key, string ToEmail, string ToName, string Subject, string Text, string Html, string? UnsubscribeUrl = null,
    EmailAudience? Audience = null);

/// <summary>
/// Who an email waiting in the outbox is still for, checked again right before it is sent: an email decided before the
/// person lost the right to it (removed from the board, the board deleted, the account deleted, demoted, the invitation
/// revoked, the kind of email turned off) is dropped, not sent after that change answered.
/// </summary>
/// <param name="UserId">The account must still exist.</param>
/// <param name="BoardId">…and still be a member of this board.</param>
/// <param name="Needs">What else must still hold: <see cref="Changes"/> (change emails on, the board not muted for email),
/// <see cref="Digest"/> (a digest cadence chosen), <see cref="Managers"/> (an owner or admin of the board),
/// <see cref="Assignee"/> (still the assignee of <paramref name="TaskId"/>).</param>
/// <param name="InvitationId">The invitation must still be open (not revoked, accepted or expired).</param>
public sealed record EmailAudience(Guid? UserId = null, Guid? BoardId = null, string? Needs = null, Guid? TaskId = null, Guid? InvitationId = null)
{
    public const string Changes = "changes";
    public const string Digest = "digest";
    public const string Managers = "managers";
    public const string Assignee = "assignee";

    public async Task<bool> StillWantedAsync(TaskHubDbContext db, DateTime now, CancellationToken ct)
    {
        if (InvitationId is { } invitation
            && !await db.Set<Features.Invitations.Invitation>().AnyAsync(i => i.Id == invitation && i.AcceptedAt == null && i.RevokedAt == null && i.ExpiresAt > now, ct))
            return false;
        if (UserId is not { } userId) return true;
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.EmailOnChange, u.Digest }).SingleOrDefaultAsync(ct);
        if (user is null) return false;
        if (Needs == Changes && !user.EmailOnChange) return false;
        if (Needs == Digest && user.Digest == Features.Auth.DigestCadence.Off) return false;
        if (BoardId is not { } boardId) return true;
        var member = await Features.Boards.BoardAccess.MembershipAsync(db, boardId, userId, ct);
        if (member is null) return false;
        if (Needs == Managers && !member.CanManageMembers) return false;
        if (Needs == Changes && !(await BoardNotificationRules.SettingsAsync(db, boardId, ct)).EmailOn(userId)) return false;
        if (Needs == Assignee && TaskId is { } taskId && !await db.Tasks.AnyAsync(t => t.Id == taskId && t.BoardId == boardId && t.AssigneeId == userId, ct))
            return false;
        return true;
    }
}

/// <summary>Sends pre-rendered emails from the outbox, once each (the sent_emails record is the idempotency key).</summary>
public sealed class EmailHandler(TaskHubDbContext db, IEmailSender sender, EmailComposer composer, TimeProvider clock) : IOutboxHandler
{
    public string Kind => OutboxKinds.Email;

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, async m =>
        {
            var e = JsonSerializer.Deserialize<EmailEnvelope>(m.Payload, TaskHubJson.Options)!;
            // Whom it was for may have lost the right to it while it waited (a retry after an outage, a backlog): dropped.
            if (e.Audience is { } audience && !await audience.StillWantedAsync(db, clock.GetUtcNow().UtcDateTime, ct)) return;
            await SendOnceAsync(db, sender, composer.Compose(e.ToEmail, e.ToName, e.Subject, e.Text, e.Html, e.Key, e.UnsubscribeUrl), e.Key, e.ToEmail, clock, ct);
        });

    /// <summary>Sends unless <paramref name="key"/> was sent before, then records it. True when it sent.</summary>
    public static async Task<bool> SendOnceAsync(TaskHubDbContext db, IEmailSender sender, MimeMessage message, string key, string recipient, TimeProvider clock, CancellationToken ct)
    {
        if (await db.Set<SentEmail>().AnyAsync(s => s.Key == key, ct)) return false;
        try
        {
            await sender.SendAsync(message, ct);
        }
        catch
        {
            OutboxMetrics.EmailsFailed.Inc();
            throw;
        }
        OutboxMetrics.EmailsSent.Inc();
        db.Add(new SentEmail { Key = key, Recipient = recipient, SentAt = clock.GetUtcNow().UtcDateTime });
        await db.SaveChangesAsync(ct);
        return true;
    }
}
