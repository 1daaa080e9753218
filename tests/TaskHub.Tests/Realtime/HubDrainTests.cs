using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Features.Realtime;

namespace TaskHub.Tests.Realtime;

/// <summary>A replica that is stopping answers new hub connections with 503 (the load balancer tries another one).</summary>
public sealed class HubDrainTests
{
    [Fact]
    public async Task AStoppingReplicaRefusesNewHubConnectionsWhileItStillServes()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        var release = new TaskCompletionSource();
        builder.Services.AddHostedService(_ => new HeldStop(release.Task)); // stops before the server: keeps it serving while stopping
        await using var app = builder.Build();
        app.MapGet("/hubs/board", () => "connected").RefuseWhileStopping();
        await app.StartAsync();
        var client = app.GetTestClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/hubs/board")).StatusCode);

        var stopping = app.StopAsync();
        Assert.True(app.Lifetime.ApplicationStopping.IsCancellationRequested);
        var refused = await client.GetAsync("/hubs/board");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        release.SetResult();
        await stopping;
    }
}

/// <summary>A hosted service whose stop waits for <paramref name="release"/>. Hosted services stop before the server, so
/// the app keeps serving while it is stopping.</summary>
internal sealed class HeldStop(Task release) : IHostedService
{
    public Task StartAsync(CancellationToken ct) => Task.CompletedTask;
    public Task StopAsync(CancellationToken ct) => release;
}
