using Microsoft.EntityFrameworkCore;
using MySqlConnector;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// MariaDB's recent-rows search. InnoDB FULLTEXT scores every document of a word before the first row comes back
/// (a word in 60% of 100,000 tasks costs 50–150 ms however small the <c>LIMIT</c>), so a common word cannot be cheap
/// through the index. Instead each of the caller's boards gives its newest rows (<see cref="SearchOptions.RecentRows"/>
/// shared out over the boards, along the <c>(BoardId, Id)</c> indexes: ids are UUIDv7, so newest first), and the
/// newest matches among them (<see cref="SearchOptions.Candidates"/> shared out likewise) are ranked with BM25 in the
/// same query (<see cref="SearchRank"/>). A common word fills a page from the first rows it reads; a rare one reads the whole window
/// and finds less than a page, and then (unless the window was every row of the boards, which makes it the exact
/// answer) the index answers instead: <c>null</c>.
/// </summary>
internal static class MySqlRecent
{
    private sealed record Cut(Guid BoardId, Guid? TaskCut, Guid? CommentCut);

    private sealed record Hit(string Kind, Guid TaskId, Guid BoardId, string Title, string? Text, DateTime? ArchivedAt, double Rank, long Found);

    public static async Task<List<SearchApi.Row>?> SearchAsync(TaskHubDbContext db, Guid userId, Guid? board, List<string> terms, int take,
        int candidates, int recentRows, CancellationToken ct)
    {
        // Each of the caller's boards, and where its window starts: the id just past its newest `window` rows (none:
        // the board is shorter). Index-only; the window is shared out over the boards the caller had a moment ago.
        var count = await db.Database.SqlQuery<int>($"""
            SELECT COUNT(*) AS Value FROM board_members m WHERE m.UserId = {userId} AND ({board} IS NULL OR m.BoardId = {board})
            """).SingleAsync(ct);
        if (count == 0) return [];
        if (count > SearchApi.RecentMaxBoards) return null;
        var window = (recentRows + count - 1) / count;
        var perBoard = (candidates + count - 1) / count;
        var cuts = await db.Database.SqlQuery<Cut>($"""
            SELECT m.BoardId AS BoardId,
                   (SELECT t.Id FROM tasks t FORCE INDEX (IX_tasks_BoardId_Id) WHERE t.BoardId = m.BoardId ORDER BY t.Id DESC LIMIT 1 OFFSET {window}) AS TaskCut,
                   (SELECT c.Id FROM comments c FORCE INDEX (IX_comments_BoardId_Id) WHERE c.BoardId = m.BoardId ORDER BY c.Id DESC LIMIT 1 OFFSET {window}) AS CommentCut
            FROM board_members m WHERE m.UserId = {userId} AND ({board} IS NULL OR m.BoardId = {board})
            """).ToListAsync(ct);
        if (cuts.Count == 0) return [];

        // Every word, as a word start (as the index matches): LIKE first (cheap), then the word boundary.
        var parameters = new List<MySqlParameter>();
        string Param(object? value)
        {
            var p = new MySqlParameter($"@p{parameters.Count}", value);
            parameters.Add(p);
            return p.ParameterName;
        }
        var words = terms.Select(t => (Term: Param(t), Like: Param($"%{t}%"), Start: Param($"[[:<:]]{t}"))).ToList();
        string Matches(params string[] columns) => string.Join(" AND ", words.Select(w =>
            $"({string.Join(" OR ", columns.Select(c => $"{c} LIKE {w.Like}"))}) AND CONCAT_WS(' ', {string.Join(", ", columns)}) REGEXP {w.Start}"));
        // BM25's inputs, per candidate: how often each word occurs (a title's occurrences count 10 times) and the length.
        string Occurs(string column, string term) =>
            $"(CHAR_LENGTH(LOWER(COALESCE({column}, ''))) - CHAR_LENGTH(REPLACE(LOWER(COALESCE({column}, '')), {term}, ''))) / CHAR_LENGTH({term})";
        string Length(string column) => $"(CHAR_LENGTH(COALESCE({column}, '')) - CHAR_LENGTH(REPLACE(COALESCE({column}, ''), ' ', '')) + 1)";
        var taskInputs = string.Join("", words.Select((w, i) => $", {SearchRank.TitleWeight} * {Occurs("t.Title", w.Term)} + {Occurs("t.Description", w.Term)} AS F{i}"));
        var commentInputs = string.Join("", words.Select((w, i) => $", {Occurs("c.Body", w.Term)}"));
        var limit = Param(perBoard);
        var parts = new List<string>();
        foreach (var cut in cuts)
        {
            var b = Param(cut.BoardId);
            parts.Add($"""
                (SELECT 'task' AS Kind, t.Id AS Id, t.Id AS TaskId, {SearchRank.TitleWeight} * {Length("t.Title")} + {Length("t.Description")} AS Len{taskInputs}
                 FROM tasks t FORCE INDEX (IX_tasks_BoardId_Id)
                 WHERE t.BoardId = {b}{(cut.TaskCut is { } tc ? $" AND t.Id > {Param(tc)}" : "")} AND {Matches("t.Title", "t.Description")}
                 ORDER BY t.Id DESC LIMIT {limit})
                """);
            parts.Add($"""
                (SELECT 'comment', c.Id, c.TaskId, {Length("c.Body")}{commentInputs}
                 FROM comments c FORCE INDEX (IX_comments_BoardId_Id)
                 WHERE c.BoardId = {b}{(cut.CommentCut is { } cc ? $" AND c.Id > {Param(cc)}" : "")} AND {Matches("c.Body")}
                 ORDER BY c.Id DESC LIMIT {limit})
                """);
        }
        // Ranked here, and only the page's texts read: carried through the union, their VARCHAR(10000)s would make its
        // temporary table too wide for memory. Only parameter names and fixed text are put together; values are parameters.
        var score = string.Join(" + ", words.Select((_, i) => SearchRank.Bm25($"u.F{i}", "u.Len", "AVG(u.Len) OVER (PARTITION BY u.Kind)")));
        var sql = $"""
            SELECT r.Kind, r.TaskId, t.BoardId, t.Title, COALESCE(c.Body, t.Description) AS Text, t.ArchivedAt, r.Score AS Rank, r.Found
            FROM (SELECT u.Kind, u.Id, u.TaskId, {score} AS Score, COUNT(*) OVER () AS Found
                  FROM ({string.Join("\nUNION ALL\n", parts)}) u
                  ORDER BY Score DESC, u.Id DESC LIMIT {Param(take)}) r
            JOIN tasks t ON t.Id = r.TaskId
            LEFT JOIN comments c ON r.Kind = 'comment' AND c.Id = r.Id
            ORDER BY r.Score DESC, r.Id DESC
            """;
        var hits = await db.Database.SqlQueryRaw<Hit>(sql, parameters.ToArray<object>()).ToListAsync(ct);

        var whole = cuts.All(c => c.TaskCut is null && c.CommentCut is null);
        if ((hits.Count == 0 ? 0 : hits[0].Found) < take && !whole) return null;
        return hits.Select(h => new SearchApi.Row(h.Kind, h.TaskId, h.BoardId, h.Title, h.Text, h.ArchivedAt, h.Rank)).ToList();
    }
}

/// <summary>
/// Relevance of candidates ranked without a full-text index (MariaDB's recent rows): BM25 (k1 1.2, b 0.75) with a
/// title counting 10 times its words, as SQLite's <c>bm25(tasks_fts, 10.0, 1.0)</c> weighs it. Every candidate holds
/// every word, so IDF would only weigh the words against each other: they weigh the same. A length is compared with
/// the average of the candidates of its kind; words are counted by spaces, occurrences as substrings (the match itself
/// is exact: word starts).
/// </summary>
internal static class SearchRank
{
    public const int TitleWeight = 10;
    private const double K1 = 1.2, B = 0.75;

    /// <summary>One word's BM25 term, as SQL over the expressions for its frequency, the length and the average length.</summary>
    public static string Bm25(string tf, string length, string average) =>
        FormattableString.Invariant($"({tf} * {K1 + 1} / ({tf} + {K1} * ({1 - B} + {B} * {length} / {average})))");
}
