using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Tasks;

/// <summary>A search hit: a task (title or description matched) or a comment on one; <c>snippet</c> is HTML with the
/// matched words in <c>&lt;mark&gt;</c> (everything else encoded).</summary>
public sealed record SearchHit(string Kind, Guid TaskId, Guid BoardId, string Title, string Snippet, bool Archived);

/// <summary>Settings under <c>Search</c>: how many recent matches are ranked.</summary>
public sealed class SearchOptions
{
    public const string Section = "Search";

    /// <summary>How many of the caller's newest matches, per kind (tasks, comments), are ranked.</summary>
    [Range(1, 100_000)] public int Candidates { get; set; } = SearchApi.Candidates;
    /// <summary>MariaDB: how many of the caller's newest tasks (and comments), shared out over their boards, are read
    /// before the full-text index is asked.</summary>
    [Range(1, 1_000_000)] public int RecentRows { get; set; } = 1000;
}

/// <summary>
/// Full-text search over the caller's boards: SQLite FTS5 (<c>tasks_fts</c>, <c>comments_fts</c>: external-content
/// indexes kept current by triggers, so in the same transaction as the change; see <see cref="SqliteSearchIndex"/>) when
/// embedded; InnoDB FULLTEXT indexes on MariaDB. A board the caller does not belong to never appears.
/// Ranking is recency-first, then relevance: the caller's newest <see cref="SearchOptions.Candidates"/> matches (per
/// kind) are ranked, so a word found in most tasks shows the best of the recent ones rather than scoring every match;
/// a query with fewer matches than that is ranked whole. SQLite: FTS5 walks the matches newest first (rowid
/// descending, joined to the caller's boards) and bm25 ranks those. MariaDB: InnoDB scores every match of a word, so
/// a common word cannot be cheap through the index; the newest rows of each of the caller's boards are read first
/// (<see cref="MySqlRecent"/>) and, when they hold a page of matches (or are the whole board), ranked by BM25 in the
/// query (<see cref="SearchRank"/>); else the index answers (few recent matches: most likely few at all, so cheap).
/// </summary>
public static partial class SearchApi
{
    public const int LimitMax = 50;
    /// <summary>The default of <see cref="SearchOptions.Candidates"/>.</summary>
    public const int Candidates = 400;
    /// <summary>MariaDB: beyond this many boards the recent rows are not read board by board; the index answers.</summary>
    public const int RecentMaxBoards = 100;

    public static IEndpointRouteBuilder MapSearch(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").WithTags("Search").RequireAuthorization().MapGet("/search", Search);
        return app;
    }

    internal sealed record Row(string Kind, Guid TaskId, Guid BoardId, string Title, string? Text, DateTime? ArchivedAt, double Rank);

    public static async Task<Results<Ok<List<SearchHit>>, ValidationProblem>> Search(
        CurrentUser me, TaskHubDbContext db, IOptions<SearchOptions> options, string? q, string? boardId, string? limit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var terms = Terms(q);
        errors.Check(terms.Count > 0, "q", "Type at least one word (letters or digits).");
        errors.Check(terms.Count <= 10, "q", "At most 10 words.");
        Guid? board = null;
        if (boardId is not null)
        {
            if (Guid.TryParse(boardId, out var b)) board = b;
            else errors.Add("boardId", "Must be a board id.");
        }
        var take = 20;
        errors.Check(limit is null || int.TryParse(limit, out take) && take is >= 1 and <= LimitMax, "limit", $"Must be a whole number from 1 to {LimitMax}.");
        if (errors.Any) return errors.ToProblem();

        var candidates = Math.Max(options.Value.Candidates, take); // never fewer than a page
        var rows = db.OnSqlite
            ? await SqliteAsync(db, me.Id, board, terms, take, candidates, ct)
            : await MySqlRecent.SearchAsync(db, me.Id, board, terms, take, candidates, options.Value.RecentRows, ct);
        if (rows is null)
        {
            // MariaDB, the recent rows held less than a page: the index's best candidates, then (too few of them the
            // caller's) every match. Few matches in the newest rows: most likely few at all, so the index is cheap.
            rows = await MySqlAsync(db, me.Id, board, terms, take, candidates, ct);
            if (rows.Count < take) rows = await MySqlAsync(db, me.Id, board, terms, take, int.MaxValue, ct);
        }
        return TypedResults.Ok(rows.Select(r => new SearchHit(r.Kind, r.TaskId, r.BoardId, r.Title,
            Snippet(r.Kind == "task" ? $"{r.Title} · {r.Text}" : r.Text ?? "", terms), r.ArchivedAt is not null)).ToList());
    }

    /// <summary>The words of a query: letters and digits only, so nothing the user types is query syntax.</summary>
    public static List<string> Terms(string? q) =>
        q is null ? [] : Word().Matches(q).Select(m => m.Value.ToLowerInvariant()).Where(w => w.Length <= 64).Distinct().ToList();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    internal static partial Regex Word();

