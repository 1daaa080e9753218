using System.Diagnostics;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Options;
using Prometheus;
using TaskHub.Server.Infrastructure;

// One variant per process: `<metrics> <meters> <seconds>`, metrics = none | prometheus (UseHttpMetrics, as main had it)
// | own (HttpMetricsMiddleware); meters = all (prometheus-net's default Meter adapter) | observable (this branch's filter).
// Requests go through ASP.NET Core's hosting on a TestServer (so its meters record as in the server): routing, the
// metrics, authentication (a scheme that signs in without work) and authorization, then an endpoint answering 201 to
// POST /api/boards/{boardId:guid}/tasks. Prints the process's CPU per request after a warm-up, one JSON line.
var (metrics, meters, seconds) = (args[0], args[1], double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
if (meters == "observable") Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = instrument => instrument.IsObservable);

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseTestServer();
builder.Logging.ClearProviders();
builder.Services.AddAuthentication("probe").AddScheme<AuthenticationSchemeOptions, SignedIn>("probe", null);
builder.Services.AddAuthorization();
var app = builder.Build();
app.UseRouting();
if (metrics == "prometheus") app.UseHttpMetrics();
else if (metrics == "own") app.UseMiddleware<HttpMetricsMiddleware>();
app.UseAuthentication();
app.UseAuthorization();
app.MapPost("/api/boards/{boardId:guid}/tasks", () => Results.StatusCode(201)).RequireAuthorization();
await app.StartAsync();
await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(Stream.Null); // the Meter adapter starts at the first scrape
var server = app.GetTestServer();
var path = $"/api/boards/{Guid.NewGuid()}/tasks";

async Task<long> RunAsync(TimeSpan duration)
{
    long n = 0;
    var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    while (Stopwatch.GetTimestamp() < end)
    {
        for (var i = 0; i < 100; i++)
        {
            var context = await server.SendAsync(c => { c.Request.Method = "POST"; c.Request.Path = path; });
            if (context.Response.StatusCode != 201) throw new InvalidOperationException($"status {context.Response.StatusCode}");
        }
        n += 100;
    }
    return n;
}

await RunAsync(TimeSpan.FromSeconds(Math.Max(3, seconds))); // tiered JIT
var process = Process.GetCurrentProcess();
var cpu0 = process.TotalProcessorTime;
var requests = await RunAsync(TimeSpan.FromSeconds(seconds));
process.Refresh();
var cpuUs = (process.TotalProcessorTime - cpu0).TotalMicroseconds / requests;
Console.WriteLine($$"""{"metrics":"{{metrics}}","meters":"{{meters}}","requests":{{requests}},"cpuUsPerRequest":{{cpuUs.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}}}""");
await app.StopAsync();

internal sealed class SignedIn(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private static readonly AuthenticationTicket Ticket = new(new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "probe")], "probe")), "probe");

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.Success(Ticket));
}
