using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>The outbox row for a reset email carries only the reset's id: the link is rendered when the email is sent.</summary>
public sealed record PasswordResetEmailRequest(Guid ResetId);

public sealed class PasswordResetMailer : IPasswordResetMailer
{
    public void Queue(TaskHubDbContext db, PasswordReset reset, DateTime now) =>
        db.Add(OutboxWriter.New(OutboxKinds.PasswordReset, $"{OutboxKinds.PasswordReset}:{reset.Id:N}",
            JsonSerializer.Serialize(new PasswordResetEmailRequest(reset.Id), TaskHubJson.Options), now));
}

/// <summary>Sends "reset your password" emails, once each; a reset that was used, expired or deleted meanwhile sends nothing.</summary>
public sealed class PasswordResetEmailHandler(
    TaskHubDbContext db, IEmailSender sender, EmailComposer composer, PasswordResets resets, TimeProvider clock) : IOutboxHandler
{
    public string Kind => OutboxKinds.PasswordReset;

    public Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct) =>
        IOutboxHandler.EachAsync(batch, async m =>
        {
            var request = JsonSerializer.Deserialize<PasswordResetEmailRequest>(m.Payload, TaskHubJson.Options)!;
            var now = clock.GetUtcNow().UtcDateTime;
            var target = await (from r in db.Set<PasswordReset>().AsNoTracking()
                                join u in db.Users.AsNoTracking() on r.UserId equals u.Id
                                where r.Id == request.ResetId && r.UsedAt == null && r.ExpiresAt > now
                                select new { r.TokenHash, r.ExpiresAt, u.Email, u.DisplayName }).SingleOrDefaultAsync(ct);
            if (target is null) return;
            var token = resets.CandidateTokens(request.ResetId).FirstOrDefault(t => PasswordResets.Matches(t, target.TokenHash));
            if (token is null) return; // signed with a key we no longer hold: the link could not work
            var link = $"{composer.BaseUrl}/reset-password?token={token}";
            var text = $"""
                Hello {target.DisplayName},

                Someone (hopefully you) asked to reset your TaskHub password. Open this link within an hour to choose a new one:

                {link}

                The link works once. If you did not ask, ignore this email: your password stays as it is.
                """;
            var html = $"""
                <!doctype html><html><body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#111;max-width:600px">
                <p>Hello {WebUtility.HtmlEncode(target.DisplayName)},</p>
                <p>Someone (hopefully you) asked to reset your TaskHub password. Open this link within an hour to choose a new one:</p>
                <p><a href="{WebUtility.HtmlEncode(link)}">Choose a new password</a></p>
                <p>The link works once. If you did not ask, ignore this email: your password stays as it is.</p>
                </body></html>
                """;
            var key = m.Key;
            var message = composer.Compose(target.Email, target.DisplayName, "Reset your TaskHub password", text, html, key);
            message.Headers.Remove("List-Unsubscribe"); // a transactional email, not a list
            await EmailHandler.SendOnceAsync(db, sender, message, key, target.Email, clock, ct);
        });
}
