using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Hands a message to the mail transport; throws when it could not.</summary>
public interface IEmailSender
{
    Task SendAsync(MimeMessage message, CancellationToken ct);
}

/// <summary>SMTP through MailKit (SES SMTP in AWS, maildev locally).</summary>
public sealed class SmtpEmailSender(IOptions<SmtpOptions> options) : IEmailSender
{
    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        var o = options.Value;
        using var client = new SmtpClient { Timeout = 15_000 };
        await client.ConnectAsync(o.Host!, o.Port, o.UseTls ? SecureSocketOptions.Auto : SecureSocketOptions.None, ct);
        if (!string.IsNullOrEmpty(o.UserName)) await client.AuthenticateAsync(o.UserName, o.Password ?? "", ct);
        await client.SendAsync(message, ct);
        await client.DisconnectAsync(quit: true, ct);
    }
}

/// <summary>The embedded mode: each email becomes an .eml file in a pickup folder (open it in any mail client).</summary>
public sealed class PickupFolderEmailSender(IOptions<EmailOptions> options, IHostEnvironment env) : IEmailSender
{
    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        var dir = Path.Combine(env.ContentRootPath, options.Value.PickupDirectory);
        Directory.CreateDirectory(dir);
        var name = $"{DateTime.UtcNow:yyyyMMdd-HHmmssfff}-{Guid.NewGuid():N}.eml";
        var temp = Path.Combine(dir, name + ".tmp");
        await message.WriteToAsync(temp, ct);
        File.Move(temp, Path.Combine(dir, name)); // appears whole or not at all
    }
}

/// <summary>
/// <c>Email:Transport = eventbridge</c>: the app does not send mail itself; it publishes an <c>EmailRequested</c>
/// event (recipient, subject, both bodies, the idempotency key) for an EventBridge rule to deliver (e.g. via SES).
/// </summary>
public sealed class EventBridgeEmailSender(EventBridgeClient bus) : IEmailSender
{
    public async Task SendAsync(MimeMessage message, CancellationToken ct)
    {
        var to = message.To.Mailboxes.First();
        var detail = System.Text.Json.JsonSerializer.Serialize(new
        {
            idempotencyKey = message.Headers["X-TaskHub-Key"] ?? message.MessageId,
            to = new { email = to.Address, name = to.Name },
            from = message.From.ToString(),
            subject = message.Subject,
            text = message.TextBody,
            html = message.HtmlBody,
            messageId = message.MessageId,
        }, Infrastructure.TaskHubJson.Options);
        var result = (await bus.PutEventsAsync([new EventBridgeClient.Entry("EmailRequested", detail)], ct))[0];
        if (result.Failed) throw new InvalidOperationException($"EventBridge refused the EmailRequested event: {result.ErrorCode} {result.ErrorMessage}");
    }
}
