using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

/// <summary>
/// Transport:InlineScheduling and Transport:IOQueueCount reach the options Kestrel's socket transport is built from
/// (its SocketTransportFactory reads IOptions&lt;SocketTransportOptions&gt;); unset, Kestrel's own defaults stay.
/// Transport:ListenBacklog (4096 unless set) is the listen queue the kernel keeps for a replica's listener.
/// </summary>
public sealed class TransportSettingsTests
{
    [Fact]
    public async Task UnsetTheSocketTransportKeepsKestrelsDefaults()
    {
        await using var app = new SqliteApplication();
        var socket = app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
        Assert.False(socket.UnsafePreferInlineScheduling);
        Assert.Equal(new SocketTransportOptions().IOQueueCount, socket.IOQueueCount);
    }

    [Fact]
    public async Task SetTheSocketTransportIsConfiguredFromThem()
    {
        await using var app = new SqliteApplication();
        app.Settings["Transport:InlineScheduling"] = "true";
        app.Settings["Transport:IOQueueCount"] = "1";
        var socket = app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
        Assert.True(socket.UnsafePreferInlineScheduling);
        Assert.Equal(1, socket.IOQueueCount);
    }

    /// <summary>
    /// A reconnect storm sends a stopping replica's clients to the others within a second or two. The listener Kestrel
    /// builds from the app's transport options must queue more of them than Kestrel's default 512 before it accepts any,
    /// or the kernel drops the rest and each waits a second for its retry. Here nothing is accepted while 1,000 clients
    /// connect on loopback: each connect completes only if the queue has room for it.
    /// </summary>
    [Fact]
    public async Task AReplicasListenerQueuesAThousandConnectsBeforeAcceptingAny()
    {
        await using var app = new SqliteApplication();
        Assert.Equal(4096, app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
        var factory = app.Services.GetRequiredService<IConnectionListenerFactory>();
        await using var listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)listener.EndPoint).Port;
        var clients = Enumerable.Range(0, 1000).Select(_ => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)).ToList();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var connects = clients.Select(async c =>
            {
                try
                {
                    await c.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
                    return true;
                }
                catch (OperationCanceledException) { return false; }
            });
            var connected = (await Task.WhenAll(connects)).Count(ok => ok);
            Assert.Equal(1000, connected);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task TheListenBacklogIsSetFromTransportListenBacklog()
    {
        await using var app = new SqliteApplication();
        app.Settings["Transport:ListenBacklog"] = "100";
        Assert.Equal(100, app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
    }
}