    private static async Task<List<Row>?> SqliteAsync(TaskHubDbContext db, Guid userId, Guid? board, List<string> terms, int take, int candidates, CancellationToken ct)
    {
        // Every word must appear (prefixes match: "depl" finds "deploy"); quoted, so nothing typed is FTS syntax.
        // FTS5 hands out the matches newest first (rowid descending; CROSS JOIN keeps it the outer loop), the join
        // keeps the caller's and stops at the cap: bm25 runs only for those, never for every match of a common word.
        var match = string.Join(" ", terms.Select(t => $"\"{t}\"*"));
        return await db.Database.SqlQuery<Row>($"""
            SELECT x.Kind, x.TaskId, x.BoardId, x.Title, x.Text, x.ArchivedAt, x.Rank FROM (
              SELECT * FROM (
                SELECT 'task' AS Kind, t.Id AS TaskId, t.BoardId AS BoardId, t.Title AS Title, t.Description AS Text, t.ArchivedAt AS ArchivedAt,
                       bm25(tasks_fts, 10.0, 1.0) AS Rank
                FROM tasks_fts CROSS JOIN tasks t ON t.rowid = tasks_fts.rowid
                WHERE tasks_fts MATCH {match}
                  AND t.BoardId IN (SELECT m.BoardId FROM board_members m WHERE m.UserId = {userId})
                  AND ({board} IS NULL OR t.BoardId = {board})
                ORDER BY tasks_fts.rowid DESC LIMIT {candidates})
              UNION ALL
              SELECT * FROM (
                SELECT 'comment', t.Id, t.BoardId, t.Title, c.Body, t.ArchivedAt, bm25(comments_fts)
                FROM comments_fts CROSS JOIN comments c ON c.rowid = comments_fts.rowid JOIN tasks t ON t.Id = c.TaskId
                WHERE comments_fts MATCH {match}
                  AND c.BoardId IN (SELECT m.BoardId FROM board_members m WHERE m.UserId = {userId})
                  AND ({board} IS NULL OR c.BoardId = {board})
                ORDER BY comments_fts.rowid DESC LIMIT {candidates})
            ) x
            ORDER BY x.Rank
            LIMIT {take}
            """).ToListAsync(ct);
    }

    /// <summary>MariaDB through the FULLTEXT indexes: the index's best <paramref name="candidates"/> per table are
    /// scored (InnoDB computes relevance for every match first), then the caller's kept.</summary>
    private static async Task<List<Row>> MySqlAsync(TaskHubDbContext db, Guid userId, Guid? board, List<string> terms, int take, int candidates, CancellationToken ct)
    {
        // Boolean mode: every word required, prefixes match. Words shorter than InnoDB's token size can't be indexed,
        // so they only narrow the results through LIKE.
        var match = string.Join(" ", terms.Where(t => t.Length >= 3).Select(t => $"+{t}*"));
        var shortWords = terms.Where(t => t.Length < 3).Select(t => $"%{t}%").ToList();
        if (match.Length == 0) match = "+" + terms[0] + "*"; // all short: still a valid expression; finds nothing but exact tokens
        var like = shortWords.FirstOrDefault() ?? "%";
        return await db.Database.SqlQuery<Row>($"""
            SELECT x.Kind, x.TaskId, x.BoardId, x.Title, x.Text, x.ArchivedAt, x.Rank FROM (
              SELECT 'task' AS Kind, t.Id AS TaskId, t.BoardId AS BoardId, t.Title AS Title, t.Description AS Text, t.ArchivedAt AS ArchivedAt,
                     2 * MATCH(t.Title) AGAINST ({match} IN BOOLEAN MODE) + f.Rank AS Rank
              FROM (SELECT Id, MATCH(Title, Description) AGAINST ({match} IN BOOLEAN MODE) AS Rank FROM tasks
                    WHERE MATCH(Title, Description) AGAINST ({match} IN BOOLEAN MODE) ORDER BY Rank DESC LIMIT {candidates}) f
              JOIN tasks t ON t.Id = f.Id
              WHERE (t.Title LIKE {like} OR t.Description LIKE {like})
                AND t.BoardId IN (SELECT m.BoardId FROM board_members m WHERE m.UserId = {userId})
                AND ({board} IS NULL OR t.BoardId = {board})
              UNION ALL
              SELECT 'comment', t.Id, t.BoardId, t.Title, c.Body, t.ArchivedAt, f.Rank
              FROM (SELECT Id, MATCH(Body) AGAINST ({match} IN BOOLEAN MODE) AS Rank FROM comments
                    WHERE MATCH(Body) AGAINST ({match} IN BOOLEAN MODE) ORDER BY Rank DESC LIMIT {candidates}) f
              JOIN comments c ON c.Id = f.Id JOIN tasks t ON t.Id = c.TaskId
              WHERE c.Body LIKE {like}
                AND t.BoardId IN (SELECT m.BoardId FROM board_members m WHERE m.UserId = {userId})
                AND ({board} IS NULL OR t.BoardId = {board})
            ) x
            ORDER BY x.Rank DESC
            LIMIT {take}
            """).ToListAsync(ct);
    }

