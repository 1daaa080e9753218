using TaskHub.Server.Data;
using TaskHub.Server.Features.Boards;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// A yes/no question another feature asks about a board on every write to it ("has it an active webhook?", "does anyone
/// watch it?"), answered by the statement that takes the board's seq: after the board's lock, at no extra round trip.
/// <paramref name="Condition"/> is an SQL condition that reads the same on SQLite and MariaDB, in which <c>{board}</c>
/// stands for the board's id. Whatever can turn the answer to yes must take the board's lock too
/// (<c>UPDATE boards … WHERE Id = board</c> in its transaction), so a write either sees it or committed before it.
/// </summary>
public sealed record BoardProbe(string Name, string Condition);

/// <summary>
/// What a write may ask, besides the probes, in the statement that takes the seq: whether the actor may edit the
/// board's tasks (<see cref="BoardWriteAsks.Editor"/>: the seq is taken only if so), whether the editor's session (the
/// refresh-token family of their access token, <see cref="BoardWriteAsks.Session"/>) is alive (likewise; only with an
/// editor) and the last position in a column (<see cref="BoardWriteAsks.LastPositionIn"/>: where a new task goes). Each
/// saves the round trip of its own read, and all are read after the board's lock, so none can be stale when the write
/// commits.
/// </summary>
public sealed record BoardWriteAsks(Guid? Editor = null, TaskState? LastPositionIn = null, Guid? Session = null);

/// <summary>The registered probes (<see cref="BoardProbe"/>) and the seq statements that answer them, built once.</summary>
public sealed class BoardProbes
{
    private readonly BoardProbe[] _all;
    /// <summary>Per provider (SQLite, MariaDB), per ask (editor check × last position × session check): the statement.</summary>
    private readonly string[,] _take = new string[2, 8];
    /// <summary>MariaDB's, beginning the write's transaction (<see cref="InlineTransaction"/>).</summary>
    private readonly string[] _beginAndTake = new string[8];

    public BoardProbes(IEnumerable<BoardProbe> probes)
    {
        _all = probes.DistinctBy(p => p.Name).ToArray();
        if (_all.Length > 62) throw new InvalidOperationException("At most 62 board probes (their answers share one 64-bit column).");
        // {0} is the seq count, {1} the board, {2} the editor, {3} the column, {4} the session and {5} the time now: EF turns
        // them into parameters (BoardStream runs the statement as EF's raw command), typed by their values' CLR types.
        var flags = _all.Length == 0 ? "0"
            : string.Join(" + ", _all.Select((p, i) => $"(CASE WHEN {p.Condition.Replace("{board}", "{1}")} THEN {1L << i} ELSE 0 END)"));
        // The same test as BoardMember.CanEditTasks: a member who is not a viewer.
        var editor = $" AND EXISTS (SELECT 1 FROM board_members WHERE BoardId = {{1}} AND UserId = {{2}} AND Role <> '{nameof(BoardRole.Viewer)}')";
        // The same read as TasksApi's last position: the bottom of the column's unarchived tasks (index BoardId, Status, ArchivedAt, Position).
        const string position = "(SELECT Position FROM tasks WHERE BoardId = {1} AND Status = {3} AND ArchivedAt IS NULL ORDER BY Position DESC LIMIT 1)";
        // The same test as Auth's SessionCheck: the session is the editor's, not revoked and not expired (index FamilyId).
        const string session = " AND EXISTS (SELECT 1 FROM refresh_tokens WHERE FamilyId = {4} AND UserId = {2} AND RevokedAt IS NULL AND ExpiresAt > {5})";
        for (var ask = 0; ask < 8; ask++)
        {
            if ((ask & 4) != 0 && (ask & 1) == 0) continue; // a session is checked only with its editor
            var where = ((ask & 1) != 0 ? editor : "") + ((ask & 4) != 0 ? session : "");
            var last = (ask & 2) != 0 ? position : "NULL";
            _take[0, ask] = $"UPDATE boards SET LastSeq = LastSeq + {{0}} WHERE Id = {{1}}{where} RETURNING LastSeq AS Seq, {flags} AS Flags, {last} AS LastPosition, 1 AS Taken";
            // MariaDB has RETURNING only on INSERT and DELETE: the UPDATE takes the row lock that queues the board's writers,
            // then one SELECT reads the seq back (READ COMMITTED: it sees this transaction's own update), the answers (which
            // see everything committed before the lock was granted) and whether the write may go on: the UPDATE found the
            // board (ROW_COUNT()) and the editor and session checks hold. Those checks are in the SELECT, not in the
            // UPDATE's WHERE: there a subquery reads with the view its statement began with, before the statement waited
            // for the lock, so a member removed (or a session ended) by the write ahead of it still passed. Refused, the
            // seq taken is rolled back (BoardStream). One batch, so one round trip.
            _take[1, ask] = $"UPDATE boards SET LastSeq = LastSeq + {{0}} WHERE Id = {{1}}; " +
                            $"SELECT LastSeq AS Seq, {flags} AS Flags, {last} AS LastPosition, (ROW_COUNT() = 1{where}) AS Taken FROM boards WHERE Id = {{1}}";
            _beginAndTake[ask] = InlineTransaction.BeginSql + _take[1, ask];
        }
    }

    /// <summary>The statement that takes one seq of a board and answers the probes and <paramref name="asks"/>;
    /// <paramref name="begins"/> (MariaDB): it begins the write's <see cref="InlineTransaction"/> too.</summary>
    internal string Take(bool sqlite, BoardWriteAsks? asks, bool begins = false)
    {
        if (asks is { Session: not null, Editor: null }) throw new ArgumentException("A session is checked only with its editor.", nameof(asks));
        if (begins && sqlite) throw new ArgumentException("SQLite's writes begin in the write queue.", nameof(begins));
        var ask = (asks?.Editor is null ? 0 : 1) | (asks?.LastPositionIn is null ? 0 : 2) | (asks?.Session is null ? 0 : 4);
        return begins ? _beginAndTake[ask] : _take[sqlite ? 0 : 1, ask];
    }

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
