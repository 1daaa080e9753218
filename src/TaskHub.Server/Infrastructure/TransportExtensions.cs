using System.ComponentModel.DataAnnotations;
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

    /// <summary>Kestrel's <see cref="SocketTransportOptions.IOQueueCount"/> (null: Kestrel's own, min(cores, 16)).</summary>
    [Range(0, 64)]
    public int? IOQueueCount { get; set; }

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
            if (transport.IOQueueCount is { } queues) socket.IOQueueCount = queues;
            socket.Backlog = transport.ListenBacklog;
        });
        return builder;
    }
}
