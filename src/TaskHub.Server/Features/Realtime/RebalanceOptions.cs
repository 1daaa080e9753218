using System.ComponentModel.DataAnnotations;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// Settings under <c>Realtime:Rebalance</c> (<see cref="HubRebalancer"/>): with Redis, a replica holding more than its fair share
/// of hub connections closes some of them, paced, so their clients reconnect through the load balancer to a lighter replica.
/// </summary>
public sealed class RebalanceOptions : IValidatableObject
{
    public const string Section = "Realtime:Rebalance";

    /// <summary>The off switch. Without <c>ConnectionStrings:Redis</c> there is one replica and nothing to do either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often each replica writes its connection count to Redis, reads the others' and decides.</summary>
    [Range(0.05, 60)] public double IntervalSeconds { get; set; } = 2;

    /// <summary>How long a replica's count lives in Redis without a refresh (a dead replica drops out after this). A handing-over
    /// replica takes a peer still listed with a lapsed count for gone only once it has stayed lapsed this long more.</summary>
    [Range(0.1, 600)] public double TtlSeconds { get; set; } = 6;

    /// <summary>Above the fair share (total ÷ live replicas) a replica may hold this much more (percent of the fair share) …</summary>
    [Range(0, 100)] public double TolerancePercent { get; set; } = 10;

    /// <summary>… and at least this many connections more, before it sheds any.</summary>
    [Range(0, 1_000_000)] public int MinExcess { get; set; } = 50;

    /// <summary>At most this many connections closed per second (the move itself must never be a storm).</summary>
    [Range(0.1, 100_000)] public double ShedPerSecond { get; set; } = 100;

    /// <summary>A shed connection is sent a close message that asks its client to reconnect; one that has not closed
    /// after this long is aborted.</summary>
    [Range(0, 300)] public double CloseGraceSeconds { get; set; } = 5;

    /// <summary>A connection whose client moves when asked (<c>?handover=1</c>, the browser's and the bench's) is not closed
    /// but asked to move (<c>ServerStopping</c> with reason <c>rebalancing</c>), make before break: it keeps being served
    /// until its client has opened a new connection and rejoined there, so its board sees no gap; and while those it asked
    /// are on their way (and another replica is live) this replica refuses new connections that are rebalancing moves
    /// (<c>?move=1</c>) with 503, so a move that a round-robin load balancer sends straight back here goes elsewhere (nginx
    /// tries the next replica itself; a client tries again, still served).
    /// false: closed like the others.</summary>
    public bool AskToMove { get; set; } = true;

    /// <summary>Sent with the ask: the client moves at a random moment within this many milliseconds.</summary>
    [Range(0, 60_000)] public int MoveWithinMs { get; set; } = 1_000;

    /// <summary>An asked connection still open this long after <see cref="MoveWithinMs"/> (its client could not move, or
    /// does not move) is left where it is, counted again, and may be asked again; it is never closed for it. Behind a
    /// balancer that hands a refused move back to the client (the ALB) about one move in eight fails its three tries, and
    /// each round of asking again waits this long: 15 s took the storm's rebalance 94–100 s, 5 s 60–65 s (bench/README.md,
    /// "Fortieth round"). A move that outlasts it (a join slower than ~4 s) is counted twice a moment, so the replica may
    /// ask one more than it needed, within the tolerance.</summary>
    [Range(0.1, 300)] public double MoveGraceSeconds { get; set; } = 5;

    /// <summary>For this long after it is ready, a replica is sent no shed connections: the others leave it out of the fair
    /// share, so it holds only what the load balancer sends it while its hot code is still being compiled (a fresh replica
    /// under load compiles for one to two minutes, at 2–5× the CPU per request; bench/README.md, "Thirty-seventh round").
    /// Set it to the load balancer's slow start (the AWS stack sets both). It still counts as live for a handover.</summary>
    [Range(0, 900)] public double WarmUpSeconds { get; set; }

    /// <summary>Which replicas count as one deployment in Redis. Empty: derived from the database connection string
    /// (replicas of one deployment share their database), so two deployments on one Redis never balance each other.</summary>
    [MaxLength(100)] public string Scope { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TtlSeconds <= IntervalSeconds)
            yield return new ValidationResult("must be longer than IntervalSeconds (a live replica's count must not expire between two refreshes)", [nameof(TtlSeconds)]);
    }
}
