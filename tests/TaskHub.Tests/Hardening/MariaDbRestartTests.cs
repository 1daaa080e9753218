using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using TaskHub.Server.Data;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>A MariaDB server of this fixture's own (mariadb-install-db + mariadbd on a free loopback port), so
/// restarting it disturbs no other test. Stopped by the handle of the process it started.</summary>
public sealed class PrivateMariaDb : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"taskhub-mariadb-{Guid.NewGuid():N}");
    private Process? _server;
    public int Port { get; } = FreePort();
    public string ConnectionString => $"Server=127.0.0.1;Port={Port};Database=taskhub;User ID=root;Password=;Connection Timeout=3;Default Command Timeout=10";

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async Task InstallAsync()
    {
        Directory.CreateDirectory(_dir);
        var install = Process.Start(new ProcessStartInfo("mariadb-install-db",
            $"--no-defaults --datadir={_dir}/data --user=root --auth-root-authentication-method=normal --skip-test-db")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        await install.StandardOutput.ReadToEndAsync();
        await install.WaitForExitAsync();
        if (install.ExitCode != 0) throw new InvalidOperationException("mariadb-install-db failed: " + await install.StandardError.ReadToEndAsync());
        await StartAsync();
        await using var c = new MySqlConnector.MySqlConnection($"Server=127.0.0.1;Port={Port};User ID=root;Password=");
        await c.OpenAsync();
        await new MySqlConnector.MySqlCommand("CREATE DATABASE taskhub", c).ExecuteNonQueryAsync();
    }

    public async Task StartAsync()
    {
        _server = Process.Start(new ProcessStartInfo("/usr/sbin/mariadbd",
            $"--no-defaults --datadir={_dir}/data --user=root --port={Port} --bind-address=127.0.0.1 --socket={_dir}/sock --pid-file={_dir}/pid --skip-log-error --transaction-isolation=READ-COMMITTED")
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        for (var i = 0; i < 150; i++)
        {
            try
            {
                await using var c = new MySqlConnector.MySqlConnection($"Server=127.0.0.1;Port={Port};User ID=root;Password=;Connection Timeout=1");
                await c.OpenAsync();
                return;
            }
            catch (MySqlConnector.MySqlException) { await Task.Delay(100); }
        }
        throw new InvalidOperationException("the private MariaDB did not start");
    }

    public async Task StopAsync()
    {
        if (_server is null) return;
        _server.Kill();
        await _server.WaitForExitAsync();
        _server.Dispose();
        _server = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

public sealed class RestartingDatabaseApplication : TaskHubApplication
{
    public PrivateMariaDb Db { get; } = new();
    public override string Provider => "mariadb";

    protected override void ConfigureDatabase(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:MySql", Db.ConnectionString);
        builder.UseSetting("Jobs:ServerEnabled", "false");
    }

    public override async Task InitializeAsync()
    {
        await Db.InstallAsync();
        await Services.MigrateTaskHubDatabaseAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Db.DisposeAsync();
    }
}

[Collection(MariaDbConnectionFaults.Name)]
public sealed class MariaDbRestartTests(RestartingDatabaseApplication app, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RestartingDatabaseApplication>
{
    [Fact]
    public async Task DuringAMariaDbRestartRequestsGet503AndAfterwardsEverythingWorksWithNoPartialWrites()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        await ada.CreateTaskAsync(board, new { title = "before" });
        var created = 1;

        await app.Db.StopAsync();
        var outage = Stopwatch.StartNew();
        var during = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            var write = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = $"during {i}" });
            during.Add(write.StatusCode);
            if (write.StatusCode == HttpStatusCode.Created) created++;
            else await write.AssertProblem(HttpStatusCode.ServiceUnavailable);
        }
        var read = await ada.Client.GetAsync($"/api/boards/{board}/tasks");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.CreateClient().GetAsync("/readyz")).StatusCode);
        Assert.All(during, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        Assert.True(outage.Elapsed < TimeSpan.FromSeconds(60), "requests during the outage must fail fast");

        await app.Db.StartAsync();
        var back = Stopwatch.StartNew();
        HttpResponseMessage after;
        do
        {
            after = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "after" });
            if (after.StatusCode != HttpStatusCode.Created) await Task.Delay(200);
        } while (after.StatusCode != HttpStatusCode.Created && back.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
        created++;
        output.WriteLine($"outage answers: {string.Join(", ", during.Select(s => (int)s))}; writes work again {back.Elapsed.TotalSeconds:0.0} s after MariaDB is back");

        // No partial writes: exactly the acknowledged tasks exist, and their events are gap-free.
        Assert.Equal(created, (await ada.Client.GetJson($"/api/boards/{board}/tasks")).GetArrayLength());
        var seqs = (await ada.Client.GetJson($"/api/boards/{board}/events?after=0")).EnumerateArray().Select(e => e.GetProperty("seq").GetInt64());
        Assert.Equal(Enumerable.Range(1, created).Select(i => (long)i), seqs);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/readyz")).StatusCode);
    }
}
