using System.Collections.Concurrent;
using System.Diagnostics;
using Prometheus;

namespace TaskHub.Server.Infrastructure;

/// <summary>
/// The HTTP series the dashboard and alert rules read (deploy/README.md, "Metrics"), under the names and labels
/// prometheus-net's <c>UseHttpMetrics</c> gives them: <c>http_requests_received_total{code,method,endpoint}</c>,
/// <c>http_request_duration_seconds{code,method,endpoint}</c> (1 ms … 32 s) and
/// <c>http_requests_in_progress{method,endpoint}</c>; <c>/metrics</c> itself is not counted. One middleware instead of
/// its four (route-data capture, in-progress, count, duration), each of which built its label values into a new array
/// and looked the series up by them on every request: here a request finds its series by (endpoint, method, code) in
/// one dictionary, without allocating (the endpoint label is the matched route's pattern, e.g.
/// <c>/api/boards/{boardId:guid}/tasks</c>, or "" when none matched), and records no exemplar (nothing reads them). The empty <c>controller</c> and
/// <c>action</c> labels (MVC's, always empty in minimal APIs, so absent to Prometheus) are not written. It runs in
/// front of the exception handler and the status-code pages, so a request counts under the code its client got (a
/// malformed body's 400, an outage's 503), not under the 200 the response held when the exception passed.
/// </summary>
public sealed class HttpMetricsMiddleware(RequestDelegate next)
{
    private static readonly Gauge InProgress = Metrics.CreateGauge("http_requests_in_progress",
        "The number of requests currently in progress in the ASP.NET Core pipeline.",
        new GaugeConfiguration { LabelNames = ["method", "endpoint"] });

    private static readonly Counter Received = Metrics.CreateCounter("http_requests_received_total",
        "Provides the count of HTTP requests that have been processed by the ASP.NET Core pipeline.",
        new CounterConfiguration { LabelNames = ["code", "method", "endpoint"], ExemplarBehavior = ExemplarBehavior.NoExemplars() });

    private static readonly Histogram Duration = Metrics.CreateHistogram("http_request_duration_seconds",
        "The duration of HTTP requests processed by an ASP.NET Core application.",
        new HistogramConfiguration
        {
            LabelNames = ["code", "method", "endpoint"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 16),
            ExemplarBehavior = ExemplarBehavior.NoExemplars(),
        });

    private static readonly ConcurrentDictionary<(string Endpoint, string Method), Gauge.Child> InProgressSeries = new();
    private static readonly ConcurrentDictionary<(string Endpoint, string Method, int Code), Finished> FinishedSeries = new();

    private sealed record Finished(Counter.Child Received, Histogram.Child Duration);

    public async Task InvokeAsync(HttpContext http)
    {
        if (http.Request.Path == "/metrics")
        {
            await next(http);
            return;
        }
        var method = http.Request.Method;
        // Routing matched before this runs; read now, as the exception handler clears the endpoint before it answers.
        var endpoint = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "";
        var inProgress = InProgressSeries.GetOrAdd((endpoint, method), static key => InProgress.WithLabels(key.Method, key.Endpoint));
        var started = Stopwatch.GetTimestamp();
        inProgress.Inc();
        try
        {
            await next(http);
        }
        finally
        {
            inProgress.Dec();
            var series = FinishedSeries.GetOrAdd((endpoint, method, http.Response.StatusCode), static key =>
            {
                var code = key.Code.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new Finished(Received.WithLabels(code, key.Method, key.Endpoint), Duration.WithLabels(code, key.Method, key.Endpoint));
            });
            series.Received.Inc(Exemplar.None);
            series.Duration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds, Exemplar.None);
        }
    }
}
