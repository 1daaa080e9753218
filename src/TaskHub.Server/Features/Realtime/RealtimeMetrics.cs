using Prometheus;

namespace TaskHub.Server.Features.Realtime;

/// <summary>Prometheus series for the realtime path.</summary>
public static class RealtimeMetrics
{
    public static readonly Gauge Connections = Metrics.CreateGauge("taskhub_signalr_connections", "Open SignalR connections on this replica.");
    public static readonly Counter EventsPushed = Metrics.CreateCounter("taskhub_events_pushed_total", "Board events delivered to this replica's viewers (one per event and board, in seq order).");
    public static readonly Counter EventFrames = Metrics.CreateCounter("taskhub_event_frames_total", "Frames those events went out in (a board's events queued together go as one write per connection; events ÷ frames is the batch size).");
    public static readonly Counter GapsFilled = Metrics.CreateCounter("taskhub_event_gaps_filled_total", "Gaps in a board's seq that waited past Realtime:GapWaitMilliseconds and were filled from the event log.");
    public static readonly Counter FeedReceived = Metrics.CreateCounter("taskhub_feed_messages_received_total", "Messages this replica read from the board feed's Redis channel (every replica's events and revocations, its own included).");
    public static readonly Counter JoinsBatched = Metrics.CreateCounter("taskhub_hub_joins_total", "Joins that went live through a board's line (caught up, head sent, group joined).");
    public static readonly Counter JoinBatches = Metrics.CreateCounter("taskhub_hub_join_batches_total", "Batches those joins were handled in (joins of one board that arrived together share one).");
    public static readonly Counter JoinLogReads = Metrics.CreateCounter("taskhub_hub_join_log_reads_total", "Event-log reads a batch of joins needed (events older than the line's recent ones).");
    public static readonly Histogram JoinSeconds = Metrics.CreateHistogram("taskhub_hub_join_seconds", "JoinBoard, from the call to its completion.",
        new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
    public static readonly Counter ConnectionsShed = Metrics.CreateCounter("taskhub_hub_connections_shed_total", "Hub connections this replica closed (asking their clients to reconnect), or asked to move (those that said ?handover=1), because it held more than its fair share (Realtime:Rebalance).");
    public static readonly Counter MovesRefused = Metrics.CreateCounter("taskhub_hub_moves_refused_total", "Hub connects that were moves (?move=1) refused with 503 while this replica waited for connections it had asked to move (Realtime:Rebalance:AskToMove): the load balancer or the client tries another replica.");
    public static readonly Counter MovesNotTaken = Metrics.CreateCounter("taskhub_hub_moves_not_taken_total", "Hub connections asked to move for rebalancing that were still open Realtime:Rebalance:MoveGraceSeconds later (left where they are).");
    public static readonly Counter SlowClientWritesLeft = Metrics.CreateCounter("taskhub_hub_slow_client_writes_total", "Times a write to a hub connection whose pipe stayed full past Realtime:SlowClientWaitMilliseconds was left to finish on its own while the line went on (the connection's later messages queue behind it, in order, and are not counted).");
    public static readonly Counter SlowClientsAborted = Metrics.CreateCounter("taskhub_hub_slow_clients_aborted_total", "Hub connections aborted because more than Realtime:MaxQueuedPerSlowClient messages queued behind a write they did not take.");
    public static readonly Counter PushFailures = Metrics.CreateCounter("taskhub_backplane_errors_total", "Board event pushes that failed (e.g. the Redis backplane was down).");
    public static readonly Counter PushesResent = Metrics.CreateCounter("taskhub_backplane_resent_total", "Board events sent to the Redis backplane again (attempts) once this replica's link to it was connected: per board, the latest whose publish had failed, if still the board's latest.");
    public static readonly Counter HeadReads = Metrics.CreateCounter("taskhub_board_head_reads_total", "Reads of the joined boards' heads from the database, by why: the whole tick (tick); a step while this replica did not hear the others on Redis (not_hearing), the first step it heard them again (heard_again), a step after its subscription link dropped and came back since the last (dropped).",
        new CounterConfiguration { LabelNames = ["reason"] });

    /// <summary>Creates the series at start, so dashboards show 0 rather than "no data" on an idle replica.</summary>
    public static void Initialize()
    {
        Connections.Set(0);
        EventsPushed.Inc(0);
        EventFrames.Inc(0);
        PushFailures.Inc(0);
        PushesResent.Inc(0);
        foreach (var reason in BoardHeadService.ReadReasons) HeadReads.WithLabels(reason).Inc(0);
        GapsFilled.Inc(0);
        FeedReceived.Inc(0);
        JoinsBatched.Inc(0);
        JoinBatches.Inc(0);
        JoinLogReads.Inc(0);
        ConnectionsShed.Inc(0);
        MovesNotTaken.Inc(0);
        MovesRefused.Inc(0);
        SlowClientWritesLeft.Inc(0);
        SlowClientsAborted.Inc(0);
    }
}
