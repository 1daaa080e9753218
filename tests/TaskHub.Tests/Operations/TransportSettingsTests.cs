using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

/// <summary>
/// Transport:InlineScheduling and Transport:IOQueueCount reach the options Kestrel's socket transport is built from
/// (its SocketTransportFactory reads IOptions&lt;SocketTransportOptions&gt;); unset, Kestrel's own defaults stay, but for
/// one I/O queue on up to 2 cores.
/// Transport:ListenBacklog (4096 unless set, in place of Kestrel's 512) is the listen queue the kernel keeps for a
/// replica's listener.
/// </summary>
public sealed class TransportSettingsTests
{
    [Fact]
    public async Task UnsetTheSocketTransportKeepsKestrelsDefaultsButTheListenBacklogAndOneQueueOnTwoCores()
    {
        await using var app = new SqliteApplication();
        var socket = app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
        Assert.False(socket.UnsafePreferInlineScheduling);
        Assert.Equal(Environment.ProcessorCount <= 2 ? 1 : new SocketTransportOptions().IOQueueCount, socket.IOQueueCount);
        Assert.Equal(4096, socket.Backlog);
        // (both sides of the rule, whatever this machine has)
        Assert.Equal(1, TransportOptions.DefaultIOQueueCount(1));
        Assert.Equal(1, TransportOptions.DefaultIOQueueCount(2));
        Assert.Null(TransportOptions.DefaultIOQueueCount(4));
    }

    [Fact]
    public async Task SetTheSocketTransportIsConfiguredFromThem()
    {
        await using var app = new SqliteApplication();
        app.Settings["Transport:InlineScheduling"] = "true";
        app.Settings["Transport:IOQueueCount"] = "3";
        app.Settings["Transport:ListenBacklog"] = "100";
        var socket = app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value;
        Assert.True(socket.UnsafePreferInlineScheduling);
        Assert.Equal(3, socket.IOQueueCount);
        Assert.Equal(100, socket.Backlog);
    }

    /// <summary>
    /// The send buffers' pool size (SendBufferPool): Program sets the runtime's variable unless the environment already
    /// sets it (checked here on an environment of the test's own, not the process's), the start-up log warns when the
    /// value in effect is not what the variable asks for, and the runtime's value stays readable (a runtime that renamed
    /// its field would make the log warn, which the last assertion catches). That the published app really runs with it
    /// is checked in PublishedAppTests, in a process of its own.
    /// </summary>
    [Fact]
    public void TheSendBufferPoolSettingIsSetUnlessTheEnvironmentSetsItAndTheLogSaysWhatIsInEffect()
    {
        var env = new Dictionary<string, string> { [SendBufferPool.Variable] = "77" };
        SendBufferPool.Configure(k => env.GetValueOrDefault(k), (k, v) => env[k] = v);
        Assert.Equal("77", env[SendBufferPool.Variable]);
        env.Clear();
        SendBufferPool.Configure(k => env.GetValueOrDefault(k), (k, v) => env[k] = v);
        Assert.Equal(SendBufferPool.ArraysPerCore.ToString(), env[SendBufferPool.Variable]);

        Assert.Equal(LogLevel.Information, SendBufferPool.Describe("4096", 4096).Level);
        Assert.Contains("keeps 4096 arrays", SendBufferPool.Describe("4096", 4096).Message);
        Assert.Equal(LogLevel.Warning, SendBufferPool.Describe("4096", 32).Level); // the pool was used before it was set
        Assert.Equal(LogLevel.Warning, SendBufferPool.Describe("abc", 32).Level);  // a value the runtime ignores
        Assert.Equal(LogLevel.Warning, SendBufferPool.Describe(null, 32).Level);   // not set at all
        Assert.Equal(LogLevel.Warning, SendBufferPool.Describe("4096", null).Level);
        Assert.True(SendBufferPool.InEffect() is > 0, "the runtime's ArrayPool setting could not be read");
    }

    /// <summary>
    /// A reconnect storm sends a stopping replica's clients to the others within a second or two. The listener Kestrel
    /// builds from the app's transport options must queue more of them than Kestrel's default 512 before it accepts any,
    /// or the kernel drops their SYNs and each waits a second for its retry. Here nothing is accepted while 1,000 clients
    /// connect on loopback, so a connect can complete only from the queue (Linux queues one more than the backlog: 513
    /// of 1,000 with Kestrel's default). The kernel caps the backlog at net.core.somaxconn (4096 by default since
    /// Linux 5.4, 128 before): on a host set lower the test expects what that cap allows, and there it cannot tell.
    /// </summary>
    [Fact]
    public async Task AReplicasListenerQueuesAThousandConnectsBeforeAcceptingAny()
    {
        const int Clients = 1000;
        await using var app = new SqliteApplication();
        var backlog = new TransportOptions().ListenBacklog; // the default this test asks the listener to honour, not what it was given
        var somaxconn = File.Exists("/proc/sys/net/core/somaxconn") ? int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim()) : int.MaxValue;
        var expected = Math.Min(Clients, Math.Min(backlog, somaxconn) + 1);
        var factory = app.Services.GetRequiredService<IConnectionListenerFactory>();
        await using var listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)listener.EndPoint).Port;
        var clients = new List<Socket>(Clients);
        try
        {
            for (var i = 0; i < Clients; i++) clients.Add(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
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
            Assert.Equal(expected, connected);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }
}
