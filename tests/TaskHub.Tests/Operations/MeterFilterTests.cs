using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

/// <summary>
/// /metrics leaves out Kestrel's memory pool meter (a measurement per block rented: every send to every hub connection)
/// and keeps every other .NET meter; Metrics:ExcludedMeters replaces the list.
/// </summary>
public sealed class MeterFilterTests : IClassFixture<SqliteApplication>
{
    private readonly SqliteApplication _app;
    public MeterFilterTests(SqliteApplication app) => _app = app;

    [Fact]
    public async Task KestrelsMemoryPoolMeterIsNotOnMetricsWhileOtherMetersAre()
    {
        var anon = _app.CreateClient();
        await anon.GetAsync("/healthz"); // the app is built: its meter filter is in place before the first scrape
        using var pool = new Meter("Microsoft.AspNetCore.MemoryPool");
        using var other = new Meter("TaskHub.Tests.MeterProbe");
        var rented = pool.CreateCounter<long>("aspnetcore.memory_pool.rented");
        var probe = other.CreateCounter<long>("taskhub.tests.meter_probe");
        await anon.GetAsync("/metrics"); // prometheus-net starts listening to meters at its first scrape
        rented.Add(1);
        probe.Add(1);
        var text = await (await anon.GetAsync("/metrics")).Content.ReadAsStringAsync();
        Assert.Contains("taskhub_tests_meter_probe", text);
        Assert.DoesNotContain("memory_pool", text);
    }

    [Fact]
    public void TheSettingReplacesTheListAndAnEmptyEntryExcludesNothing()
    {
        static string[] Excluded(Dictionary<string, string?> settings) =>
            MeterFilter.Excluded(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        Assert.Equal(["Microsoft.AspNetCore.MemoryPool"], Excluded([]));
        Assert.Equal(["Some.Meter"], Excluded(new() { ["Metrics:ExcludedMeters:0"] = "Some.Meter" }));
        using var pool = new Meter("Microsoft.AspNetCore.MemoryPool");
        var rented = pool.CreateCounter<long>("aspnetcore.memory_pool.rented");
        Assert.False(MeterFilter.Includes(rented, Excluded([])));
        Assert.True(MeterFilter.Includes(rented, Excluded(new() { ["Metrics:ExcludedMeters:0"] = "" })));
    }
}
