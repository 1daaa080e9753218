using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Microsoft.Extensions.Options;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Activity;

public static class ActivityExtensions
{
    /// <summary>
    /// The change log: in DynamoDB (fed by the outbox) when <c>DynamoDb:ServiceUrl</c> or <c>DynamoDb:Region</c> is
    /// set; otherwise the SQL board_events table is the log.
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubActivity(this IHostApplicationBuilder builder)
    {
        var dynamo = builder.AddTaskHubOptions<DynamoDbOptions>(DynamoDbOptions.Section);
        if (!dynamo.Enabled) return builder;
        var services = builder.Services;
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
        services.AddSingleton(new OutboxConsumer(OutboxKinds.ChangeLog));
        return builder;
    }
}
