using System.Net;
using System.Text;
using System.Text.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// Random and malformed payloads, ids, headers and query strings at every operation in the OpenAPI document
/// (seeded, bounded): never a 500, and a refused request (4xx) changes nothing on the board.
/// </summary>
public sealed class FuzzTests(SqliteApplication app, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SqliteApplication>
{
    private const int CasesPerOperation = 24;

    private static readonly string[] Scalars =
    [
        "null", "true", "0", "-1", "1e309", "123456789012345678901234567890", "\"\"", "\"   \"", "\"x\"",
        "\"in_progress\"", "\"URGENT\"", "\"2026-02-30T25:61:00Z\"", "\"00000000-0000-0000-0000-000000000000\"",
        "\"\\u0000\"", "\"\\ud800\"", "\"💥🚀\"", "[]", "{}", "[1,2,3]", "{\"a\":{\"b\":{\"c\":[]}}}",
        $"\"{new string('x', 12_000)}\"",
    ];

    private static readonly string[] Fields =
    [
        "title", "description", "status", "priority", "dueAt", "assigneeId", "supervisorId", "name", "email", "role",
        "password", "displayName", "timeZone", "currentPassword", "newPassword", "refreshToken", "emailOnChange",
        "digest", "reminderLeadHours", "version", "__proto__", "",
    ];

    private static readonly string[] Ids = ["not-a-guid", "00000000-0000-0000-0000-000000000000", "..%2F..%2Fetc", "%2500", new string('9', 300), Guid.NewGuid().ToString()];

    private static string RandomBody(Random rng) => rng.Next(10) switch
    {
        0 => "{\"title\": ",                                   // truncated
        1 => "not json at all",
        2 => new string('[', 2_000) + new string(']', 2_000), // deep nesting
        3 => Scalars[rng.Next(Scalars.Length)],               // not an object
        4 => "{\"title\":\"a\",\"title\":\"b\"}",             // duplicate keys
        _ => "{" + string.Join(",", Enumerable.Range(0, rng.Next(1, 5))
            .Select(_ => $"{JsonSerializer.Serialize(Fields[rng.Next(Fields.Length)])}:{Scalars[rng.Next(Scalars.Length)]}")) + "}",
    };

    private static string RandomQuery(Random rng) => rng.Next(4) switch
    {
        0 => "",
        1 => "?status=" + Uri.EscapeDataString(Scalars[rng.Next(Scalars.Length)].Trim('"')),
        2 => $"?after={rng.Next(-5, 5)}&limit={rng.Next(-5, 10_000)}&period=yearly&date=2026-13-40&dueBefore=tomorrow",
        _ => "?assigneeId=" + Ids[rng.Next(Ids.Length)] + "&priority=low,banana&status=",
    };

    [Fact]
    public async Task NoInputMakesAnyOperationFailWithA500OrChangeTheBoardWhenRefused()
    {
        var rng = new Random(20261123);
        var owner = await app.SignUpAsync("owner");
        var board = await owner.CreateBoardAsync("Fuzz");
        var task = (await owner.CreateTaskAsync(board, new { title = "fuzzed" })).GetProperty("id").GetGuid();
        var doc = await app.CreateClient().GetJson("/openapi/v1.json");
        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => (Method: m.Name.ToUpperInvariant(), Path: p.Name)))
            .Where(o => o.Path.StartsWith("/api/", StringComparison.Ordinal) && o.Path != "/api/me")
            .ToList();
        Assert.NotEmpty(operations);

        async Task<(long Seq, int Version)> StateAsync()
        {
            var seq = await owner.LastSeqAsync(board);
            var version = (await owner.Client.GetJson($"/api/tasks/{task}")).GetProperty("version").GetInt32();
            return (seq, version);
        }

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var sent = 0;
        foreach (var (method, path) in operations)
        {
            for (var i = 0; i < CasesPerOperation; i++)
            {
                // Mostly our own ids (to get past routing into validation), sometimes garbage ones.
                var useGarbage = rng.Next(4) == 0;
                var url = path
                    .Replace("{boardId}", useGarbage ? Ids[rng.Next(Ids.Length)] : board.ToString())
                    .Replace("{taskId}", useGarbage ? Ids[rng.Next(Ids.Length)] : task.ToString())
                    .Replace("{userId}", useGarbage ? Ids[rng.Next(Ids.Length)] : owner.Id.ToString()) + RandomQuery(rng);
                var request = new HttpRequestMessage(new HttpMethod(method), url);
                if (method is not "GET")
                {
                    request.Content = new StringContent(RandomBody(rng), Encoding.UTF8, rng.Next(6) == 0 ? "text/plain" : "application/json");
                }
                if (rng.Next(5) == 0) request.Headers.TryAddWithoutValidation("If-Match", rng.Next(2) == 0 ? "\"garbage" : "W/\"999\", *");
                var before = await StateAsync();
                var response = await owner.Client.SendAsync(request);
                sent++;
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status >= 500)
                    failures.Add($"{method} {url} → {status}: {await response.Content.ReadAsStringAsync()}");
                else if (status >= 400 && await StateAsync() != before)
                    failures.Add($"{method} {url} → {status} but the board changed");
                if (status is >= 200 and < 300 && method is "DELETE" or "PATCH" or "POST" or "PUT")
                {
                    // An accepted random write may have deleted the board or task: make sure both still exist.
                    if ((await owner.Client.GetAsync($"/api/boards/{board}")).StatusCode != HttpStatusCode.OK)
                        board = await owner.CreateBoardAsync("Fuzz again");
                    if ((await owner.Client.GetAsync($"/api/tasks/{task}")).StatusCode != HttpStatusCode.OK)
                        task = (await owner.CreateTaskAsync(board, new { title = "fuzzed again" })).GetProperty("id").GetGuid();
                }
            }
        }
        output.WriteLine($"{sent} requests over {operations.Count} operations; statuses: {string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}"))}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests misbehaved:\n" + string.Join("\n", failures.Take(20)));
    }
}