    /// <summary>Up to ~160 characters around the first matched word, HTML-encoded, matched words in &lt;mark&gt;.</summary>
    public static string Snippet(string text, IReadOnlyList<string> terms)
    {
        var plain = Regex.Replace(text, @"\s+", " ").Trim();
        var first = terms.Select(t => plain.IndexOf(t, StringComparison.OrdinalIgnoreCase)).Where(i => i >= 0).DefaultIfEmpty(0).Min();
        var start = Math.Max(0, first - 60);
        var end = Math.Min(plain.Length, start + 160);
        var window = plain[start..end];
        var pattern = new Regex(string.Join("|", terms.OrderByDescending(t => t.Length).Select(Regex.Escape)), RegexOptions.IgnoreCase);
        var html = new StringBuilder(start > 0 ? "…" : "");
        var last = 0;
        foreach (Match m in pattern.Matches(window))
        {
            html.Append(WebUtility.HtmlEncode(window[last..m.Index])).Append("<mark>").Append(WebUtility.HtmlEncode(m.Value)).Append("</mark>");
            last = m.Index + m.Length;
        }
        html.Append(WebUtility.HtmlEncode(window[last..]));
        if (end < plain.Length) html.Append('…');
        return html.ToString();
    }
}

/// <summary>
/// The embedded mode's full-text indexes, made sure of at every start (after migrations): FTS5 tables over
/// tasks and comments (external content, keyed by rowid) and the triggers that keep them current. A migration
/// that rebuilds one of those tables drops its triggers (and renumbers rows): then they are created again and
/// the index rebuilt from the tables.
/// </summary>
public sealed class SqliteSearchIndex(IServiceScopeFactory scopes) : IHostedService
{
    private static readonly string[] Statements =
    [
        "CREATE VIRTUAL TABLE IF NOT EXISTS tasks_fts USING fts5(Title, Description, content='tasks', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
        "CREATE VIRTUAL TABLE IF NOT EXISTS comments_fts USING fts5(Body, content='comments', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2')",
        "CREATE TRIGGER IF NOT EXISTS tasks_fts_ai AFTER INSERT ON tasks BEGIN INSERT INTO tasks_fts(rowid, Title, Description) VALUES (new.rowid, new.Title, new.Description); END",
        "CREATE TRIGGER IF NOT EXISTS tasks_fts_ad AFTER DELETE ON tasks BEGIN INSERT INTO tasks_fts(tasks_fts, rowid, Title, Description) VALUES ('delete', old.rowid, old.Title, old.Description); END",
        "CREATE TRIGGER IF NOT EXISTS tasks_fts_au AFTER UPDATE OF Title, Description ON tasks BEGIN INSERT INTO tasks_fts(tasks_fts, rowid, Title, Description) VALUES ('delete', old.rowid, old.Title, old.Description); INSERT INTO tasks_fts(rowid, Title, Description) VALUES (new.rowid, new.Title, new.Description); END",
        "CREATE TRIGGER IF NOT EXISTS comments_fts_ai AFTER INSERT ON comments BEGIN INSERT INTO comments_fts(rowid, Body) VALUES (new.rowid, new.Body); END",
        "CREATE TRIGGER IF NOT EXISTS comments_fts_ad AFTER DELETE ON comments BEGIN INSERT INTO comments_fts(comments_fts, rowid, Body) VALUES ('delete', old.rowid, old.Body); END",
        "CREATE TRIGGER IF NOT EXISTS comments_fts_au AFTER UPDATE OF Body ON comments BEGIN INSERT INTO comments_fts(comments_fts, rowid, Body) VALUES ('delete', old.rowid, old.Body); INSERT INTO comments_fts(rowid, Body) VALUES (new.rowid, new.Body); END",
    ];

    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        if (!db.OnSqlite) return;
        var triggers = await db.Database.SqlQuery<int>($"SELECT COUNT(*) AS Value FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_fts_%'").SingleAsync(ct);
        if (triggers == 6) return;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var sql in Statements) await db.Database.ExecuteSqlRawAsync(sql, ct);
        await db.Database.ExecuteSqlRawAsync("INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild')", ct);
        await db.Database.ExecuteSqlRawAsync("INSERT INTO comments_fts(comments_fts) VALUES ('rebuild')", ct);
        await tx.CommitAsync(ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
