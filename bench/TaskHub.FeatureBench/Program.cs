// TaskHub feature benchmarks: search latency (SQLite FTS5 and MariaDB FULLTEXT, 100,000 tasks), attachment
// upload/download throughput and server memory (disk and S3), webhook delivery rate and latency.
// Run through bench/features.sh (it publishes the server and builds this); method and knobs: bench/README.md.
namespace TaskHub.FeatureBench;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 1 || args[0] is not ("search" or "files" or "webhooks")) { Console.Error.WriteLine("usage: TaskHub.FeatureBench search|files|webhooks"); return 2; }
        if (!File.Exists(Path.Combine(Knobs.App, "TaskHub.Server.dll"))) { Console.Error.WriteLine("BENCH_APP must be the published server directory"); return 2; }
        Console.WriteLine($"TaskHub {args[0]} bench {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Trim()}");
        var server = new Server();
        try
        {
            switch (args[0])
            {
                case "search": await SearchBench.RunAsync(server); break;
                case "files": await FilesBench.RunAsync(server); break;
                case "webhooks": await WebhookBench.RunAsync(server); break;
            }
        }
        finally
        {
            await server.StopAsync();
        }
        Console.WriteLine($"load at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }
}
