using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

public abstract class OperationsTests(TaskHubApplication app)
{
    private readonly HttpClient _anon = app.CreateClient();

    [Fact]
    public async Task HealthAndReadinessAnswer()
    {
        Assert.Equal(HttpStatusCode.OK, (await _anon.GetAsync("/healthz")).StatusCode);
        Assert.Equal("Healthy", await (await _anon.GetAsync("/readyz")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MetricsAreInPrometheusFormatWithHttpRequests()
    {
        await _anon.GetAsync("/healthz");
        var response = await _anon.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE http_request_duration_seconds histogram", text);
        Assert.Contains("http_requests_received_total", text);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheApi()
    {
        var doc = await _anon.GetJson("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        foreach (var path in new[] { "/api/auth/register", "/api/boards/{boardId}/tasks", "/api/tasks/{taskId}", "/api/boards/{boardId}/events" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
    }
}

public sealed class OperationsTestsOnSqlite(SqliteApplication app) : OperationsTests(app), IClassFixture<SqliteApplication>;

public sealed class OperationsTestsOnMariaDb(MariaDbApplication app) : OperationsTests(app), IClassFixture<MariaDbApplication>;

public sealed class StartupTests
{
    private sealed class ProductionWithoutKey : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("Jwt:SigningKey", "");
            builder.UseSetting("ConnectionStrings:Sqlite", $"Data Source={Path.Combine(Path.GetTempPath(), $"taskhub-{Guid.NewGuid():N}.db")}");
        }
    }

    [Fact]
    public void ProductionRefusesToStartWithoutASigningKey()
    {
        using var factory = new ProductionWithoutKey();
        var error = Assert.ThrowsAny<Exception>(() => factory.CreateClient());
        Assert.Contains("Jwt:SigningKey", error.ToString());
    }
}
