namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// The requests whose response leaves its keep-alive connection open: those that began before this replica started
/// stopping (<see cref="HubDrain.UseConnectionCloseWhileStopping"/> closes the connection of every request that began
/// after). When such a response goes out, the load balancer keeps its connection idle in its pool until its upstream
/// idle timeout (nginx <c>keepalive_timeout</c>, 500 ms in deploy/nginx). Closing the listeners closes idle connections
/// at once, and a POST the load balancer sent on one just then failed with 502 (it is not idempotent, so it is not
/// passed on). <see cref="HubHandover"/> therefore closes the listeners only once none of these requests is in flight and
/// the last one's connection has had <see cref="HandoverOptions.UpstreamIdleMs"/> to leave the pool
/// (<see cref="WaitUntilRetiredAsync"/>). Hub transports' connections (WebSockets, server-sent events, long polling's
/// polls) are not counted: they last as long as the client stays, and the handover moves the WebSocket clients; the
/// others are closed by the stop, as before.
/// </summary>
public sealed class KeepAliveRequests(TimeProvider clock)
{
    private const long Never = long.MinValue;
    private int _inFlight;
    private long _lastEnd = Never;
    private TaskCompletionSource? _drained;

    /// <summary>Requests counted now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Whether the request is one of those counted: everything but a hub transport's connection (under /hubs,
    /// anything but a POST: a WebSocket's GET or HTTP/2 CONNECT, server-sent events, a long poll; a negotiation and long
    /// polling's sends are POSTs, and short).</summary>
    public static bool Counts(HttpContext http) => HttpMethods.IsPost(http.Request.Method) || !http.Request.Path.StartsWithSegments("/hubs");

    /// <summary>Counts a request from before it reads whether the replica is stopping, so a wait that starts at that
    /// moment still sees it.</summary>
    public void Begin() => Interlocked.Increment(ref _inFlight);

    /// <summary>The request has answered with its connection kept open (<paramref name="keptOpen"/>), or will close it.</summary>
    public void End(bool keptOpen)
    {
        if (keptOpen)
        {
            var now = clock.GetTimestamp();
            for (var seen = Volatile.Read(ref _lastEnd); seen < now; seen = Volatile.Read(ref _lastEnd))
                if (Interlocked.CompareExchange(ref _lastEnd, now, seen) == seen) break; // (never moves back: two ends at once)
        }
        if (Interlocked.Decrement(ref _inFlight) == 0) Volatile.Read(ref _drained)?.TrySetResult();
    }

    /// <summary>Waits until no counted request is in flight and the last one that kept its connection open ended at
    /// least <paramref name="upstreamIdle"/> ago.</summary>
    public async Task WaitUntilRetiredAsync(TimeSpan upstreamIdle, CancellationToken ct)
    {
        while (true)
        {
            if (Volatile.Read(ref _inFlight) > 0)
            {
                var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Interlocked.Exchange(ref _drained, drained); // (a full fence: the read below cannot move before it)
                if (Volatile.Read(ref _inFlight) > 0) await drained.Task.WaitAsync(ct); // (read again: it may have ended before the write)
                continue;
            }
            var last = Volatile.Read(ref _lastEnd);
            if (last == Never) return;
            var idle = clock.GetElapsedTime(last);
            if (idle >= upstreamIdle) return;
            await Task.Delay(upstreamIdle - idle, clock, ct);
        }
    }
}
