using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>Realtime:TransportSendTimeoutSeconds reaches the hub endpoint's connection options: SignalR's 10 s by default,
/// never (infinite) at 0.</summary>
public sealed class TransportSendTimeoutTests
{
    private static HttpConnectionDispatcherOptions HubOptions(SqliteApplication app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/hubs/board") == true) // the hub and its negotiate endpoint share them
            .Select(e => e.Metadata.GetMetadata<HttpConnectionDispatcherOptions>()).FirstOrDefault(o => o is not null)
            ?? throw new InvalidOperationException("The hub's endpoints carry no connection options.");

    [Fact]
    public async Task UnsetSendsTimeOutAfterTenSeconds()
    {
        await using var app = new SqliteApplication();
        Assert.Equal(TimeSpan.FromSeconds(10), HubOptions(app).TransportSendTimeout);
    }

    [Theory]
    [InlineData("0", -1)]
    [InlineData("3", 3_000)]
    public async Task SetTheHubsSendTimeoutIsIt(string seconds, int milliseconds)
    {
        await using var app = new SqliteApplication();
        app.Settings["Realtime:TransportSendTimeoutSeconds"] = seconds;
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), HubOptions(app).TransportSendTimeout);
    }
}
