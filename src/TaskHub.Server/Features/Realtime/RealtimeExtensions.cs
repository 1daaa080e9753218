using MessagePack;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using StackExchange.Redis;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Realtime;

public static partial class RealtimeExtensions
{
    /// <summary>The Redis client's settings: the connection string's, and what a replica needs besides.</summary>
    public static ConfigurationOptions RedisConfiguration(string connectionString, RealtimeOptions realtime)
    {
        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = false; // start even while Redis is down; reconnect in the background
        if (!realtime.RedisDedicatedThreads) config.SocketManager = SocketManager.ThreadPool; // see RealtimeOptions.RedisDedicatedThreads
        var max = realtime.RedisReconnectMaxMilliseconds; // see RealtimeOptions.RedisReconnectMaxMilliseconds
        config.ReconnectRetryPolicy = new ExponentialRetry(Math.Min(500, max), max);
        return config;
    }

    /// <summary>
    /// SignalR with the JSON and MessagePack protocols, both in TaskHub's JSON shape; the Redis backplane and Redis presence when
    /// <c>ConnectionStrings:Redis</c> is present, in-process otherwise.
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubRealtime(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        RealtimeMetrics.Initialize();
        var realtime = builder.AddTaskHubOptions<RealtimeOptions>(RealtimeOptions.Section);
        services.AddSingleton<HubCallLimiter>();
        var signalR = services.AddSignalR(o =>
            {
                o.AddFilter<HubCallLimiter>();
                o.MaximumReceiveMessageSize = 32 * 1024;
                o.EnableDetailedErrors = builder.Environment.IsDevelopment();
            })
            .AddJsonProtocol(o => ApiExtensions.ConfigureJson(o.PayloadSerializerOptions))
            .AddMessagePackProtocol();
        // MessagePack in the JSON protocol's exact shape (see JsonShapeResolver), from the JSON protocol's own options.
        services.AddOptions<MessagePackHubProtocolOptions>().Configure<IOptions<JsonHubProtocolOptions>>((o, json) =>
            o.SerializerOptions = MessagePackSerializerOptions.Standard
                .WithResolver(new JsonShapeResolver(json.Value.PayloadSerializerOptions))
                .WithSecurity(MessagePackSecurity.UntrustedData));

        var rebalance = builder.AddTaskHubOptions<RebalanceOptions>(RebalanceOptions.Section); // validated with or without Redis
        var handover = builder.AddTaskHubOptions<HandoverOptions>(HandoverOptions.Section);
        // With Redis: scale-out with one subscription per replica, not one per connection. Either way: frames of several
        // events to a connection in one write (see ClusterHubLifetimeManager; BoardEventFeed needs it).
        services.AddSingleton(typeof(HubLifetimeManager<>), typeof(ClusterHubLifetimeManager<>));
        var redis = builder.Configuration.GetConnectionString("Redis");
        if (!string.IsNullOrWhiteSpace(redis))
        {
            var config = RedisConfiguration(redis, realtime);
            services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(config));
            services.AddSingleton<IPresenceStore, RedisPresenceStore>();
            services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: ["ready"]);
            if (rebalance.Enabled)
            {
                services.AddSingleton<HubRebalancer>();
                services.AddHostedService(sp => sp.GetRequiredService<HubRebalancer>());
                // A stopping replica hands its connections over (it needs the rebalancer's count of live replicas).
                if (handover.Enabled)
                {
                    services.AddSingleton<HubHandover>();
                    services.AddSingleton<KeepAliveRequests>();
                    services.AddSingleton<IHostLifetime, HubHandover.Lifetime>(); // in place of the console lifetime: SIGTERM hands over first
                }
            }
        }
        else
        {
            services.AddSingleton<IPresenceStore, InProcessPresenceStore>();
        }

        services.AddSingleton<IBearerTokenSource, HubTokenSource>();
        services.AddScoped<IBoardMembershipHandler, LiveMembership>();
        services.AddSingleton<INotificationPush, UserPush>();
        services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();
        services.AddSingleton<LocalConnections>();
        services.AddSingleton<BoardPresence>();
        services.AddSingleton<CatchUpReads>();
        services.AddSingleton<HubMemberships>();
        services.AddSingleton<HubAccessSweep>();
        services.AddSingleton<HubSessionEnds>();
        services.AddSingleton<ISessionEndHandler>(sp => sp.GetRequiredService<HubSessionEnds>());
        services.AddHostedService(sp => sp.GetRequiredService<HubSessionEnds>());
        services.AddSingleton<BoardEventFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<BoardEventFeed>());
        services.AddSingleton<BoardEventDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<BoardEventDispatcher>());
        services.AddHostedService<BoardHeadService>();
        services.AddSingleton<IInterceptor, BoardEventPublisher>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder app)
    {
        // The hub's request lives as long as its connection, and with it every endpoint filter's frame: the hub has no
        // parameters to validate, so no validation filter waits on it.
        var sendTimeout = app.ServiceProvider.GetRequiredService<IOptions<RealtimeOptions>>().Value.TransportSendTimeoutSeconds;
        app.MapHub<BoardHub>("/hubs/board", o => o.TransportSendTimeout = sendTimeout > 0 ? TimeSpan.FromSeconds(sendTimeout) : Timeout.InfiniteTimeSpan)
            .DisableValidation().RefuseWhileStopping();
        return app;
    }

    /// <summary>WebSockets cannot carry headers: the hub takes the token from the <c>access_token</c> query.</summary>
    private sealed class HubTokenSource : IBearerTokenSource
    {
        public string? TokenFor(HttpContext http) =>
            http.Request.Path.StartsWithSegments("/hubs") && http.Request.Query.TryGetValue("access_token", out var token) ? token.ToString() : null;
    }

    /// <summary>Whoever leaves a board, or a deleted board's viewers, stop getting its events at once.</summary>
    private sealed class LiveMembership(BoardPresence live) : IBoardMembershipHandler
    {
        public Task MemberLeftAsync(Guid boardId, Guid userId) => live.RevokeAsync(boardId, userId);
        public Task BoardDeletedAsync(Guid boardId) => live.BoardDeletedAsync(boardId);
    }

    /// <summary>Inbox items go to every connection of their person (SignalR's user id is the token's subject); with
    /// Redis, to the replicas that hold them. A failed push is logged: the inbox is read again on reconnect.</summary>
    private sealed partial class UserPush(IHubContext<BoardHub, IBoardClient> hub, ILogger<UserPush> log) : INotificationPush
    {
        public async Task NotificationAddedAsync(Guid userId, NotificationDto notification)
        {
            try
            {
                await hub.Clients.User(userId.ToString()).NotificationAdded(notification);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPushFailed(log, e, userId);
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not push a notification to user {UserId}")]
        private static partial void LogPushFailed(ILogger logger, Exception exception, Guid userId);
    }

    /// <summary>SignalR's user id is the token's subject (the app maps no inbound claims).</summary>
    private sealed class SubjectUserIdProvider : IUserIdProvider
    {
        public string? GetUserId(HubConnectionContext connection) => connection.User?.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
    }
}

/// <summary>Ready when Redis answers a PING.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(3), ct);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer.", e);
        }
    }
}
