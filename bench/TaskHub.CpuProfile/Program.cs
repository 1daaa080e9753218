using Microsoft.Diagnostics.Tracing.Etlx;

// Attributes the perf CPU samples of one process in a collect-linux trace (kernel and native frames included, so
// SQLite's engine and fsync count too): the share of samples per bucket (a feature's, the first in the order below any
// frame of the stack matches; else the layer of the frame nearest the leaf: Buckets.Of), then the top frames by
// inclusive share, or, with a focus, the frames below it.
//   dotnet run --project bench/TaskHub.CpuProfile -- <trace.nettrace> [pid|-1: the busiest dotnet process] [focus] [top] [without]
// without: count only the samples with none of its frames on the stack (a focus's own work: "FromSql" without "MySqlConnector")
// An async method's stack holds only its current continuation, so SQL run after an await is counted under the
// engine's bucket, not under the method that awaited it.
//   dotnet run --project bench/TaskHub.CpuProfile -- <trace.nettrace> jit [top]
// jit: the methods a process compiled during a trace taken with the runtime's JIT events (dotnet-trace collect -p <pid>
// --providers Microsoft-Windows-DotNETRuntime:0x10:5), by tier and by type, dynamic methods (emitted IL) apart.
//   dotnet run --project bench/TaskHub.CpuProfile -- <trace.nettrace> alloc [top] [pid]
// alloc: the bytes a process allocated during a trace taken with the runtime's allocation ticks (dotnet-trace collect
// -p <pid> --providers Microsoft-Windows-DotNETRuntime:0x1:5: one tick per ~100 KB, with its stack), by type and by the
// bucket above and the nearest frames of the allocating stack.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: TaskHub.CpuProfile <trace.nettrace> [pid|-1] [focus] [top] [without] | <trace.nettrace> jit [top] | <trace.nettrace> alloc [top] [pid]");
    return 2;
}
if (args.Length > 1 && args[1] == "alloc") return AllocList.Print(args[0], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 40,
    args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : -1);
if (args.Length > 1 && args[1] == "jit") return JitList.Print(args[0], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 40);
var pid = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : -1;
var focus = args.Length > 2 ? args[2] : "";
var top = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 40;
var without = args.Length > 4 ? args[4] : "";

using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
// (TraceEvent reuses one event object while enumerating: read what is needed inside each pass, keep none.)
IEnumerable<Microsoft.Diagnostics.Tracing.TraceEvent> Cpu() => log.Events.Where(e => e.EventName.Contains("cpu", StringComparison.Ordinal));
if (pid < 0)
{
    var samples = new Dictionary<int, int>();
    foreach (var e in Cpu())
        if (e.ProcessName.Contains("dotnet", StringComparison.Ordinal)) samples[e.ProcessID] = samples.GetValueOrDefault(e.ProcessID) + 1;
    pid = samples.MaxBy(kv => kv.Value).Key;
}

var inclusive = new Dictionary<string, int>();
var below = new Dictionary<string, int>();
var buckets = new Dictionary<string, int>();
// PROFILE_BUCKET=<the start of a bucket's name>: the frames that put samples in that bucket (a feature's outermost match,
// a layer's frame nearest the leaf).
var bucketFocus = Environment.GetEnvironmentVariable("PROFILE_BUCKET") ?? "";
var deciding = new Dictionary<string, int>();
int total = 0, focused = 0;
foreach (var ev in Cpu().Where(e => e.ProcessID == pid))
{
    if (ev.CallStack() is null) continue;
    total++;
    var frames = Buckets.Frames(ev); // leaf first
    var at = -1;
    if (focus.Length > 0)
    {
        at = frames.FindLastIndex(f => f.Contains(focus, StringComparison.Ordinal));
        if (at < 0) continue;
        if (without.Length > 0 && frames.Any(f => f.Contains(without, StringComparison.Ordinal))) continue;
        if (at > 0) below[frames[at - 1]] = below.GetValueOrDefault(frames[at - 1]) + 1;
    }
    focused++;
    foreach (var f in frames.Distinct()) inclusive[f] = inclusive.GetValueOrDefault(f) + 1;
    var bucket = Buckets.Of(frames, out var by);
    buckets[bucket] = buckets.GetValueOrDefault(bucket) + 1;
    if (bucketFocus.Length > 0 && by is not null && bucket.StartsWith(bucketFocus, StringComparison.Ordinal)) deciding[by] = deciding.GetValueOrDefault(by) + 1;
}

