using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.SignalR;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Caps hub method calls per connection (a token bucket: bursts of 20, 10 per second sustained). A flooding
/// client gets a HubException for the calls over the cap; the connection itself stays usable.
/// The limiter is per connection, so it lives with the connection on its replica.
/// </summary>
public sealed class HubCallLimiter : IHubFilter, IDisposable
{
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _buckets = new();

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var bucket = _buckets.GetOrAdd(context.Context.ConnectionId, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 20, TokensPerPeriod = 10, ReplenishmentPeriod = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
        }));
        using var lease = bucket.AttemptAcquire();
        if (!lease.IsAcquired) throw new HubException("Too many calls: slow down.");
        return await next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        if (_buckets.TryRemove(context.Context.ConnectionId, out var bucket)) bucket.Dispose();
        return next(context, exception);
    }

    public void Dispose()
    {
        foreach (var b in _buckets.Values) b.Dispose();
    }
}
