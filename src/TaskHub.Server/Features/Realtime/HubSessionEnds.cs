using StackExchange.Redis;
using TaskHub.Server.Features.Auth;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Closes a person's open hub connections as soon as their session or API token ends (<see cref="SessionEnds"/>), on
/// every replica: this replica's at once, before the request that ended it answers; the others' moments later, when
/// they read the person's id on a Redis channel (published without waiting for Redis). Each replica checks its
/// connections of that person against the database (<see cref="HubAccessSweep.CloseEndedAsync(Guid, CancellationToken)"/>),
/// so only those of ended sessions close.
/// Before the thirty-fourth round they stayed open, and kept receiving the boards they had joined, until the next head
/// tick's sweep (up to <see cref="RealtimeOptions.HeadIntervalSeconds"/>); the sweep still catches a message lost while
/// Redis is down.
/// </summary>
public sealed partial class HubSessionEnds(HubAccessSweep sweep, ILogger<HubSessionEnds> log, IServiceProvider services)
    : BackgroundService, ISessionEndHandler
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("taskhub:sessions-ended");

    /// <summary>This replica, on the channel: it closed its own connections already.</summary>
    private readonly string _origin = Guid.NewGuid().ToString("N");
    private readonly IConnectionMultiplexer? _redis = services.GetService<IConnectionMultiplexer>();

    public async Task SessionsEndedAsync(Guid userId)
    {
        try
        {
            await sweep.CloseEndedAsync(userId, CancellationToken.None);
        }
        finally
        {
            if (_redis is not null) await PublishAsync(userId);
        }
    }

    private async Task PublishAsync(Guid userId)
    {
        try
        {
            // Not awaited (fire and forget): while Redis is down a publish waits in the multiplexer's backlog until its
            // timeout (5 s), and the sign-out would wait with it (a review measured it). A late or lost message is
            // harmless: each replica checks the database, and its sweep catches what the message missed.
            await _redis!.GetSubscriber().PublishAsync(Channel, $"{_origin}:{userId:N}", CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogNotPublished(log, e, userId); // the other replicas' sweeps close them at their next tick
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_redis is null) return;
        var queue = await RedisSubscriptions.SubscribeAsync(_redis, Channel, (e, attempt) => LogSubscribeFailed(log, e, attempt), stoppingToken);
        queue.OnMessage(async m =>
        {
            var text = m.Message.ToString();
            var colon = text.IndexOf(':');
            if (colon < 0 || text.AsSpan(0, colon).SequenceEqual(_origin) || !Guid.TryParse(text.AsSpan(colon + 1), out var userId)) return;
            try
            {
                await sweep.CloseEndedAsync(userId, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogCloseFailed(log, e, userId); // the next tick's sweep tries again
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The end of sessions of {UserId} was not published; other replicas close them at their next sweep")]
    private static partial void LogNotPublished(ILogger logger, Exception e, Guid userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the ended sessions' connections of {UserId} failed; the next sweep closes them")]
    private static partial void LogCloseFailed(ILogger logger, Exception e, Guid userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to ended sessions failed (attempt {Attempt}); retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception e, int attempt);
}