string Share(int n) => $"{100.0 * n / Math.Max(1, total),6:F2}%";
string Cut(string s) => s.Length > 160 ? s[..160] : s;
Console.WriteLine($"process {pid}: {total} CPU samples{(focus.Length > 0 ? $", {focused} with {focus} on the stack{(without.Length > 0 ? $" and not {without}" : "")}" : "")}");
Console.WriteLine("-- buckets (share of the process's samples)");
foreach (var name in Buckets.All.Select(b => b.Name).Append("other"))
    Console.WriteLine($"{Share(buckets.GetValueOrDefault(name))} {name}");
Console.WriteLine("-- top frames, inclusive");
foreach (var (frame, n) in inclusive.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value)))
    Console.WriteLine($"{Share(n)} {Cut(frame)}");
if (focus.Length > 0)
{
    Console.WriteLine($"-- called by {focus}");
    foreach (var (frame, n) in below.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value)))
        Console.WriteLine($"{Share(n)} {Cut(frame)}");
}
if (bucketFocus.Length > 0)
{
    Console.WriteLine($"-- the frames that put samples in {bucketFocus}");
    foreach (var (frame, n) in deciding.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value)))
        Console.WriteLine($"{Share(n)} {Cut(frame)}");
}
return 0;

internal static class Buckets
{
    /// <summary>The frames of an event's stack, leaf first (a frame with no method name: its module, "!?").</summary>
    public static List<string> Frames(Microsoft.Diagnostics.Tracing.TraceEvent ev)
    {
        var frames = new List<string>();
        for (var s = ev.CallStack(); s is not null; s = s.Caller)
            frames.Add(s.CodeAddress.FullMethodName is { Length: > 0 } m ? m : s.CodeAddress.ModuleName + "!?");
        return frames;
    }

    /// <summary>
    /// A sample's bucket. The features (<see cref="All"/> up to "Prometheus HTTP metrics") count what they call: the first
    /// of them, in that order, any frame matches. A sample in none of them goes to the layer (logging, JSON, Kestrel, ASP.NET
    /// Core, ...) of its frame nearest the leaf that one matches, or "other". (Until the forty-third round the layers took
    /// the first match in order too: Kestrel's <c>HttpProtocol.ProcessRequests</c> is on the stack of every synchronous
    /// stretch of a request's pipeline, so middleware and endpoint start-up counted as "Kestrel".)
    /// </summary>
    public static string Of(List<string> frames) => Of(frames, out _);

    /// <param name="by">The frame that decided it (a feature's outermost match, a layer's frame), or null for "other".</param>
    public static string Of(List<string> frames, out string? by)
    {
        foreach (var b in All.Take(FirstLayer))
            if (frames.FindLastIndex(f => Matches(f, b.Frames)) is var at and >= 0)
            {
                by = frames[at];
                return b.Name;
            }
        foreach (var f in frames) // leaf first
            if (All.Skip(FirstLayer).FirstOrDefault(b => Matches(f, b.Frames)).Name is { } layer)
            {
                by = f;
                return layer;
            }
        by = null;
        return "other";
    }

    private static bool Matches(string frame, string[] keys) =>
        !Outermost.Any(o => frame.Contains(o, StringComparison.Ordinal)) && keys.Any(k => frame.Contains(k, StringComparison.Ordinal));

    /// <summary>
    /// Frames of the outermost middleware, on the stack of every synchronous stretch of every request's pipeline: matched
    /// by no bucket. The hub drain's (<c>HubDrain.UseConnectionCloseWhileStopping</c> and its <c>Counted</c>, in Features.Realtime, first in the
    /// pipeline since the handover) put 5-6 % of a writes profile's middleware and endpoint start-up under "live push".
    /// </summary>
    private static readonly string[] Outermost = ["Features.Realtime.HubDrain"]; // (its middleware and, handing over, Counted)

