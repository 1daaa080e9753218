using Prometheus;

namespace TaskHub.Server.Features.Realtime;

/// <summary>Prometheus series for the realtime path.</summary>
public static class RealtimeMetrics
{
    public static readonly Gauge Connections = Metrics.CreateGauge("taskhub_signalr_connections", "Open SignalR connections on this replica.");
    public static readonly Counter EventsPushed = Metrics.CreateCounter("taskhub_events_pushed_total", "Board events delivered to this replica's viewers (one per event and board, in seq order).");
    public static readonly Counter GapsFilled = Metrics.CreateCounter("taskhub_event_gaps_filled_total", "Gaps in a board's seq that waited past Realtime:GapWaitMilliseconds and were filled from the event log.");
    public static readonly Counter FeedReceived = Metrics.CreateCounter("taskhub_feed_messages_received_total", "Messages this replica read from the board feed's Redis channel (every replica's events and revocations, its own included).");
    public static readonly Counter PushFailures = Metrics.CreateCounter("taskhub_backplane_errors_total", "Board event pushes that failed (e.g. the Redis backplane was down).");

    /// <summary>Creates the series at start, so dashboards show 0 rather than "no data" on an idle replica.</summary>
    public static void Initialize()
    {
        Connections.Set(0);
        EventsPushed.Inc(0);
        PushFailures.Inc(0);
        GapsFilled.Inc(0);
        FeedReceived.Inc(0);
    }
}
