using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// A yes/no question another feature asks about a board on every write to it ("has it an active webhook?", "does anyone
/// watch it?"), answered by the statement that takes the board's seq: after the board's lock, at no extra round trip.
/// <paramref name="Condition"/> is an SQL condition that reads the same on SQLite and MariaDB, in which <c>{board}</c>
/// stands for the board's id. Whatever can turn the answer to yes must take the board's lock too
/// (<c>UPDATE boards … WHERE Id = board</c> in its transaction), so a write either sees it or committed before it.
/// </summary>
public sealed record BoardProbe(string Name, string Condition);

/// <summary>The registered probes (<see cref="BoardProbe"/>) and the seq statements that answer them, built once.</summary>
public sealed class BoardProbes
{
    private readonly BoardProbe[] _all;

    public BoardProbes(IEnumerable<BoardProbe> probes)
    {
        _all = probes.DistinctBy(p => p.Name).ToArray();
        if (_all.Length > 62) throw new InvalidOperationException("At most 62 board probes (their answers share one 64-bit column).");
        // {0} is the seq count and {1} the board: EF turns both into parameters (SqlQueryRaw).
        var flags = _all.Length == 0 ? "0"
            : string.Join(" + ", _all.Select((p, i) => $"(CASE WHEN {p.Condition.Replace("{board}", "{1}")} THEN {1L << i} ELSE 0 END)"));
        SqliteTake = $"UPDATE boards SET LastSeq = LastSeq + {{0}} WHERE Id = {{1}} RETURNING LastSeq AS Seq, {flags} AS Flags";
        // MariaDB has RETURNING only on INSERT and DELETE: the UPDATE takes the row lock that queues the board's writers,
        // then one SELECT reads the seq back (READ COMMITTED: it sees this transaction's own update) and the answers,
        // which see everything committed before the lock was granted. One batch, so one round trip.
        MySqlTake = $"UPDATE boards SET LastSeq = LastSeq + {{0}} WHERE Id = {{1}}; SELECT LastSeq AS Seq, {flags} AS Flags FROM boards WHERE Id = {{1}}";
    }

    internal string SqliteTake { get; }
    internal string MySqlTake { get; }

    /// <summary>The bit of <paramref name="probe"/> in the answers, or 0 when it is not registered (then it has no answer).</summary>
    internal long Bit(BoardProbe probe)
    {
        var i = Array.FindIndex(_all, p => p.Name == probe.Name);
        return i < 0 ? 0 : 1L << i;
    }
}

/// <summary>What the probes answered for each board written in this use of the context (the latest write's answers).</summary>
public sealed class BoardProbeAnswers : IContextUseState
{
    private readonly Dictionary<Guid, long> _flags = [];
    private BoardProbes? _probes;

    internal void Set(BoardProbes probes, Guid board, long flags)
    {
        _probes = probes;
        _flags[board] = flags;
    }

    /// <summary>The answer of <paramref name="probe"/> for <paramref name="board"/>, read by the write now being saved;
    /// null when there is none (the board was not written through <see cref="BoardStream"/> in this use, or the probe is
    /// not registered): then the asker must assume yes.</summary>
    public bool? Answer(BoardProbe probe, Guid board)
    {
        if (_probes is null || !_flags.TryGetValue(board, out var flags)) return null;
        var bit = _probes.Bit(probe);
        return bit == 0 ? null : (flags & bit) != 0;
    }

    public void Reset()
    {
        _flags.Clear();
        _probes = null;
    }
}
