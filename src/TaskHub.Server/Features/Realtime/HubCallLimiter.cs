using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Caps hub method calls per connection (a token bucket: bursts of 20, 10 per second sustained). A flooding
/// client gets a HubException for the calls over the cap; the connection itself stays usable.
/// The limiter is per connection, so it lives with the connection on its replica. Time comes from the
/// <see cref="TimeProvider"/>, so tests move the clock instead of sleeping.
/// </summary>
public sealed class HubCallLimiter(TimeProvider clock) : IHubFilter
{
    public const int Burst = 20;
    public const int PerSecond = 10;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var bucket = _buckets.GetOrAdd(context.Context.ConnectionId, _ => new Bucket(clock.GetTimestamp()));
        if (!bucket.TryTake(clock)) throw new HubException("Too many calls: slow down.");
        return await next(context);
    }

    public Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        _buckets.TryRemove(context.Context.ConnectionId, out _);
        return next(context, exception);
    }

    private sealed class Bucket(long startedAt)
    {
        private readonly Lock _gate = new();
        private double _tokens = Burst;
        private long _refilledAt = startedAt;

        public bool TryTake(TimeProvider clock)
        {
            lock (_gate)
            {
                var now = clock.GetTimestamp();
                _tokens = Math.Min(Burst, _tokens + clock.GetElapsedTime(_refilledAt, now).TotalSeconds * PerSecond);
                _refilledAt = now;
                if (_tokens < 1) return false;
                _tokens -= 1;
                return true;
            }
        }
    }
}
