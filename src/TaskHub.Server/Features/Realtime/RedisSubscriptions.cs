using StackExchange.Redis;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// A channel subscription that waits for Redis: a replica starts while Redis is down (<c>AbortOnConnectFail=false</c>)
/// and subscribes once it is back. StackExchange.Redis registers a subscription's queue before it sends SUBSCRIBE, so a
/// failed attempt leaves a queue nobody reads, which the restored subscription would fill with every message; each
/// failure drops the channel's subscriptions before the next attempt.
/// </summary>
internal static class RedisSubscriptions
{
    /// <summary>Subscribes, retrying every 1–5 s; messages are handed to the returned queue's handler one after the other.</summary>
    public static async Task<ChannelMessageQueue> SubscribeAsync(IConnectionMultiplexer redis, RedisChannel channel,
        Action<Exception, int> failed, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await redis.GetSubscriber().SubscribeAsync(channel);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                failed(e, attempt);
                try { await redis.GetSubscriber().UnsubscribeAsync(channel); }
                catch (Exception again) when (again is RedisException or TimeoutException) { } // (still down: dropped locally all the same)
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), ct);
            }
        }
    }
}