    public static readonly (string Name, string[] Frames)[] All =
    [
        ("thread pool: idle workers spinning (sched_yield)", ["LowLevelLifoSemaphore"]),
        ("outbox dispatcher and its handlers", ["OutboxDispatcher", "IOutboxHandler", "TaskEmailHandler", "WebhookSender", "ChangeLog", "InboxEventHandler"]),
        ("session check (incl. its query)", ["ValidateSessionAsync"]),
        ("JWT validation", ["JsonWebTokenHandler", "Microsoft.IdentityModel", "AccessTokenCache"]),
        ("live push (SignalR)", ["SignalR", "Features.Realtime"]),
        ("SQLite engine (sqlite3_*, its I/O and fsync)", ["sqlite3", "libe_sqlite3"]),
        ("EF SaveChanges (managed)", ["SaveChanges"]),
        ("EF queries (managed: cache lookup, shaping, ADO.NET)", ["EntityFrameworkCore.Query", "RelationalCommand", "Microsoft.Data.Sqlite", "MySqlConnector"]),
        ("EF other (context set-up, tracking)", ["EntityFrameworkCore"]),
        ("Prometheus HTTP metrics", ["Prometheus"]),
        // (not RequestLoggingMiddleware: it is the outermost middleware, so every synchronous stretch of a request's pipeline
        // runs with it on the stack — the thirteenth round's first profiles counted 5-6% of middleware and endpoint start-up as
        // logging; its own line is written through Microsoft.Extensions.Logging, counted here)
        ("logging", ["Microsoft.Extensions.Logging"]),
        ("JSON", ["System.Text.Json"]),
        ("Kestrel, sockets, HTTP parsing", ["Kestrel", "System.Net.Sockets", "SocketAsyncEngine", "epoll", "tcp_", "sock_"]),
        ("ASP.NET Core routing, endpoints, other middleware", ["Microsoft.AspNetCore"]),
        ("TaskHub code (the rest)", ["TaskHub."]),
        ("JIT (tiering, still compiling)", ["libclrjit"]),
        ("kernel scheduling", ["finish_task_switch", "schedule"]),
        ("runtime native (GC, stubs; libcoreclr frames are not resolved)", ["libcoreclr"]),
    ];

    /// <summary>Where the layers begin in <see cref="All"/> (after it: static fields start in the order written).</summary>
    private static readonly int FirstLayer = Array.FindIndex(All, b => b.Name == "logging") is var i and >= 0 ? i
        : throw new InvalidOperationException("no \"logging\" bucket: where do the layers begin?");
}

internal static class JitList
{
    public static int Print(string path, int top)
    {
        using var source = new Microsoft.Diagnostics.Tracing.EventPipeEventSource(path);
        var tiers = new Dictionary<string, int>();
        var types = new Dictionary<string, int>();
        var dynamicOwners = new Dictionary<string, int>();
        int total = 0, dynamic = 0;
        source.Clr.MethodLoadVerbose += e =>
        {
            total++;
            var tier = e.OptimizationTier.ToString();
            tiers[tier] = tiers.GetValueOrDefault(tier) + 1;
            if ((e.MethodFlags & Microsoft.Diagnostics.Tracing.Parsers.Clr.MethodFlags.Dynamic) != 0)
            {
                dynamic++;
                var name = $"{e.MethodNamespace}::{e.MethodName}";
                dynamicOwners[name] = dynamicOwners.GetValueOrDefault(name) + 1;
                return;
            }
            var type = e.MethodNamespace;
            var generic = type.IndexOf('[', StringComparison.Ordinal);
            if (generic > 0) type = type[..generic];
            types[type] = types.GetValueOrDefault(type) + 1;
        };
        source.Process();
        var seconds = (source.SessionEndTime - source.SessionStartTime).TotalSeconds;
        Console.WriteLine($"{total} methods compiled in {seconds:0.0} s ({total / Math.Max(0.001, seconds):0} per s), {dynamic} of them dynamic (emitted IL)");
        Console.WriteLine("-- by tier");
        foreach (var (t, n) in tiers.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value))) Console.WriteLine($"{n,7} {t}");
        Console.WriteLine("-- by type (generic arguments cut)");
        foreach (var (t, n) in types.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value))) Console.WriteLine($"{n,7} {t}");
        Console.WriteLine("-- dynamic methods by name");
        foreach (var (t, n) in dynamicOwners.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value))) Console.WriteLine($"{n,7} {t}");
        return 0;
    }
}

