using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

public static class NotificationsExtensions
{
    /// <summary>
    /// The transactional outbox and what it feeds: EventBridge (when
    /// <c>EventBridge:BusName</c> is set) and email (SMTP when <c>Smtp:Host</c> is set, else .eml files).
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubNotifications(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        // Which targets exist is decided by configuration at start, like every other provider choice.
        var bus = builder.AddTaskHubOptions<EventBridgeOptions>(EventBridgeOptions.Section);
        // Other features add consumers of board events (the change log) by registering an OutboxConsumer.
        services.AddSingleton(sp =>
        {
            var targets = new OutboxTargets(
                ChangeLog: sp.GetServices<OutboxConsumer>().Any(c => c.Kind == OutboxKinds.ChangeLog),
                BusEvents: bus.Enabled, Email: true);
            OutboxMetrics.Initialize(targets);
            return targets;
        });

        services.AddSingleton<IInterceptor, OutboxWriter>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<IInterceptor, OutboxCommitted>(); // (after OutboxWriter: it sees the rows that adds)
        services.AddSingleton(BoardNotificationRules.Watched); // (OutboxWriter leaves out change emails nobody gets)
        services.AddHttpClient("alerts", c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());

        services.AddSingleton<EmailComposer>();
        services.AddScoped<IOutboxHandler, TaskEmailHandler>();
        services.AddScoped<ChangeEmailRenderer>();
        services.AddSingleton<UnsubscribeLinks>();
        services.AddSingleton(new OutboxConsumer(OutboxKinds.Inbox, InboxEventHandler.Wants));
        services.AddScoped<IOutboxHandler, InboxEventHandler>();
        services.AddScoped<IOutboxHandler, NotificationRequestHandler>();
        services.AddScoped<Boards.IBoardMembershipHandler, NotificationsOnLeave>();
        services.AddSingleton<ChangeEmailFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeEmailFlusher>());
        services.AddScoped<IOutboxHandler, EmailHandler>();
        services.AddSingleton<IPasswordResetMailer, PasswordResetMailer>();
        services.AddScoped<IOutboxHandler, PasswordResetEmailHandler>();
        var transport = config[$"{EmailOptions.Section}:{nameof(EmailOptions.Transport)}"]?.Trim().ToLowerInvariant();
        if (transport == "eventbridge" && bus.Enabled)
            services.AddScoped<IEmailSender, EventBridgeEmailSender>();
        else if (transport == "eventbridge")
            throw new InvalidOperationException("Email:Transport is 'eventbridge' but EventBridge:BusName is not set.");
        else if (transport == "pickup" || (transport is null or "" or "smtp" && string.IsNullOrWhiteSpace(config[$"{SmtpOptions.Section}:Host"])))
            services.AddSingleton<IEmailSender, PickupFolderEmailSender>();
        else
            services.AddSingleton<IEmailSender, SmtpEmailSender>();

        if (bus.Enabled)
        {
            services.AddHttpClient<EventBridgeClient>(c => c.Timeout = TimeSpan.FromSeconds(30))
                .AddStandardResilienceHandler(o =>
                {
                    o.Retry.MaxRetryAttempts = 2;
                    o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(5);
                });
            services.AddScoped<IOutboxHandler, EventBridgeHandler>();
        }
        return builder;
    }
}
