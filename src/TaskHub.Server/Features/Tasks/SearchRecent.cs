using Microsoft.EntityFrameworkCore;
using MySqlConnector;
using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Tasks;

/// <summary>
/// MariaDB's recent-rows search. InnoDB FULLTEXT scores every document of a word before the first row comes back
/// (a word in 60% of 100,000 tasks costs 50–150 ms however small the <c>LIMIT</c>), so a common word cannot be cheap
/// through the index. Instead each of the caller's boards gives its newest rows (<see cref="SearchOptions.RecentRows"/>
/// shared out over the boards, along the <c>(BoardId, Id)</c> indexes: ids are UUIDv7, so newest first), and the
/// newest matches among them (<see cref="SearchOptions.Candidates"/> shared out likewise) are ranked by
/// <see cref="SearchRank"/>. A common word fills a page from the first rows it reads; a rare one reads the whole window
/// and finds less than a page, and then (unless the window was every row of the boards, which makes it the exact
/// answer) the index answers instead: <c>null</c>.
/// </summary>
internal static class MySqlRecent
{
    private sealed record Cut(Guid BoardId, Guid? TaskCut, Guid? CommentCut);

    private sealed record Hit(string Kind, Guid Id, Guid TaskId, Guid BoardId, string Title, string? Text, DateTime? ArchivedAt);

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
        var words = terms.Select(t => (Like: Param($"%{t}%"), Start: Param($"[[:<:]]{t}"))).ToList();
        string Matches(params string[] columns) => string.Join(" AND ", words.Select(w =>
            $"({string.Join(" OR ", columns.Select(c => $"{c} LIKE {w.Like}"))}) AND CONCAT_WS(' ', {string.Join(", ", columns)}) REGEXP {w.Start}"));
        var limit = Param(perBoard);
        var parts = new List<string>();
        foreach (var cut in cuts)
        {
            var b = Param(cut.BoardId);
            parts.Add($"""
                (SELECT 'task' AS Kind, t.Id AS Id, t.Id AS TaskId, t.Description AS Text FROM tasks t FORCE INDEX (IX_tasks_BoardId_Id)
                 WHERE t.BoardId = {b}{(cut.TaskCut is { } tc ? $" AND t.Id > {Param(tc)}" : "")} AND {Matches("t.Title", "t.Description")}
                 ORDER BY t.Id DESC LIMIT {limit})
                """);
            parts.Add($"""
                (SELECT 'comment', c.Id, c.TaskId, c.Body FROM comments c FORCE INDEX (IX_comments_BoardId_Id)
                 WHERE c.BoardId = {b}{(cut.CommentCut is { } cc ? $" AND c.Id > {Param(cc)}" : "")} AND {Matches("c.Body")}
                 ORDER BY c.Id DESC LIMIT {limit})
                """);
        }
        // Only parameter names and fixed text are put together here; every value is a parameter.
        var sql = $"""
            SELECT u.Kind, u.Id, u.TaskId, t.BoardId, t.Title, u.Text, t.ArchivedAt
            FROM ({string.Join("\nUNION ALL\n", parts)}) u JOIN tasks t ON t.Id = u.TaskId
            """;
        var hits = await db.Database.SqlQueryRaw<Hit>(sql, parameters.ToArray<object>()).ToListAsync(ct);

        var whole = cuts.All(c => c.TaskCut is null && c.CommentCut is null);
        if (hits.Count < take && !whole) return null;
        var tasks = SearchRank.Of(hits.Where(h => h.Kind == "task").Select(h => (h, (string?)h.Title, h.Text ?? "")), terms);
        var comments = SearchRank.Of(hits.Where(h => h.Kind == "comment").Select(h => (h, (string?)null, h.Text ?? "")), terms);
        return tasks.Concat(comments)
            .OrderByDescending(x => x.Score).ThenByDescending(x => x.Item.Id.ToString())
            .Take(take)
            .Select(x => new SearchApi.Row(x.Item.Kind, x.Item.TaskId, x.Item.BoardId, x.Item.Title, x.Item.Text, x.Item.ArchivedAt, x.Score))
            .ToList();
    }
}

/// <summary>
/// Relevance of candidates ranked outside a full-text index: BM25 (k1 1.2, b 0.75) with a title counting 10 times
/// its words, as SQLite's <c>bm25(tasks_fts, 10.0, 1.0)</c> weighs it; a word matches the words it starts (as the
/// indexes' prefix queries do). Every candidate holds every word, so IDF would only weigh the words against each
/// other: they weigh the same. Lengths are compared with the candidates' average length of their kind.
/// </summary>
internal static class SearchRank
{
    private const double K1 = 1.2, B = 0.75, TitleWeight = 10;

    public static List<(T Item, double Score)> Of<T>(IEnumerable<(T Item, string? Title, string Text)> candidates, IReadOnlyList<string> terms)
    {
        var docs = candidates.Select(c => (c.Item, Title: Count(c.Title, terms), Text: Count(c.Text, terms))).ToList();
        var lengths = docs.Select(d => TitleWeight * d.Title.Words + d.Text.Words).ToList();
        var average = Math.Max(1, lengths.DefaultIfEmpty(1).Average());
        return docs.Select((d, i) => (d.Item, terms.Select((_, t) =>
        {
            var tf = TitleWeight * d.Title.Hits[t] + d.Text.Hits[t];
            return tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[i] / average));
        }).Sum())).ToList();
    }

    /// <summary>The words of a text (runs of letters and digits, as <see cref="SearchApi.Terms"/> reads a query) and, per
    /// term, how many of them start with it (ignoring case).</summary>
    public static (int Words, int[] Hits) Count(string? text, IReadOnlyList<string> terms)
    {
        var hits = new int[terms.Count];
        var words = 0;
        if (text is null) return (0, hits);
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsLetterOrDigit(text[i]) || i > 0 && char.IsLetterOrDigit(text[i - 1])) continue;
            words++;
            for (var t = 0; t < terms.Count; t++)
                if (string.Compare(text, i, terms[t], 0, terms[t].Length, StringComparison.OrdinalIgnoreCase) == 0) hits[t]++;
        }
        return (words, hits);
    }
}
