using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using MySqlConnector;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Infrastructure;
using TaskHub.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TaskHub.Tests.Deployment;

/// <summary>
/// What the image does, outside Docker: `dotnet publish` the server, then run `dotnet TaskHub.Server.dll`
/// (the Dockerfile's ENTRYPOINT) with exactly the environment docker-compose.yml gives the replicas — first
/// with `migrate` (the one-shot service), then as a replica — with the compose host names (mariadb, redis,
/// …) pointed at the services on 127.0.0.1 that scripts/services.sh starts.
/// </summary>
[Collection(PublishesTheServer.Name)]
public sealed partial class PublishedAppTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(150);

    [Fact]
    public async Task ThePublishedAppMigratesAndServesWithTheComposeEnvironment()
    {
        var total = Stopwatch.StartNew();
        var publishDir = Directory.CreateTempSubdirectory("taskhub-publish-").FullName;
        var database = MariaDbApplication.NewDatabaseName();
        try
        {
            // 1. publish, as the Dockerfile's build stage does.
            var publish = await RunAsync(DotnetHost, ["publish", DeployFiles.PathOf("src/TaskHub.Server/TaskHub.Server.csproj"),
                "-c", "Release", "-o", publishDir, "--nologo", "-v", "q"], DeployFiles.Root, env: null, PublishTimeout);
            Assert.True(publish.ExitCode == 0, "dotnet publish failed:\n" + publish.Output);
            Assert.True(File.Exists(Path.Combine(publishDir, "TaskHub.Server.dll")));
            output.WriteLine($"publish: {total.Elapsed.TotalSeconds:F1} s");

            // 2. the compose environment, on this machine.
            var port = FreePort();
            var env = ComposeEnvironmentOnLoopback(database, port);
            // For step 5: the rebalancer's count of live replicas, shared with an in-process replica, read every 0.3 s.
            env["Realtime__Rebalance__Scope"] = database;
            env["Realtime__Rebalance__IntervalSeconds"] = "0.3";
            env["Realtime__Rebalance__TtlSeconds"] = "1.5";
            await WhileMariaDbIsFullAsync(() => MariaDbApplication.CreateDatabaseAsync(database));

            // 3. the one-shot migration service: `dotnet TaskHub.Server.dll migrate`, exit code 0, schema there.
            var migrateWatch = Stopwatch.StartNew();
            var migrate = await RunAsync(DotnetHost, [Path.Combine(publishDir, "TaskHub.Server.dll"), "migrate"], publishDir, env, TimeSpan.FromSeconds(60));
            Assert.True(migrate.ExitCode == 0, "migrate failed:\n" + migrate.Output);
            Assert.Contains("__EFMigrationsHistory", await TablesAsync(database));
            Assert.Contains("boards", (await TablesAsync(database)).Select(t => t.ToLowerInvariant()));
            output.WriteLine($"migrate: {migrateWatch.Elapsed.TotalSeconds:F1} s");

            // 4. a replica: healthy, ready (database and Redis), serves the API and metrics, logs JSON.
            var serveWatch = Stopwatch.StartNew();
            using var server = StartProcess(DotnetHost, [Path.Combine(publishDir, "TaskHub.Server.dll")], publishDir, env);
            var logs = new System.Collections.Concurrent.ConcurrentQueue<string>();
            server.OutputDataReceived += (_, e) => { if (e.Data is not null) logs.Enqueue(e.Data); };
            server.ErrorDataReceived += (_, e) => { if (e.Data is not null) logs.Enqueue(e.Data); };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            try
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
                await WaitForAsync(http, "/healthz", server, logs, TimeSpan.FromSeconds(45));
                output.WriteLine($"healthy after {serveWatch.Elapsed.TotalSeconds:F1} s");
                await WaitForAsync(http, "/readyz", server, logs, TimeSpan.FromSeconds(20));
                Assert.Equal("Healthy", await http.GetStringAsync("/readyz"));

                // The image's HEALTHCHECK command itself (bash /dev/tcp), with the port compose would give it.
                var healthcheck = await RunAsync("bash", ["-c", DockerfileHealthcheckScript()], publishDir,
                    new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = port.ToString() }, TimeSpan.FromSeconds(10));
                Assert.True(healthcheck.ExitCode == 0, "the Dockerfile HEALTHCHECK failed against the running app:\n" + healthcheck.Output);

                // Some traffic through the API: sign up, log in (the compose JWT key signs), a board and a task.
                var email = $"ops-{Guid.NewGuid():N}@example.com";
                var register = await http.PostAsJsonAsync("/api/auth/register", new { email, password = "correct-horse-9", displayName = "Ops" });
                Assert.Equal(HttpStatusCode.Created, register.StatusCode);
                var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = "correct-horse-9" });
                Assert.Equal(HttpStatusCode.OK, login.StatusCode);
                var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                var board = await http.PostAsJsonAsync("/api/boards", new { name = "Ops" });
                Assert.Equal(HttpStatusCode.Created, board.StatusCode);
                var boardId = (await board.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
                var task = await http.PostAsJsonAsync($"/api/boards/{boardId}/tasks", new { title = "Ship it" });
                Assert.Equal(HttpStatusCode.Created, task.StatusCode);

                var metrics = await http.GetStringAsync("/metrics");
                foreach (var series in new[] { "http_requests_received_total", "http_request_duration_seconds_bucket", "taskhub_signalr_connections", "taskhub_events_pushed_total" })
                    Assert.Contains(series, metrics);

                // The process set the shared ArrayPool's size before the runtime read it (SendBufferPool; the environment
                // above does not set it, so without Program's first line the pool keeps the runtime's 32).
                var pool = logs.FirstOrDefault(l => l.Contains("Send buffers:", StringComparison.Ordinal));
                Assert.True(pool is not null, "no log line about the send buffers");
                Assert.Contains($"keeps {SendBufferPool.ArraysPerCore} arrays per size per core", pool);
                Assert.Contains("\"LogLevel\":\"Information\"", pool);

                // Structured JSON logs outside Development: every console line is one JSON object.
                var lines = logs.Where(l => l.StartsWith('{')).ToList();
                Assert.NotEmpty(lines);
                using (var first = JsonDocument.Parse(lines[0]))
                {
                    Assert.True(first.RootElement.TryGetProperty("Timestamp", out _), lines[0]);
                    Assert.True(first.RootElement.TryGetProperty("Category", out _), lines[0]);
                }
                Assert.All(logs.Where(l => l.Trim().Length > 0), l => Assert.StartsWith("{", l));
                // …and a request's log lines carry its request and trace ids (the scopes of ASP.NET Core's hosting).
                var requestLine = logs.FirstOrDefault(l => l.Contains("\"TaskHub.Server.Infrastructure.RequestLoggingMiddleware\"") && l.Contains("/api/boards"));
                Assert.True(requestLine is not null, "no request log line for /api/boards");
                using (var request = JsonDocument.Parse(requestLine))
                {
                    var scopes = request.RootElement.GetProperty("Scopes").EnumerateArray()
                        .Where(s => s.ValueKind == JsonValueKind.Object).SelectMany(s => s.EnumerateObject()).Select(p => p.Name).ToHashSet();
                    foreach (var id in new[] { "RequestId", "TraceId", "SpanId" }) Assert.Contains(id, scopes);
                }

                // 5. SIGTERM with another replica live: the handover (HubHandover.Lifetime) before the stop.
                await SigtermHandsOverAsync(server, logs, port, database, env["Jwt__SigningKey"], boardId, token!);
            }
            finally
            {
                await StopAsync(server);
                output.WriteLine($"served and stopped after {serveWatch.Elapsed.TotalSeconds:F1} s");
                foreach (var line in logs.Take(15)) output.WriteLine(line);
            }
            Assert.True(server.HasExited);
        }
        finally
        {
            await WhileMariaDbIsFullAsync(() => MariaDbApplication.DropDatabaseAsync(database));
            try { Directory.Delete(publishDir, recursive: true); } catch (IOException) { }
            output.WriteLine($"total: {total.Elapsed.TotalSeconds:F1} s");
        }
    }

    /// <summary>
    /// The published app gets SIGTERM (as from `docker stop`) while a second replica (in-process, on the same database,
    /// Redis and rebalancing scope) is live: its hub client is asked to move, still gets the board's events where it is,
    /// the replica takes no new connection (a connect is refused), and it exits once the client has left (not after
    /// <c>Realtime:Handover:QuietSeconds</c>, 5 s after the move window, nor <c>MaxSeconds</c>, 20 s). Without the lifetime the console lifetime would stop at once, closing
    /// the connection.
    /// </summary>
    private async Task SigtermHandsOverAsync(Process server, System.Collections.Concurrent.ConcurrentQueue<string> logs, int port,
        string database, string jwtKey, Guid boardId, string token)
    {
        await using var peer = new TaskHub.Tests.Realtime.ScaleOutCluster.Replica(database, new()
        {
            ["Jwt:SigningKey"] = jwtKey, // the published replica's tokens are good here too, as between replicas
            ["ConnectionStrings:Redis"] = MariaDbApplication.RedisConnectionString,
            ["Realtime:Rebalance:Scope"] = database,
            ["Realtime:Rebalance:IntervalSeconds"] = "0.3",
            ["Realtime:Rebalance:TtlSeconds"] = "1.5",
            ["Realtime:Rebalance:MinExcess"] = "1000",
        });
        _ = peer.Server;
        var stopping = new TaskCompletionSource<ServerStoppingDto>(TaskCreationOptions.RunContinuationsAsynchronously);
        var titles = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl($"http://127.0.0.1:{port}/hubs/board?handover=1", o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            })
            .AddJsonProtocol(o => ApiExtensions.ConfigureJson(o.PayloadSerializerOptions))
            .Build();
        hub.On<ServerStoppingDto>(nameof(IBoardClient.ServerStopping), s => stopping.TrySetResult(s));
        hub.On<JsonElement>(nameof(IBoardClient.TaskCreated), e => titles.Enqueue(e.GetProperty("task").GetProperty("title").GetString()!));
        await hub.StartAsync();
        await hub.InvokeAsync("JoinBoard", boardId, (long?)null);
        var rebalancer = peer.Services.GetRequiredService<HubRebalancer>();
        Assert.True(await LiveBoard.EventuallyAsync(() => rebalancer.Last is { Replicas: 2 }), "the in-process replica did not see the published one");
        await Task.Delay(TimeSpan.FromSeconds(2)); // the published replica reads the counts every 0.3 s (and again, fresh, at its SIGTERM)

        using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString()])) await kill!.WaitForExitAsync();
        var sigterm = Stopwatch.StartNew();
        var asked = await stopping.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2000, asked.MoveWithinMs);
        // Still serving its connection, while it takes no new one: a connect is refused (the load balancer goes elsewhere at once).
        Assert.False(server.HasExited);
        Assert.True(await LiveBoard.EventuallyAsync(() =>
        {
            using var probe = new TcpClient();
            try { probe.Connect(IPAddress.Loopback, port); return false; }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { return true; }
        }, 5), "the stopping replica still accepts connections");
        // An event written through the other replica reaches the connection being handed over.
        var created = await peer.ClientWithToken(token).PostAsJsonAsync($"/api/boards/{boardId}/tasks", new { title = "during the handover" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(await LiveBoard.EventuallyAsync(() => titles.Contains("during the handover"), 5), "the event did not reach the connection being handed over");

        await hub.StopAsync(); // the client has moved
        var left = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        await server.WaitForExitAsync(cts.Token);
        output.WriteLine($"handover: exited {sigterm.Elapsed.TotalSeconds:F1} s after SIGTERM, {left.Elapsed.TotalSeconds:F1} s after its last client left");
        Assert.True(left.Elapsed < TimeSpan.FromSeconds(5), $"exited {left.Elapsed.TotalSeconds:F1} s after its last client left (the limit is 20 s)");
        Assert.Contains(logs, l => l.Contains("asking 1 hub connections to move", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("Handover: 1 of 1 hub connections moved", StringComparison.Ordinal) && l.Contains("(AllMoved)", StringComparison.Ordinal));
        // The host's status lines, which the console lifetime it replaces wrote, in the same category.
        Assert.Contains(logs, l => l.Contains("\"Microsoft.Hosting.Lifetime\"", StringComparison.Ordinal) && l.Contains("Application started.", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("Hosting environment: Production", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Contains("Application is shutting down...", StringComparison.Ordinal));
    }

    [Fact]
    public void ComposeGivesEveryReplicaTheSettingsItNeeds()
    {
        var env = DeployFiles.ComposeTaskHubEnvironment(DeployFiles.ReadEnvFile("deploy/env.example"));
        Assert.Equal("Production", env["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("false", env["Database__MigrateOnStart"]);
        Assert.Equal("mariadb", new MySqlConnectionStringBuilder(env["ConnectionStrings__MySql"]).Server);
        Assert.StartsWith("redis:6379", env["ConnectionStrings__Redis"]);
        Assert.True(env["Jwt__SigningKey"].Length >= 32);
        // Secrets come from .env: without them compose refuses to render.
        var error = Assert.Throws<InvalidOperationException>(() => DeployFiles.ComposeTaskHubEnvironment(new Dictionary<string, string>()));
        Assert.Contains("in .env", error.Message);
        var compose = DeployFiles.Read("docker-compose.yml");
        Assert.Matches(@"migrate:\s*\n(.*\n)*?\s+command: \[""migrate""\]", compose);
        Assert.Matches(@"condition: service_completed_successfully", compose);
    }

    /// <summary>Compose's replica environment with its host names mapped onto the local services.</summary>
    private static Dictionary<string, string> ComposeEnvironmentOnLoopback(string database, int port)
    {
        var env = DeployFiles.ComposeTaskHubEnvironment(DeployFiles.ReadEnvFile("deploy/env.example")).ToDictionary();

        var composeDb = new MySqlConnectionStringBuilder(env["ConnectionStrings__MySql"]);
        Assert.Equal("mariadb", composeDb.Server);
        var local = new MySqlConnectionStringBuilder(MariaDbApplication.ServerConnectionString);
        composeDb.Server = local.Server;
        composeDb.Port = local.Port;
        composeDb.UserID = local.UserID;
        composeDb.Password = local.Password;
        composeDb.Database = database;
        env["ConnectionStrings__MySql"] = composeDb.ConnectionString;

        var redis = env["ConnectionStrings__Redis"];
        Assert.StartsWith("redis:6379", redis);
        env["ConnectionStrings__Redis"] = MariaDbApplication.RedisConnectionString + redis["redis:6379".Length..];

        foreach (var key in env.Keys.ToList())
            env[key] = Regex.Replace(env[key], @"(?<=^|//)(mariadb|redis|dynamodb|maildev)(?=[:/]|$)", "127.0.0.1");

        // The container listens on 8080 on all interfaces; here the same app binds loopback on a free port.
        Assert.Equal("8080", env["ASPNETCORE_HTTP_PORTS"]);
        env.Remove("ASPNETCORE_HTTP_PORTS");
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        // One addition for the log assertions: the per-request lines (compose keeps them at Warning).
        env["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information";
        return env;
    }

    /// <summary>The bash script of the Dockerfile's HEALTHCHECK CMD ["bash", "-c", "…"].</summary>
    private static string DockerfileHealthcheckScript()
    {
        var dockerfile = DeployFiles.Read("Dockerfile").Replace("\\\n", " ");
        var line = dockerfile.Split('\n').Single(l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal));
        var json = line[line.IndexOf('[')..];
        var cmd = JsonSerializer.Deserialize<string[]>(json)!;
        Assert.Equal(["bash", "-c"], cmd[..2]);
        return cmd[2];
    }

    /// <summary>
    /// The local MariaDB is shared by every test run on this machine; when it is momentarily at
    /// max_connections (error 1040), wait for a slot (bounded: 30 s) instead of failing on someone else's load.
    /// </summary>
    private static async Task WhileMariaDbIsFullAsync(Func<Task> action)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (Exception e) when (attempt < 60 && (e as MySqlException ?? e.InnerException as MySqlException)?.ErrorCode == MySqlErrorCode.ConnectionCountError)
            {
                await Task.Delay(500);
            }
        }
    }

    private static async Task<string[]> TablesAsync(string database)
    {
        await using var conn = new MySqlConnection(MariaDbApplication.ConnectionStringFor(database));
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()", conn);
        var tables = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        return [.. tables];
    }

    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// A process with only the given environment (plus what `dotnet` itself needs to be found), as a
    /// container gets only what compose sets; <paramref name="env"/> null inherits ours (the publish step).
    /// </summary>
    private static Process StartProcess(string file, string[] args, string workingDirectory, IReadOnlyDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null)
        {
            var keep = new[] { "PATH", "HOME", "DOTNET_ROOT", "TMPDIR" }
                .Select(k => (k, v: Environment.GetEnvironmentVariable(k))).Where(x => x.v is not null).ToList();
            psi.Environment.Clear();
            foreach (var (k, v) in keep) psi.Environment[k] = v;
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            foreach (var (k, v) in env) psi.Environment[k] = v;
        }
        return Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string workingDirectory,
        IReadOnlyDictionary<string, string>? env, TimeSpan timeout)
    {
        using var process = StartProcess(file, args, workingDirectory, env);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // only the process this test started, by its handle (PID)
            await process.WaitForExitAsync();
            return (-1, $"timed out after {timeout.TotalSeconds} s\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout + "\n" + await stderr);
    }

    private static async Task WaitForAsync(HttpClient http, string path, Process server, IEnumerable<string> logs, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited) Assert.Fail($"the app exited ({server.ExitCode}) before {path} answered:\n{string.Join('\n', logs)}");
            try
            {
                var response = await http.GetAsync(path);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e) { last = e.Message; }
            catch (TaskCanceledException e) { last = e.Message; }
            await Task.Delay(250);
        }
        Assert.Fail($"{path} not OK after {timeout.TotalSeconds} s (last: {last}):\n{string.Join('\n', logs)}");
    }

    /// <summary>SIGTERM (what `docker stop` sends) to the process we started, by its PID; SIGKILL if it hangs.</summary>
    private static async Task StopAsync(Process process)
    {
        if (process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill!.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
            Assert.Fail("the app did not stop within 15 s of SIGTERM");
        }
    }
}

/// <summary>The test classes that run `dotnet publish` of the server (this one; <c>ReplicaKillTests</c>' cluster, when
/// its published copy is stale) run one at a time: two publishes of one project at once share its obj/ folder (the
/// likely cause of a filtered run that failed the cluster's start while this class published).</summary>
[CollectionDefinition(Name)]
public sealed class PublishesTheServer
{
    public const string Name = "Publishes the server";
}
