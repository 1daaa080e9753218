using System.ComponentModel.DataAnnotations;

namespace TaskHub.Server.Features.Realtime;

/// <summary>Settings under <c>Realtime</c>. The backplane is Redis when <c>ConnectionStrings:Redis</c> is present.</summary>
public sealed class RealtimeOptions
{
    public const string Section = "Realtime";

    /// <summary>How often each joined board's head seq is read and told to its line here (which sends it, or the events it
    /// lacks), and presence entries are refreshed and pruned.</summary>
    [Range(0.1, 3600)] public double HeadIntervalSeconds { get; set; } = 15;

    /// <summary>With Redis: how often the heads are read instead while this replica's link to Redis is down. Other replicas'
    /// events then reach this replica's viewers only from the log, at a head read: without this, up to
    /// <see cref="HeadIntervalSeconds"/> late during an outage. (Presence and the access sweep keep their own interval.)</summary>
    [Range(0.1, 3600)] public double HeadIntervalSecondsWithoutRedis { get; set; } = 2;

    /// <summary>How long a presence entry lives without a refresh (a dead replica's viewers vanish after this).</summary>
    [Range(0.3, 86_400)] public double PresenceTtlSeconds { get; set; } = 45;

    /// <summary>Events sent per page when a joining client catches up.</summary>
    [Range(1, 10_000)] public int CatchUpPageSize { get; set; } = 1_000;

    /// <summary>How long a board's later event waits for an earlier one to arrive before that is read from the event log.</summary>
    [Range(1, 60_000)] public int GapWaitMilliseconds { get; set; } = 250;

    /// <summary>Events each board's line keeps after delivering them, so a (re)joining connection catches up from memory.</summary>
    [Range(0, 100_000)] public int RecentEventsPerBoard { get; set; } = 256;

    /// <summary>How long a delivered event is kept for joins (older ones are read from the event log).</summary>
    [Range(0, 3_600)] public double RecentEventsSeconds { get; set; } = 60;

    /// <summary>Independent delivery lines; a board always uses the same one, so boards are delivered in parallel.</summary>
    [Range(2, 1_024)] public int FeedPartitions { get; set; } = 16;

    /// <summary>At most this many events go to a connection in one frame (one write, one WebSocket message): a board's
    /// events already queued when its line sends, a join's catch-up. 1 = each event on its own (bench/README.md,
    /// "Fifteenth round").</summary>
    [Range(1, 10_000)] public int MaxEventsPerFrame { get; set; } = 64;

    /// <summary>How long one WebSocket send to a client may take before SignalR aborts the connection (a client that
    /// stopped reading); 0 = never. SignalR's default, 10 s. A send that can time out carries a cancellable token, and
    /// .NET's WebSocket then takes its slower send path for every frame (bench/README.md, "Sixth round").</summary>
    [Range(0, 3_600)] public double TransportSendTimeoutSeconds { get; set; } = 10;

    /// <summary>How long a write to this replica's connections waits for those whose pipe is full (a client that reads
    /// slower than its events come, or stopped reading) before going on without them. Their write finishes on its own,
    /// and each such connection's later messages queue behind it in order, so one slow client holds back no other board
    /// (or, on the hub channel, no other replica's messages) for longer than this. 0 = wait for every write, however
    /// long (as before the thirty-first round).</summary>
    [Range(0, 60_000)] public int SlowClientWaitMilliseconds { get; set; } = 250;

    /// <summary>The most messages that may queue behind a connection's unfinished write; one more and the connection is
    /// aborted, its TCP connection with it (its client reconnects and catches up from the event log), so a client that
    /// stopped reading holds a bounded amount of the replica's memory, sooner than <see cref="TransportSendTimeoutSeconds"/>
    /// would end it.</summary>
    [Range(1, 100_000)] public int MaxQueuedPerSlowClient { get; set; } = 256;

    /// <summary>Whether StackExchange.Redis runs its socket reads and writes on its own pool of dedicated threads
    /// (<c>SocketManager.Shared</c>, the library's default: 10 threads that wake one another for each message) instead of
    /// the .NET thread pool (<c>SocketManager.ThreadPool</c>, TaskHub's default). On 2 cores the dedicated threads' wake-ups
    /// cost a replica with Redis about as much CPU per write as the write itself (bench/README.md, "Eighth round").</summary>
    public bool RedisDedicatedThreads { get; set; }

    /// <summary>With Redis: about the longest a lost link to Redis waits between two reconnect attempts (the client checks
    /// its policy on its heartbeat, once a second, and an attempt itself may take up to its connect timeout). StackExchange.Redis
    /// reconnects each of a replica's two links (commands, subscriptions) on its own, backing off to 10 s by default; so
    /// after Redis came back the subscription could be live again while the link publishes go through still waited up to
    /// 10 s more, and every event committed meanwhile reached the other replicas only from the log (forty-eighth round).</summary>
    [Range(100, 60_000)] public int RedisReconnectMaxMilliseconds { get; set; } = 2_000;
}
