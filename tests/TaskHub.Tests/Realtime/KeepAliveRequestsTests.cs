using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// A stopping replica closes its listeners only once the keep-alive connections its earlier responses left open have
/// left the load balancer's pool (<see cref="KeepAliveRequests"/>): a request that began before it started stopping
/// answers without <c>Connection: close</c>, and closing the listeners would close that connection under the balancer.
/// </summary>
public sealed class KeepAliveRequestsTests
{
    private static readonly TimeSpan UpstreamIdle = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task TheWaitEndsOnlyOnceTheLastRequestFromBeforeTheStopHasEndedAndItsConnectionHadTheBalancersIdleTime()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<KeepAliveRequests>();
        var release = new TaskCompletionSource();
        builder.Services.AddHostedService(_ => new HeldStop(release.Task)); // keeps the server serving while stopping
        await using var app = builder.Build();
        app.UseConnectionCloseWhileStopping();
        var slow = new TaskCompletionSource();
        var pollRelease = new TaskCompletionSource();
        app.MapGet("/slow", async () => { await slow.Task; return "slow"; });
        app.MapGet("/fast", () => "fast");
        app.MapGet("/hubs/board", async () => { await pollRelease.Task; return "poll"; }); // (long polling's poll: ?id=)
        await app.StartAsync();
        var keepAlive = app.Services.GetRequiredService<KeepAliveRequests>();
        var client = app.GetTestClient();

        var poll = client.GetAsync("/hubs/board?id=abc");
        var early = client.GetAsync("/slow");
        Assert.True(await LiveBoard.EventuallyAsync(() => keepAlive.InFlight == 1), "the request from before the stop is counted (the poll is not)");
        var stopping = app.StopAsync();
        var retired = keepAlive.WaitUntilRetiredAsync(UpstreamIdle, CancellationToken.None);

        var late = await client.GetAsync("/fast");
        Assert.True(late.Headers.ConnectionClose, "a request that began while stopping closes its connection");
        Assert.Equal(1, keepAlive.InFlight); // (and is not waited for)
        Assert.False(retired.IsCompleted, "the wait ended while a request from before the stop was in flight");

        slow.SetResult();
        var earlyResponse = await early;
        Assert.Equal(HttpStatusCode.OK, earlyResponse.StatusCode);
        Assert.NotEqual(true, earlyResponse.Headers.ConnectionClose); // its connection stays open in the balancer's pool…
        Assert.Equal(0, keepAlive.InFlight);
        clock.Advance(UpstreamIdle - TimeSpan.FromMilliseconds(1));
        await Task.Yield();
        Assert.False(retired.IsCompleted, "the wait ended before the balancer's idle timeout after the last such response");
        clock.Advance(TimeSpan.FromMilliseconds(1)); // …until the balancer retires it
        // (The wait may have read the clock before these advances and set its timer after them, for a full idle time
        // from then: on a real clock that only waits a little longer. Only then is the clock moved on, by that once.)
        if (await Task.WhenAny(retired, Task.Delay(1000)) != retired) clock.Advance(UpstreamIdle);
        await retired.WaitAsync(TimeSpan.FromSeconds(10));

        pollRelease.SetResult();
        await poll;
        release.SetResult();
        await stopping;
    }

    [Fact]
    public async Task WithNoRequestFromBeforeTheStopTheWaitEndsAtOnce()
    {
        var keepAlive = new KeepAliveRequests(new FakeTimeProvider());
        await keepAlive.WaitUntilRetiredAsync(UpstreamIdle, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
    }
}
