using System.Globalization;
using System.Net;
using System.Text;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

/// <summary>
/// The HTTP series the dashboard and alert rules read (deploy/README.md): per request, under its status code, method and
/// route pattern. The series are the process's (other test classes add to them in parallel), so the assertions are
/// about what these requests add, and a code no other test can add to a route.
/// </summary>
public sealed class HttpMetricsTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    private const string Tasks = "endpoint=\"/api/boards/{boardId:guid}/tasks\"";

    [Fact]
    public async Task ARequestCountsUnderTheCodeItsClientGotWithItsMethodAndRoute()
    {
        var owner = await app.SignUpAsync();
        var boardId = await owner.CreateBoardAsync("Metrics");
        var before = await ScrapeAsync();

        await owner.CreateTaskAsync(boardId, new { title = "Counted" });
        for (var i = 0; i < 3; i++)
        {
            // A malformed body: the endpoint throws and the exception handler answers 400.
            var malformed = await owner.Client.PostAsync($"/api/boards/{boardId}/tasks", new StringContent("{\"title\":", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }
        var after = await ScrapeAsync();

        double Added(string series) => after.GetValueOrDefault(series) - before.GetValueOrDefault(series);
        foreach (var name in new[] { "http_requests_received_total", "http_request_duration_seconds_count" })
        {
            Assert.True(Added($"{name}{{code=\"201\",method=\"POST\",{Tasks}}}") >= 1, $"{name}: the creation is not counted as 201");
            Assert.True(Added($"{name}{{code=\"400\",method=\"POST\",{Tasks}}}") >= 3, $"{name}: the malformed bodies are not counted as 400");
            // A creation never answers 200: the malformed ones used to count as the 200 the response held when the exception passed.
            Assert.Equal(0, Added($"{name}{{code=\"200\",method=\"POST\",{Tasks}}}"));
        }
        Assert.True(after.ContainsKey($"http_request_duration_seconds_bucket{{code=\"201\",method=\"POST\",{Tasks},le=\"0.001\"}}"));
        Assert.True(after.ContainsKey($"http_requests_in_progress{{method=\"POST\",{Tasks}}}"));
        Assert.DoesNotContain(after.Keys, k => k.Contains("endpoint=\"/metrics\"", StringComparison.Ordinal));
    }

    /// <summary>
    /// .NET meters that record per request (ASP.NET Core's hosting, routing, authentication, authorization) would cost
    /// every request a series lookup and duplicate the series above; the observable ones, read at scrape, stay (the
    /// storm bench reads EF Core's query counter).
    /// </summary>
    [Fact]
    public async Task OnlyObservableDotNetMetersAreExported()
    {
        var owner = await app.SignUpAsync();
        await owner.CreateBoardAsync("Meters");
        await ScrapeAsync(); // prometheus-net starts listening to meters at the first scrape
        await owner.CreateBoardAsync("Meters again");
        var names = (await ScrapeAsync()).Keys.Select(k => k.Split('{')[0]).ToHashSet(StringComparer.Ordinal);
        // What prometheus-net's Meter adapter names them (meter_instrument); the hosting event source's counters
        // (microsoft_aspnetcore_hosting_total_requests, …: an Interlocked increment each) are another adapter's.
        foreach (var perRequest in new[]
                 {
                     "microsoft_aspnetcore_hosting_http_server_request_duration", "microsoft_aspnetcore_hosting_http_server_active_requests",
                     "microsoft_aspnetcore_routing_aspnetcore_routing_match_attempts", "microsoft_aspnetcore_authentication_aspnetcore_authentication_authenticate_duration",
                     "microsoft_aspnetcore_authorization_aspnetcore_authorization_attempts", "microsoft_aspnetcore_memorypool_aspnetcore_memory_pool_rented",
                 })
            Assert.DoesNotContain(names, n => n.StartsWith(perRequest, StringComparison.Ordinal));
        Assert.Contains("microsoft_entityframeworkcore_microsoft_entityframeworkcore_queries", names);
        Assert.Contains(names, n => n.StartsWith("system_runtime_", StringComparison.Ordinal));
    }

    /// <summary>
    /// The event-counter adapter gets the event sources' counters (ASP.NET Core hosting's here) without their per-request
    /// events: enabled at Informational, as prometheus-net does by default, every request wrote its start and stop events
    /// to it. (The hosting event source is the process's; no other listener in the tests enables it.)
    /// </summary>
    [Fact]
    public async Task TheEventCounterAdapterGetsTheCountersButNotEachRequestsEvents()
    {
        var owner = await app.SignUpAsync();
        await owner.CreateBoardAsync("Counters");
        await ScrapeAsync(); // (the adapters start listening at the first scrape)
        var hosting = System.Diagnostics.Tracing.EventSource.GetSources().Single(s => s.Name == "Microsoft.AspNetCore.Hosting");
        Assert.True(hosting.IsEnabled(), "the adapter does not listen to the hosting event source");
        Assert.False(hosting.IsEnabled(System.Diagnostics.Tracing.EventLevel.Informational, System.Diagnostics.Tracing.EventKeywords.None),
            "the hosting event source writes each request's start and stop events to a listener");
        // Its counters still arrive (the adapter's first reading comes one update interval, 10 s, after it started).
        Assert.True(await LiveBoard.EventuallyAsync(async () => (await ScrapeAsync()).Keys.Any(k => k.StartsWith("microsoft_aspnetcore_hosting_total_requests", StringComparison.Ordinal)),
            30), "the hosting event source's counters are not exported");
    }

    private async Task<Dictionary<string, double>> ScrapeAsync()
    {
        var text = await app.CreateClient().GetStringAsync("/metrics");
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) series[line[..space]] = value;
        }
        return series;
    }
}
