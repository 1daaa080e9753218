using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

/// <summary>
/// Transport:InlineScheduling and Transport:IOQueueCount reach the options Kestrel's socket transport is built from
/// (its SocketTransportFactory reads IOptions&lt;SocketTransportOptions&gt;); unset, Kestrel's own defaults stay.
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
}
