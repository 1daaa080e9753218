using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Options;
using TaskHub.Server.Features.Activity;

namespace TaskHub.Server.Features.Notifications;

public static class NotificationsExtensions
{
    /// <summary>
    /// The transactional outbox and what it feeds: the change log (DynamoDB when <c>DynamoDb:ServiceUrl</c> or
    /// <c>DynamoDb:Region</c> is set; the SQL board_events table otherwise), EventBridge (when
    /// <c>EventBridge:BusName</c> is set) and email (SMTP when <c>Smtp:Host</c> is set, else .eml files).
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubNotifications(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var config = builder.Configuration;
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DynamoDbOptions>().BindConfiguration(DynamoDbOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EventBridgeOptions>().BindConfiguration(EventBridgeOptions.Section).ValidateOnStart();

        // Which targets exist is decided by configuration at start, like every other provider choice.
        var dynamo = config.GetSection(DynamoDbOptions.Section).Get<DynamoDbOptions>() ?? new();
        var bus = config.GetSection(EventBridgeOptions.Section).Get<EventBridgeOptions>() ?? new();
        var targets = new OutboxTargets(ChangeLog: dynamo.Enabled, BusEvents: bus.Enabled, Email: true);
        services.AddSingleton(targets);
        OutboxMetrics.Initialize(targets);

        services.AddScoped<IInterceptor, OutboxWriter>();
        services.AddHttpClient("alerts", c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());

        services.AddSingleton<EmailComposer>();
        services.AddScoped<IOutboxHandler, TaskEmailHandler>();
        services.AddScoped<IOutboxHandler, EmailHandler>();
        var transport = config[$"{EmailOptions.Section}:{nameof(EmailOptions.Transport)}"]?.Trim().ToLowerInvariant();
        if (transport == "eventbridge" && bus.Enabled)
            services.AddScoped<IEmailSender, EventBridgeEmailSender>();
        else if (transport == "eventbridge")
            throw new InvalidOperationException("Email:Transport is 'eventbridge' but EventBridge:BusName is not set.");
        else if (transport == "pickup" || (transport is null or "" or "smtp" && string.IsNullOrWhiteSpace(config[$"{SmtpOptions.Section}:Host"])))
            services.AddSingleton<IEmailSender, PickupFolderEmailSender>();
        else
            services.AddSingleton<IEmailSender, SmtpEmailSender>();

        if (dynamo.Enabled)
        {
            services.AddSingleton<IAmazonDynamoDB>(sp =>
            {
                var o = sp.GetRequiredService<IOptions<DynamoDbOptions>>().Value;
                // The outbox retries with backoff; the SDK need only retry once and must not hang.
                var cfg = new AmazonDynamoDBConfig { MaxErrorRetry = 1, Timeout = TimeSpan.FromSeconds(10) };
                if (!string.IsNullOrWhiteSpace(o.ServiceUrl)) cfg.ServiceURL = o.ServiceUrl;
                if (!string.IsNullOrWhiteSpace(o.Region)) cfg.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(o.Region);
                else cfg.AuthenticationRegion = "us-east-1";
                // A local endpoint (dynalite, DynamoDB Local) takes any credentials; in AWS the SDK's chain applies.
                return !string.IsNullOrWhiteSpace(o.ServiceUrl) && string.IsNullOrWhiteSpace(o.Region)
                    ? new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"), cfg)
                    : new AmazonDynamoDBClient(cfg);
            });
            services.AddSingleton<DynamoChangeLog>();
            services.AddSingleton<IOutboxHandler>(sp => sp.GetRequiredService<DynamoChangeLog>());
        }

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
