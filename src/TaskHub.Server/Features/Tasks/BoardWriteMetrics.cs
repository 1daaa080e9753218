using Prometheus;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// The board's lock, measured (<see cref="BoardStream"/>): how long a write waited for it and how long it then held it.
/// The lock orders a board's writers, so what a write holds it for, every later writer of that board waits for; a slow
/// write's time shows here when it was spent on the lock, and not when it was spent before the write began (the HTTP
/// pipeline, the thread pool) or after it.
/// </summary>
public static class BoardWriteMetrics
{
    private static readonly double[] Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16); // 0.1 ms … 3.3 s

    public static readonly Histogram SeqWait = Metrics.CreateHistogram("taskhub_board_seq_wait_seconds",
        "A board write's seq statement, from sent to answered: mostly the wait for the board's lock behind its other writers "
        + "(writes in their own transaction; on SQLite the wait for the writer slot comes before it: taskhub_sqlite_write_wait_seconds).",
        new HistogramConfiguration { Buckets = Buckets });

    public static readonly Histogram LockHeld = Metrics.CreateHistogram("taskhub_board_lock_held_seconds",
        "How long a board write held the board's lock: from its seq statement's answer to its commit (or rollback): the change's "
        + "own work, its save and the commit's log flush (writes in their own transaction).",
        new HistogramConfiguration { Buckets = Buckets });

    public static readonly Histogram SaveAndCommit = Metrics.CreateHistogram("taskhub_board_write_save_seconds",
        "The part of a board write's hold of the lock spent saving and committing (the rest of taskhub_board_lock_held_seconds is "
        + "its own work in the process before the save, and waiting to be scheduled for it).",
        new HistogramConfiguration { Buckets = Buckets });

    /// <summary>Creates the series at start, so dashboards show 0 rather than "no data" on a replica nobody has written through yet.</summary>
    public static void Initialize()
    {
        SeqWait.Publish();
        LockHeld.Publish();
        SaveAndCommit.Publish();
    }
}
