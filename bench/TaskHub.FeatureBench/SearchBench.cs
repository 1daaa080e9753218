using System.Data.Common;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using MySqlConnector;

namespace TaskHub.FeatureBench;

/// <summary>
/// GET /api/search latency on a seeded corpus: users, boards and one template task and comment through the API;
/// then BENCH_SEARCH_TASKS tasks and BENCH_SEARCH_COMMENTS comments inserted with SQL into the schema the server
/// migrated, while the server runs (SQLite: the FTS5 triggers it created at start fire on every insert, in the
/// seeding transaction; MariaDB: InnoDB FULLTEXT indexes are maintained by the engine). Each row copies every
/// column of the template row and replaces ids, text, position and times.
/// </summary>
public static class SearchBench
{
    sealed record Shape(string Name, string Query);

    static readonly Shape[] Shapes =
    [
        new("rare word", "quokka"),
        new("common word", "deploy"),
        new("two words", "customer invoice"),
        new("prefix", "migr"),
    ];

    sealed class Result
    {
        public required string Provider;
        public double SeedSeconds, StartupSeconds;
        public Dictionary<string, List<double>> Ms = [];
        public Dictionary<string, int> Hits = [], Matching = [];
        public int Leaks, Errors;
    }

    public static async Task RunAsync(Server server)
    {
        var tasks = Knobs.I("BENCH_SEARCH_TASKS", 100_000);
        var comments = Knobs.I("BENCH_SEARCH_COMMENTS", 30_000);
        var boards = Knobs.I("BENCH_SEARCH_BOARDS", 20);
        var providers = Knobs.S("BENCH_SEARCH_PROVIDERS", "sqlite,mysql").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Console.WriteLine($"{tasks:N0} tasks and {comments:N0} comments on {boards} boards the searcher belongs to (+ {tasks / 20:N0} tasks on 2 boards he does not); providers: {string.Join(", ", providers)}");
        Console.WriteLine($"shapes: {string.Join("; ", Shapes.Select(s => $"{s.Name} \"{s.Query}\""))}; rounds ≤ {Knobs.I("BENCH_SEARCH_ROUNDS", 300)} (each shape once per round, one request at a time) within {Knobs.I("BENCH_SEARCH_SECONDS", 150)} s");
        // BENCH_SEARCH_BASELINE_APP: another published server (bench/features.sh publishes BENCH_SEARCH_BASELINE=<git ref>
        // there) on the next port and the same database; each round asks both, in turn, which goes first alternating.
        var baselineApp = Knobs.S("BENCH_SEARCH_BASELINE_APP", "");
        var baseline = baselineApp.Length > 0 ? new Server(baselineApp, Knobs.Port + 1, "feature-server-baseline") : null;
        if (baseline is not null) Console.WriteLine($"baseline: {Knobs.S("BENCH_SEARCH_BASELINE", baselineApp)} on {baseline.Url}, same database, asked in the same rounds");
        var results = new List<Result>();
        var pairs = new List<(Result New, Result Old)>();
        foreach (var p in providers)
        {
            try
            {
                var (r, rb) = await OneAsync(server, baseline, p, tasks, comments, boards);
                results.Add(r);
                if (rb is not null) { results.Add(rb); pairs.Add((r, rb)); }
            }
            finally { await server.StopAsync(); if (baseline is not null) await baseline.StopAsync(); }
        }

        Console.WriteLine();
        Console.WriteLine("| provider | query | q | rows matching (tasks + comments) | hits returned | samples | p50 ms | p90 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            foreach (var s in Shapes)
            {
                var ms = r.Ms[s.Name];
                Console.WriteLine($"| {r.Provider} | {s.Name} | `{s.Query}` | {r.Matching.GetValueOrDefault(s.Name):N0} | {r.Hits[s.Name]} | {ms.Count} | {Stats.Pct(ms, 0.5):0.0} | {Stats.Pct(ms, 0.9):0.0} | {Stats.Pct(ms, 0.99):0.0} | {ms.Max():0.0} |");
            }
        if (pairs.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("| provider | query | this build ÷ baseline p50 | p99 |");
            Console.WriteLine("|---|---|---:|---:|");
            foreach (var (n, o) in pairs)
                foreach (var s in Shapes)
                    Console.WriteLine($"| {n.Provider} | {s.Name} | {Stats.Pct(n.Ms[s.Name], 0.5) / Stats.Pct(o.Ms[s.Name], 0.5):0.00} | {Stats.Pct(n.Ms[s.Name], 0.99) / Stats.Pct(o.Ms[s.Name], 0.99):0.00} |");
        }
        if (results.Count == 2 && pairs.Count == 0)
        {
            Console.WriteLine();
            Console.WriteLine($"| query | {results[1].Provider} ÷ {results[0].Provider} p50 | p99 |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var s in Shapes)
                Console.WriteLine($"| {s.Name} | {Stats.Pct(results[1].Ms[s.Name], 0.5) / Stats.Pct(results[0].Ms[s.Name], 0.5):0.00} | {Stats.Pct(results[1].Ms[s.Name], 0.99) / Stats.Pct(results[0].Ms[s.Name], 0.99):0.00} |");
        }
        Console.WriteLine();
        foreach (var r in results)
            Console.WriteLine($"note [{r.Provider}]: seeded in {r.SeedSeconds:0.0} s; server ready {r.StartupSeconds:0.0} s after start; hits from boards the searcher does not belong to: {r.Leaks}; failed requests: {r.Errors}");
        Console.WriteLine("rows matching: tasks whose title/description + comments whose body match, counted with the provider's own full-text syntax (what the search has to rank before LIMIT 20); target p99 ≤ 50 ms.");
    }

    // ---- the corpus -------------------------------------------------------------------------------------------

    /// <summary>Real words at chosen Zipf ranks (rank 1 = most frequent) among 5,000 made-up ones.</summary>
    static readonly (string Word, int Rank)[] Placed =
    [
        ("deploy", 8), ("customer", 15), ("migration", 20), ("invoice", 25), ("release", 30), ("deployment", 40), ("report", 50),
        ("server", 60), ("payment", 70), ("migrate", 120), ("review", 150), ("deployed", 200), ("dashboard", 250), ("migrated", 300),
        ("backup", 400), ("security", 500), ("budget", 700), ("onboarding", 1000),
    ];

    sealed class Corpus
    {
        readonly string[] _vocab;
        readonly double[] _cdf;
        readonly Random _rnd = new(42);
        static readonly string[] Syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe", "da", "gu", "ri", "zo", "fe", "ba", "no", "xi", "ta", "le", "mu", "po", "si", "ke", "dra", "tor", "lin", "mar", "vel", "qua", "ster"];

        public Corpus()
        {
            const int n = 5000;
            _vocab = new string[n];
            var used = new HashSet<string>();
            foreach (var (w, r) in Placed) { _vocab[r - 1] = w; used.Add(w); }
            var rnd = new Random(7);
            for (var i = 0; i < n; i++)
            {
                if (_vocab[i] is not null) continue;
                string w;
                do w = string.Concat(Enumerable.Range(0, rnd.Next(2, 4)).Select(_ => Syllables[rnd.Next(Syllables.Length)]));
                while (!used.Add(w) || w.StartsWith("migr") || w.StartsWith("depl") || w.StartsWith("quokka"));
                _vocab[i] = w;
            }
            _cdf = new double[n];
            double sum = 0;
            for (var i = 0; i < n; i++) { sum += 1.0 / (i + 1); _cdf[i] = sum; }
            for (var i = 0; i < n; i++) _cdf[i] /= sum;
        }

        public string Word()
        {
            var i = Array.BinarySearch(_cdf, _rnd.NextDouble());
            return _vocab[i < 0 ? ~i : i];
        }

        public string Text(int min, int max, bool rare = false)
        {
            var n = _rnd.Next(min, max + 1);
            var sb = new StringBuilder();
            var at = rare ? _rnd.Next(n) : -1;
            for (var i = 0; i < n; i++)
            {
                if (i > 0) sb.Append(i % 9 == 0 ? ". " : " ");
                sb.Append(i == at ? "quokka" : Word());
            }
            return sb.ToString();
        }

        public int Next(int n) => _rnd.Next(n);
    }

    static string Position(int i)
    {
        const string d = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var s = new char[4];
        for (var k = 3; k >= 0; k--) { s[k] = d[i % 62]; i /= 62; }
        return "a" + new string(s) + "V";
    }

    // ---- one provider -----------------------------------------------------------------------------------------

    static async Task<(Result New, Result? Old)> OneAsync(Server server, Server? baseline, string provider, int taskCount, int commentCount, int boardCount)
    {
        Console.WriteLine($"--- {provider}");
        var r = new Result { Provider = provider == "sqlite" ? "SQLite (FTS5)" : "MariaDB (FULLTEXT)" };
        var rb = baseline is null ? null : new Result { Provider = r.Provider + ", baseline" };
        var env = Server.BaseEnv();
        string dbName = Knobs.S("BENCH_SEARCH_DB", "taskhub_searchbench");
        var sqlitePath = Path.Combine(Knobs.Out, "search-bench.db");
        if (provider == "sqlite")
        {
            foreach (var f in new[] { sqlitePath, sqlitePath + "-wal", sqlitePath + "-shm" }) File.Delete(f);
            env["ConnectionStrings__Sqlite"] = $"Data Source={sqlitePath}";
        }
        else
        {
            await using (var admin = new MySqlConnection(Knobs.MySqlAdmin))
            {
                await admin.OpenAsync();
                await new MySqlCommand($"DROP DATABASE IF EXISTS `{dbName}`; CREATE DATABASE `{dbName}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", admin).ExecuteNonQueryAsync();
            }
            env["ConnectionStrings__MySql"] = Knobs.MySql(dbName) + ";Maximum Pool Size=100";
            await Server.MigrateAsync(env);
        }
        await server.StartAsync(env);
        r.StartupSeconds = server.StartupSeconds;
        using var http = Api.Client(server.Url);
        var api = new Api(http);

        // People and boards through the API: alice owns the boards, bob (the searcher) is a member of them; carol's
        // two boards (bob not a member) hold tasks with the same words, so a leak would show.
        var (alice, _) = await api.UserAsync("alice");
        var (bob, _) = await api.UserAsync("bob");
        var (carol, _) = await api.UserAsync("carol");
        var bobBoards = new List<Guid>();
        for (var b = 0; b < boardCount; b++) bobBoards.Add(await api.BoardAsync(alice, $"search-{b}", "bob"));
        var carolBoards = new List<Guid> { await api.BoardAsync(carol, "carol-0"), await api.BoardAsync(carol, "carol-1") };
        var templateTask = await api.TaskAsync(alice, bobBoards[0], "bench template task", "bench template description");
        await api.SendAsync(HttpMethod.Post, $"/api/tasks/{templateTask}/comments", alice, new { body = "bench template comment" });

        var sw = Stopwatch.StartNew();
        await using (DbConnection conn = provider == "sqlite"
            ? new SqliteConnection($"Data Source={sqlitePath};Default Timeout=60;Pooling=False")
            : new MySqlConnection(Knobs.MySql(dbName) + ";AllowUserVariables=true"))
        {
            await conn.OpenAsync();
            await SeedAsync(conn, provider == "sqlite", bobBoards, carolBoards, taskCount, commentCount);
            r.Matching = await CountMatchesAsync(conn, provider == "sqlite");
        }
        r.SeedSeconds = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"seeded in {r.SeedSeconds:0.0} s; matching rows: {string.Join(", ", r.Matching.Select(kv => $"{kv.Key} {kv.Value:N0}"))}");

        using var httpB = baseline is null ? null : Api.Client(baseline.Url);
        if (baseline is not null)
        {
            await baseline.StartAsync(env);
            rb!.StartupSeconds = baseline.StartupSeconds;
            rb.SeedSeconds = r.SeedSeconds;
            rb.Matching = r.Matching;
        }
        var targets = new List<(HttpClient Http, Result R)> { (http, r) };
        if (httpB is not null) targets.Add((httpB, rb!));

        // Warm-up, then rounds: every shape once per round, in turn, one request at a time (with a baseline: both
        // servers, which one first alternating by round).
        var allowed = bobBoards.ToHashSet();
        foreach (var (_, x) in targets)
            foreach (var s in Shapes) { x.Ms[s.Name] = []; x.Hits[s.Name] = 0; }
        for (var w = 0; w < 5; w++)
            foreach (var s in Shapes)
                foreach (var (h, _) in targets) await SearchAsync(h, bob, s.Query);
        var rounds = Knobs.I("BENCH_SEARCH_ROUNDS", 300);
        var deadline = Stopwatch.StartNew();
        var cap = TimeSpan.FromSeconds(Knobs.I("BENCH_SEARCH_SECONDS", 150));
        for (var round = 0; round < rounds && deadline.Elapsed < cap; round++)
            foreach (var s in Shapes)
                foreach (var (h, x) in round % 2 == 0 ? targets : Enumerable.Reverse(targets))
                {
                    var (ms, hits, ok) = await SearchAsync(h, bob, s.Query);
                    if (!ok) { x.Errors++; continue; }
                    x.Ms[s.Name].Add(ms);
                    x.Hits[s.Name] = hits.Count;
                    x.Leaks += hits.Count(b => !allowed.Contains(b));
                }
        Console.WriteLine($"{r.Ms[Shapes[0].Name].Count} rounds in {deadline.Elapsed.TotalSeconds:0} s");
        return (r, rb);
    }

    static async Task<(double Ms, List<Guid> Boards, bool Ok)> SearchAsync(HttpClient http, string token, string q)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/search?q={Uri.EscapeDataString(q)}");
        req.Headers.Authorization = new("Bearer", token);
        var t0 = Stopwatch.GetTimestamp();
        using var resp = await http.SendAsync(req);
        var body = await resp.Content.ReadAsByteArrayAsync();
        var ms = Stats.Ms(t0, Stopwatch.GetTimestamp());
        if (!resp.IsSuccessStatusCode) return (ms, [], false);
        var boards = JsonDocument.Parse(body).RootElement.EnumerateArray().Select(h => h.GetProperty("boardId").GetGuid()).ToList();
        return (ms, boards, true);
    }

    static async Task<Dictionary<string, int>> CountMatchesAsync(DbConnection conn, bool sqlite)
    {
        var d = new Dictionary<string, int>();
        foreach (var s in Shapes)
        {
            var terms = s.Query.Split(' ');
            await using var cmd = conn.CreateCommand();
            if (sqlite)
            {
                var m = string.Join(" ", terms.Select(t => $"\"{t}\"*"));
                cmd.CommandText = $"SELECT (SELECT COUNT(*) FROM tasks_fts WHERE tasks_fts MATCH '{m}') + (SELECT COUNT(*) FROM comments_fts WHERE comments_fts MATCH '{m}')";
            }
            else
            {
                var m = string.Join(" ", terms.Select(t => $"+{t}*"));
                cmd.CommandText = $"SELECT (SELECT COUNT(*) FROM tasks WHERE MATCH(Title, Description) AGAINST ('{m}' IN BOOLEAN MODE)) + (SELECT COUNT(*) FROM comments WHERE MATCH(Body) AGAINST ('{m}' IN BOOLEAN MODE))";
            }
            cmd.CommandTimeout = 300;
            d[s.Name] = Convert.ToInt32(await cmd.ExecuteScalarAsync());
        }
        return d;
    }

    // ---- seeding ----------------------------------------------------------------------------------------------

    /// <summary>Every column of one row, in order.</summary>
    static async Task<List<(string Column, object Value)>> TemplateAsync(DbConnection conn, string sql)
    {
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        await using var rd = await cmd.ExecuteReaderAsync();
        if (!await rd.ReadAsync()) throw new Exception($"no template row: {sql}");
        var row = new List<(string, object)>();
        for (var i = 0; i < rd.FieldCount; i++) row.Add((rd.GetName(i), rd.GetValue(i)));
        return row;
    }

    /// <summary>A value in the representation the template's column uses (SQLite: TEXT Guids and dates as EF Core writes them).</summary>
    static object Like(object template, object value) => (template, value) switch
    {
        (string t, Guid g) => t.Length > 0 && char.IsUpper(t.First(char.IsLetter)) ? g.ToString().ToUpperInvariant() : g.ToString(),
        (string, DateTime dt) => dt.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };

    static async Task SeedAsync(DbConnection conn, bool sqlite, List<Guid> boards, List<Guid> foreign, int taskCount, int commentCount)
    {
        var taskTpl = await TemplateAsync(conn, "SELECT * FROM tasks WHERE Title = 'bench template task'");
        var commentTpl = await TemplateAsync(conn, "SELECT * FROM comments WHERE Body = 'bench template comment'");
        var corpus = new Corpus();
        var now = DateTime.UtcNow;
        var foreignCount = taskCount / 20;
        var taskIds = new Guid[taskCount];
        var taskBoards = new Guid[taskCount];
        var commentsOf = new int[taskCount];
        var commentTask = new int[commentCount];
        for (var c = 0; c < commentCount; c++) { commentTask[c] = corpus.Next(taskCount); commentsOf[commentTask[c]]++; }
        var rareTasks = new HashSet<int>(Enumerable.Range(0, 25).Select(_ => corpus.Next(taskCount)));
        var rareComments = new HashSet<int>(Enumerable.Range(0, 10).Select(_ => corpus.Next(Math.Max(1, commentCount))));

        IEnumerable<Dictionary<string, object>> TaskRows()
        {
            for (var i = 0; i < taskCount + foreignCount; i++)
            {
                var mine = i < taskCount;
                var id = Guid.CreateVersion7();
                var board = mine ? boards[i % boards.Count] : foreign[i % foreign.Count];
                if (mine) { taskIds[i] = id; taskBoards[i] = board; }
                var at = now.AddSeconds(-(taskCount - i));
                yield return new()
                {
                    ["Id"] = id, ["BoardId"] = board, ["Title"] = corpus.Text(3, 8),
                    ["Description"] = corpus.Text(15, 60, rare: mine ? rareTasks.Contains(i) : i % 500 == 0),
                    ["Position"] = Position(i), ["CreatedAt"] = at, ["UpdatedAt"] = at, ["CommentCount"] = mine ? commentsOf[i] : 0,
                };
            }
        }
        IEnumerable<Dictionary<string, object>> CommentRows()
        {
            for (var c = 0; c < commentCount; c++)
            {
                var t = commentTask[c];
                yield return new()
                {
                    ["Id"] = Guid.CreateVersion7(), ["TaskId"] = taskIds[t], ["BoardId"] = taskBoards[t], ["Body"] = corpus.Text(8, 40, rareComments.Contains(c)),
                    ["CreatedAt"] = now.AddSeconds(-(commentCount - c)),
                };
            }
        }
        await InsertAsync(conn, sqlite, "tasks", taskTpl, TaskRows());
        await InsertAsync(conn, sqlite, "comments", commentTpl, CommentRows());
    }

    static async Task InsertAsync(DbConnection conn, bool sqlite, string table, List<(string Column, object Value)> tpl, IEnumerable<Dictionary<string, object>> rows)
    {
        var cols = tpl.Select(c => c.Column).ToList();
        var batch = sqlite ? 1 : 500;
        var n = 0;
        var sw = Stopwatch.StartNew();
        await using var tx = await conn.BeginTransactionAsync();
        DbCommand? cmd = null;
        var pending = new List<Dictionary<string, object>>(batch);

        async Task Flush()
        {
            if (pending.Count == 0) return;
            if (cmd is null || pending.Count != batch)
            {
                if (cmd is not null) await cmd.DisposeAsync();
                cmd = conn.CreateCommand();
                cmd.Transaction = tx;
                var values = string.Join(", ", Enumerable.Range(0, pending.Count).Select(r => "(" + string.Join(", ", cols.Select((_, c) => $"@p{r}_{c}")) + ")"));
                cmd.CommandText = $"INSERT INTO {table} ({string.Join(", ", cols)}) VALUES {values}";
                for (var r = 0; r < pending.Count; r++)
                    for (var c = 0; c < cols.Count; c++)
                    {
                        var p = cmd.CreateParameter();
                        p.ParameterName = $"@p{r}_{c}";
                        cmd.Parameters.Add(p);
                    }
                if (sqlite) cmd.Prepare();
            }
            for (var r = 0; r < pending.Count; r++)
                for (var c = 0; c < cols.Count; c++)
                {
                    var (col, tv) = tpl[c];
                    cmd.Parameters[r * cols.Count + c].Value = pending[r].TryGetValue(col, out var v) ? Like(tv, v) : tv;
                }
            await cmd.ExecuteNonQueryAsync();
            n += pending.Count;
            pending.Clear();
        }

        foreach (var row in rows)
        {
            pending.Add(row);
            if (pending.Count == batch) await Flush();
        }
        await Flush();
        await tx.CommitAsync();
        if (cmd is not null) await cmd.DisposeAsync();
        Console.WriteLine($"inserted {n:N0} {table} in {sw.Elapsed.TotalSeconds:0.0} s");
    }
}