internal static class AllocList
{
    /// <summary>How many frames name a site (ALLOC_DEPTH, 3).</summary>
    private static readonly int Depth = int.TryParse(Environment.GetEnvironmentVariable("ALLOC_DEPTH"), out var d) ? d : 3;
    private static readonly string[] Wrappers = ["HubDrain", "RequestLoggingMiddleware", "HttpMetricsMiddleware", "RequestBodyLimitMiddleware", "UnsupportedMediaTypeMiddleware", "SecurityExtensions", "IdempotencyKeys"];

    public static int Print(string path, int top, int pid)
    {
        using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(path));
        var types = new Dictionary<string, long>();
        var buckets = new Dictionary<string, long>();
        var sites = new Dictionary<string, long>();
        var owners = new Dictionary<string, long>();
        long total = 0;
        foreach (var ev in log.Events)
        {
            if (ev is not Microsoft.Diagnostics.Tracing.Parsers.Clr.GCAllocationTickTraceData tick) continue;
            if (pid >= 0 && ev.ProcessID != pid) continue;
            var bytes = tick.AllocationAmount64;
            total += bytes;
            types[tick.TypeName] = types.GetValueOrDefault(tick.TypeName) + bytes;
            var frames = Buckets.Frames(ev); // leaf first
            // (the middleware every request passes through are on every synchronous stack: not an owner)
            frames.RemoveAll(f => Wrappers.Any(w => f.Contains(w, StringComparison.Ordinal)));
            var bucket = Buckets.Of(frames);
            buckets[bucket] = buckets.GetValueOrDefault(bucket) + bytes;
            var own = frames.FirstOrDefault(f => f.StartsWith("TaskHub.", StringComparison.Ordinal)) ?? "(no TaskHub frame)";
            owners[own] = owners.GetValueOrDefault(own) + bytes;
            // the allocating site: the type and the first three frames outside System.Private.CoreLib's collections and the runtime
            var site = tick.TypeName + " <- " + string.Join(" <- ", frames.Where(f => !f.StartsWith("System.Collections", StringComparison.Ordinal)
                && !f.Contains("!?", StringComparison.Ordinal)).Take(Depth).Select(f => f.Length > 110 ? f[..110] : f));
            sites[site] = sites.GetValueOrDefault(site) + bytes;
        }
        string Share(long n) => $"{100.0 * n / Math.Max(1, total),6:F2}% {n / 1024.0 / 1024.0,9:F1} MB";
        Console.WriteLine($"{total / 1024.0 / 1024.0:F1} MB allocated (sampled, one tick per ~100 KB)");
        Console.WriteLine("-- buckets");
        foreach (var (b, n) in buckets.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value))) Console.WriteLine($"{Share(n)} {b}");
        Console.WriteLine("-- the nearest TaskHub frame of the allocating stack");
        foreach (var (t, n) in owners.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value))) Console.WriteLine($"{Share(n)} {(t.Length > 160 ? t[..160] : t)}");
        Console.WriteLine("-- types");
        foreach (var (t, n) in types.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value))) Console.WriteLine($"{Share(n)} {t}");
        Console.WriteLine("-- sites (type <- nearest frames)");
        foreach (var (t, n) in sites.OrderByDescending(kv => kv.Value).Take(top).Select(kv => (kv.Key, kv.Value))) Console.WriteLine($"{Share(n)} {t}");
        return 0;
    }
}
