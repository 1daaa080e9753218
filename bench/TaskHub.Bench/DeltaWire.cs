// Delta events for the bench's clients (BENCH_EVENTS): `full` (the documented shape), `delta` (the hub's ?events=delta:
// a task's change carries only the changed fields) or a list such as full,delta (each configuration once per shape, in
// this process: the same servers, the same window). With BENCH_EVENTS set, every configuration's writes are title
// PATCHes of a pool of tasks (TaskUpdated, the event a delta slims) instead of creations (TaskCreated keeps the whole task
// in both shapes); the bare SignalR server keeps its creations.
using System.Net.Http.Json;

namespace TaskHub.Bench;

public static class DeltaWire
{
    public const string Suffix = " · delta";

    private static readonly string[] Shapes = (Environment.GetEnvironmentVariable("BENCH_EVENTS") ?? "")
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Writes are updates of pooled tasks (BENCH_EVENTS is set), not creations.</summary>
    public static bool Updates => Shapes.Length > 0;

    /// <summary>The clients of the configuration that is running now ask for delta events.</summary>
    public static bool On { get; private set; }

    private static Guid[] _pool = [];

    /// <summary>Each configuration once per shape: every full one first, then every delta one (configs[0] / configs[1] stay the cluster and the baseline).</summary>
    public static List<ServerConfig> Expand(List<ServerConfig> configs)
    {
        foreach (var s in Shapes)
            if (s is not ("full" or "delta")) throw new ArgumentException($"BENCH_EVENTS: unknown shape {s}");
        if (Shapes.Length == 0) return configs;
        return Shapes.SelectMany(s => configs.Select(c => s == "delta" ? c with { Name = c.Name + Suffix } : c)).ToList();
    }

    public static void Use(ServerConfig config)
    {
        On = config.Name.Contains(Suffix, StringComparison.Ordinal);
        if (Updates) Console.WriteLine($"writes: title PATCHes of {_pool.Length} tasks; events: {(On ? "delta (?events=delta)" : "full shape")}");
    }

    /// <summary>The hub URL's extra query for the current shape.</summary>
    public static string Query(bool first) => On ? (first ? "?events=delta" : "&events=delta") : "";

    /// <summary>The tasks the writes update, created once on the fan-out board before any client joins.</summary>
    public static async Task CreatePoolAsync(string url, Setup setup, int count = 50)
    {
        if (!Updates) return;
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{setup.Board}/tasks") { Content = JsonContent.Create(new { title = $"pool {i}" }) };
            req.Headers.Authorization = new("Bearer", setup.WriterToken);
            using var r = await http.SendAsync(req);
            r.EnsureSuccessStatusCode();
            ids.Add((await r.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid());
        }
        _pool = [.. ids];
    }

    /// <summary>Write number <paramref name="w"/>: a creation, or (BENCH_EVENTS) a rename of a pooled task; the title carries the stamp.</summary>
    public static HttpRequestMessage Write(string url, Setup setup, int w, long stamp, bool bare) =>
        Updates && !bare
            ? new HttpRequestMessage(HttpMethod.Patch, $"{url}/api/tasks/{_pool[w % _pool.Length]}") { Content = JsonContent.Create(new { title = $"b|{stamp}" }) }
            : new HttpRequestMessage(HttpMethod.Post, $"{url}/api/boards/{setup.Board}/tasks") { Content = JsonContent.Create(new { title = $"b|{stamp}" }) };
}
