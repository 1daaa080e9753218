using System.Net;
using System.Text.RegularExpressions;
using TaskHub.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TaskHub.Tests.Deployment;

/// <summary>
/// The Grafana dashboard and the Prometheus alert rules query only series that a running server exports,
/// so no panel is ever blank and no alert silently never fires.
/// </summary>
public sealed class MetricsCoverageTests(SqliteApplication app, ITestOutputHelper output) : IClassFixture<SqliteApplication>
{
    /// <summary>Series Prometheus itself writes for every scrape target (not exported by the app).</summary>
    private static readonly HashSet<string> ScrapeSeries = ["up", "scrape_duration_seconds", "scrape_samples_scraped"];

    /// <summary>The operator's series the dashboard must show (issue: HTTP rate/latency/errors, connections, pushes, backplane errors).</summary>
    private static readonly string[] RequiredOnDashboard =
    [
        "http_requests_received_total", "http_request_duration_seconds_bucket", "http_request_duration_seconds_count",
        "http_requests_in_progress", "taskhub_signalr_connections", "taskhub_events_pushed_total", "taskhub_backplane_errors_total", "up",
        "taskhub_outbox_pending", "taskhub_outbox_oldest_age_seconds", "taskhub_outbox_dead_letters_total", "taskhub_outbox_deliveries_total",
        "taskhub_emails_sent_total", "taskhub_emails_failed_total", "taskhub_job_runs_total", "taskhub_job_failures_total",
    ];

    private async Task<HashSet<string>> ExportedAfterTrafficAsync()
    {
        var owner = await app.SignUpAsync();
        var boardId = await owner.CreateBoardAsync("Metrics");
        await using var live = await LiveBoard.ConnectAsync(app, owner);
        await live.JoinAsync(boardId, afterSeq: 0);
        var task = await owner.CreateTaskAsync(boardId, new { title = "Scrape me" });
        var taskId = task.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.Patch($"/api/tasks/{taskId}", new { status = "in_progress" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.Client.GetAsync($"/api/tasks/{Guid.NewGuid()}")).StatusCode);

        var response = await app.CreateClient().GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        return PromQl.ExportedNames(text).ToHashSet(StringComparer.Ordinal);
    }

    [Fact]
    public async Task EveryMetricTheDashboardAndAlertsQueryIsExported()
    {
        var exported = await ExportedAfterTrafficAsync();
        var queries = DeployFiles.DashboardQueries().Select(q => ("dashboard", q))
            .Concat(DeployFiles.AlertQueries().Select(q => ("alerts", q))).ToList();
        Assert.NotEmpty(queries);

        var missing = new List<string>();
        var queried = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (source, query) in queries)
        {
            var names = PromQl.MetricNames(query);
            Assert.True(names.Count > 0, $"{source}: no metric found in `{query}`");
            foreach (var name in names)
            {
                queried.Add(name);
                if (!exported.Contains(name) && !ScrapeSeries.Contains(name)) missing.Add($"{source}: {name} in `{query}`");
            }
        }
        output.WriteLine($"{queries.Count} queries over {queried.Count} series: {string.Join(", ", queried)}");
        Assert.True(missing.Count == 0, "Queried but not exported by a running server:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void TheDashboardShowsEveryOperatorSeries()
    {
        var queried = DeployFiles.DashboardQueries().SelectMany(PromQl.MetricNames).ToHashSet();
        var absent = RequiredOnDashboard.Where(n => !queried.Contains(n)).ToList();
        Assert.True(absent.Count == 0, "Not on the dashboard: " + string.Join(", ", absent));
    }

    [Fact]
    public void AlertRulesCoverReplicaDownErrorRateAndBackplane()
    {
        var rules = DeployFiles.Read("deploy/prometheus/alerts.yml");
        var queried = DeployFiles.AlertQueries().SelectMany(PromQl.MetricNames).ToHashSet();
        Assert.Contains("up", queried);
        Assert.Contains("http_request_duration_seconds_count", queried);
        Assert.Contains("taskhub_backplane_errors_total", queried);
        Assert.Matches(@"alert:\s*TaskHubReplicaDown", rules);
        Assert.Matches(@"alert:\s*TaskHubHighErrorRate", rules);
    }

    [Fact]
    public void QueriesUseTheScrapeJobAndTheProvisionedDatasource()
    {
        var prometheus = DeployFiles.Read("deploy/prometheus/prometheus.yml");
        Assert.Matches(@"job_name:\s*taskhub", prometheus);
        Assert.Matches(@"rule_files:\s*\n\s*-\s*/etc/prometheus/alerts.yml", prometheus);
        foreach (var query in DeployFiles.DashboardQueries().Concat(DeployFiles.AlertQueries()))
        {
            foreach (Match m in Regex.Matches(query, @"job\s*=\s*""([^""]*)"""))
                Assert.Equal("taskhub", m.Groups[1].Value);
        }
        var datasource = DeployFiles.Read("deploy/grafana/provisioning/datasources/prometheus.yml");
        var uid = Regex.Match(datasource, @"uid:\s*(\S+)").Groups[1].Value;
        var dashboard = DeployFiles.Read("deploy/grafana/dashboards/taskhub.json");
        var uids = Regex.Matches(dashboard, @"""uid"":\s*""([^""]+)""").Select(m => m.Groups[1].Value).Where(u => u != "taskhub-overview").Distinct().ToList();
        Assert.Equal([uid], uids);
    }

    [Theory]
    [InlineData("sum by (code) (rate(http_requests_received_total{job=\"taskhub\", instance=~\"$instance\"}[$__rate_interval]))", "http_requests_received_total")]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{endpoint!~\"/hubs/.*\"}[5m]))) > 1", "http_request_duration_seconds_bucket")]
    [InlineData("a_total / clamp_min(b_total, 1e-9) > 0.05 and on(instance) c > 0.1", "a_total,b_total,c")]
    [InlineData("absent(up{job=\"taskhub\"} == 1)", "up")]
    [InlineData("label_values(up{job=\"taskhub\"}, instance)", "up")]
    [InlineData("{__name__=\"taskhub_events_pushed_total\"}", "taskhub_events_pushed_total")]
    [InlineData("x unless ignoring(le) group_left(code) y offset 5m", "x,y")]
    public void MetricNamesAreParsedOutOfPromQl(string expr, string expected) =>
        Assert.Equal(expected.Split(',').Order(), PromQl.MetricNames(expr).Order());
}
