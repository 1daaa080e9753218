using System.Buffers;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace TaskHub.Server.Infrastructure;

/// <summary>Settings under <c>Transport</c>: Kestrel's socket transport (what every hub send goes through).</summary>
public sealed class TransportOptions
{
    public const string Section = "Transport";

    /// <summary>
    /// Kestrel's <see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/>: a connection's I/O continuations (the
    /// request pipeline up to its first real await, and every send's flush into the socket) run on the socket's I/O
    /// thread instead of being queued to the thread pool.
    /// </summary>
    public bool InlineScheduling { get; set; }

    /// <summary>Kestrel's <see cref="SocketTransportOptions.IOQueueCount"/>: the queues its sockets' send and receive
    /// completions run through (the application's code runs on the thread pool either way). Null: <see cref="DefaultIOQueueCount"/>.</summary>
    [Range(0, 64)]
    public int? IOQueueCount { get; set; }

    /// <summary>
    /// One I/O queue on up to 2 cores, Kestrel's own (min(cores, 16)) above. With one queue a replica's socket completions
    /// run one after another on one thread-pool thread at a time (likely why: two queues' threads otherwise compete with
    /// the application's on 2 cores; not profiled): 0.85–0.87× the CPU per delivery at 5,000 clients, in both positions
    /// of a same-run A/B on 3 replicas, with as many events per send (0: the thread pool without queues, no gain).
    /// Measured on 2 cores only, so larger machines keep Kestrel's default (bench/README.md, "Twenty-third round").
    /// </summary>
    public static int? DefaultIOQueueCount(int cores) => cores <= 2 ? 1 : null;

    /// <summary>
    /// The listen backlog: how many connections the kernel holds for Kestrel before it accepts them (Kestrel's default
    /// is 512; Linux caps it at <c>net.core.somaxconn</c>, 4096 by default since Linux 5.4). When a replica stops, its
    /// clients all reconnect to the others within a second or two; a full queue drops their SYNs, and each dropped one
    /// is retried by the client's kernel only after 1 s, then 3 s (bench/README.md, "Sixteenth round").
    /// </summary>
    [Range(1, 65535)]
    public int ListenBacklog { get; set; } = 4096;
}

public static class TransportExtensions
{
    /// <summary>Applies <see cref="TransportOptions"/> to Kestrel's socket transport.</summary>
    public static IHostApplicationBuilder AddTaskHubTransport(this IHostApplicationBuilder builder)
    {
        var transport = builder.AddTaskHubOptions<TransportOptions>(TransportOptions.Section);
        builder.Services.Configure<SocketTransportOptions>(socket =>
        {
            socket.UnsafePreferInlineScheduling = transport.InlineScheduling;
            if ((transport.IOQueueCount ?? TransportOptions.DefaultIOQueueCount(Environment.ProcessorCount)) is { } queues) socket.IOQueueCount = queues;
            socket.Backlog = transport.ListenBacklog;
        });
        builder.Services.AddHostedService<SendBufferPool.Report>();
        return builder;
    }
}

/// <summary>
/// Every hub send writes its message into the connection's SignalR pipe, whose 4 KB segments come from the runtime's
/// shared <see cref="ArrayPool{T}"/>. A board event goes to all of a board's viewers at once, so thousands of segments
/// are out at the same moment, and the pool keeps only 32 arrays of a size per core by default: the others were new
/// arrays, garbage a moment later. With room for 4,096 per core the segments come back to the pool and are used again
/// (bench/README.md, "Eighteenth round", has the measurements). The setting is per array size: the pool keeps, of each
/// size that is rented, at most what was out at once (for the send segments ~4 KB per viewer of the largest burst;
/// at most 4,096 arrays per size and core), and trims what goes unused on memory pressure.
/// </summary>
public static class SendBufferPool
{
    /// <summary>The runtime reads this variable once, when the pool is first used; a value set outside wins.</summary>
    public const string Variable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";
    public const int ArraysPerCore = 4096;

    /// <summary>Sets <see cref="Variable"/> for this process unless its environment already does. Call it first in
    /// Main: once anything has rented from the pool, the runtime has read its setting.</summary>
    public static void Configure() => Configure(Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable);

    /// <summary><see cref="Configure()"/> on a given environment (tests use their own, not the process's).</summary>
    public static void Configure(Func<string, string?> get, Action<string, string> set)
    {
        if (string.IsNullOrEmpty(get(Variable))) set(Variable, ArraysPerCore.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The arrays of a size the pool keeps per core, as the runtime read it (null where that cannot be read).</summary>
    public static int? InEffect() =>
        typeof(ArrayPool<byte>).Assembly.GetType("System.Buffers.SharedArrayPoolStatics")
            ?.GetField("s_maxArraysPerPartition", BindingFlags.NonPublic | BindingFlags.Static)?.GetValue(null) as int?;

    /// <summary>What the start-up log says: the value in effect, and a warning when it is not what the variable asks
    /// for (the pool was used before <see cref="Configure()"/>, or the runtime ignored the value).</summary>
    public static (LogLevel Level, string Message) Describe(string? variable, int? inEffect)
    {
        if (inEffect is not { } n) return (LogLevel.Warning, $"Send buffers: the shared ArrayPool's setting could not be read ({Variable}={variable})");
        if (!int.TryParse(variable, NumberStyles.None, CultureInfo.InvariantCulture, out var wanted) || wanted != n)
            return (LogLevel.Warning, $"Send buffers: the shared ArrayPool keeps {n} arrays per size per core, not what {Variable}={variable} asks for");
        return (LogLevel.Information, $"Send buffers: the shared ArrayPool keeps {n} arrays per size per core");
    }

    /// <summary>Logs <see cref="Describe"/> at start.</summary>
    internal sealed class Report(ILogger<Report> log) : IHostedService
    {
        public Task StartAsync(CancellationToken ct)
        {
            var (level, message) = Describe(Environment.GetEnvironmentVariable(Variable), InEffect());
#pragma warning disable CA2254 // the message is built from two numbers and a constant, no user input
            log.Log(level, message);
#pragma warning restore CA2254
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
