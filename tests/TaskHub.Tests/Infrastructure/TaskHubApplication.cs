using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MySqlConnector;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Tests.Infrastructure;

/// <summary>
/// The real server in memory (TestServer), on a real database: a SQLite file of its own, or a MariaDB
/// database of its own. One instance per test class (xunit class fixture).
/// </summary>
public abstract class TaskHubApplication : WebApplicationFactory<Program>, IAsyncLifetime
{
    /// <summary>Reads (or writes) the application's database in a scope of its own, as a test looking behind the API.</summary>
    public async Task<T> DbAsync<T>(Func<TaskHubDbContext, Task<T>> use)
    {
        await using var scope = Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<TaskHubDbContext>());
    }

    /// <summary>Stores <paramref name="count"/> unread notifications for the person on the board, their ids ascending
    /// while their times descend (as ids made within one millisecond can sort against their times).</summary>
    public Task<List<Guid>> SeedNotificationsAsync(Guid userId, Guid board, int count) => DbAsync(async db =>
    {
        var now = DateTime.UtcNow;
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).OrderBy(g => g.ToString(), StringComparer.Ordinal).ToList();
        for (var i = 0; i < count; i++)
            db.Add(new TaskHub.Server.Features.Notifications.Notification
                { Id = ids[i], Key = $"seed:{Guid.NewGuid():N}", UserId = userId, Kind = "comment", BoardId = board, Text = "x", CreatedAt = now.AddSeconds(-i) });
        await db.SaveChangesAsync();
        return ids;
    });

    public const string SigningKey = "tests-signing-key-0123456789-abcdefghijklmnop";
    public static readonly JsonSerializerOptions Json = TaskHubJson.Options;

    public abstract string Provider { get; }

    protected abstract void ConfigureDatabase(IWebHostBuilder builder);

    /// <summary>Where this fixture's emails go when no SMTP server is configured (a folder of its own).</summary>
    public string MailPickupDirectory { get; } = Path.Combine(Path.GetTempPath(), $"taskhub-mail-{Guid.NewGuid():N}");

    /// <summary>More configuration for a fixture (SMTP, DynamoDB, EventBridge, outbox timing…).</summary>
    public Dictionary<string, string> Settings { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Jwt:SigningKey", SigningKey);
        builder.UseSetting("Email:PickupDirectory", MailPickupDirectory);
        builder.UseSetting("Outbox:PollIntervalSeconds", "0.1");
        // Change emails go out one per change unless a test sets a coalescing window (Notifications/CoalescingTests).
        builder.UseSetting("Email:CoalesceWindowSeconds", "0");
        // Suites sign up many users from one address within a minute; the throttling tests set their own limits.
        builder.UseSetting("Auth:Limits:PerAddressPerMinute", "100000");
        builder.UseSetting("Auth:Limits:PerAccountPerMinute", "100000");
        // Nothing on a timer that a test did not ask for (a fixture sets its own): the periodic BoardHead (every 15 s by
        // default) can arrive between a join's catch-up and the test's assertions on a loaded machine, and Hangfire's
        // recurring jobs (reminders, escalation, digests) run on the wall clock and add emails and changes of their own.
        // The tests that need them set them (ScaleOutTests' 0.5 s heads) or run the jobs themselves (JobTests).
        builder.UseSetting("Realtime:HeadIntervalSeconds", "3600");
        builder.UseSetting("Jobs:ServerEnabled", "false");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware", "None");
        // A MariaDB fixture's host starts (and its outbox dispatcher polls) a moment before the fixture migrates.
        builder.UseSetting("Logging:LogLevel:Microsoft.EntityFrameworkCore", "None");
        builder.UseSetting("Logging:LogLevel:TaskHub.Server.Features.Notifications.OutboxDispatcher", "Critical");
        ConfigureDatabase(builder);
    }

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public new virtual async Task DisposeAsync() => await base.DisposeAsync();

    private int _users;

    /// <summary>Signs up and logs in a new user; the returned client carries their access token.</summary>
    public async Task<TestUser> SignUpAsync(string? name = null, string? email = null)
    {
        var n = Interlocked.Increment(ref _users);
        email ??= $"user{n}-{Guid.NewGuid():N}@example.com";
        var password = "correct-horse-9";
        var anon = CreateClient();
        var register = await anon.PostAsJsonAsync("/api/auth/register", new { email, password, displayName = name ?? $"User {n}" });
        register.EnsureSuccessStatusCode();
        var user = (await register.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        return await LogInAsync(new TestUser(user, email, password, anon, "", ""));
    }

    /// <summary>Logs <paramref name="user"/> in (again): a new session, with a client that carries its access token.</summary>
    public async Task<TestUser> LogInAsync(TestUser user)
    {
        var login = await CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password });
        login.EnsureSuccessStatusCode();
        var tokens = await login.Content.ReadFromJsonAsync<JsonElement>();
        var access = tokens.GetProperty("accessToken").GetString()!;
        return user with { Client = ClientWithToken(access), AccessToken = access, RefreshToken = tokens.GetProperty("refreshToken").GetString()! };
    }

    public HttpClient ClientWithToken(string accessToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }
}

public sealed record TestUser(Guid Id, string Email, string Password, HttpClient Client, string AccessToken, string RefreshToken);

/// <summary>The embedded mode: SQLite in a file of this fixture's own, migrated at start like `dotnet run`.</summary>
public class SqliteApplication : TaskHubApplication
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"taskhub-test-{Guid.NewGuid():N}.db");

    public override string Provider => "sqlite";

    protected override void ConfigureDatabase(IWebHostBuilder builder) =>
        builder.UseSetting("ConnectionStrings:Sqlite", $"Data Source={_file}");

    public override async Task DisposeAsync()
    {
        // Only this fixture's pool (keyed by the exact connection string the app uses): clearing every pool of the
        // process emptied the pools of fixtures still running in parallel, whose refills then hit Microsoft.Data.Sqlite's
        // pooled-handle failure more often ("unable to delete/modify user-function due to active statements", once in CI).
        string? used = null;
        try
        {
            await using var scope = Services.CreateAsyncScope();
            used = Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetConnectionString(scope.ServiceProvider.GetRequiredService<TaskHubDbContext>().Database);
        }
        catch (Exception) { } // (a host that never started has no pool of its own)
        await base.DisposeAsync();
        if (used is not null) TaskHub.Server.Data.SqlitePoolOpens.ClearPool(used); // (in the app's open gate)
        foreach (var f in new[] { _file, _file + "-wal", _file + "-shm" }) File.Delete(f);
    }
}

/// <summary>
/// SQLite, with the per-connection hub call limiter on a clock of the test's own: tests move
/// <see cref="HubClock"/> forward instead of sleeping until the limiter refills. Nothing else uses that clock.
/// </summary>
public class HubClockApplication : SqliteApplication
{
    public FakeTimeProvider HubClock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton(new TaskHub.Server.Features.Realtime.HubCallLimiter(HubClock)));
    }
}

/// <summary>
/// The scaled-out mode: a MariaDB database of this fixture's own on the server that scripts/services.sh
/// starts (TASKHUB_TEST_MYSQL overrides where). Migrated the way `TaskHub.Server migrate` does it.
/// </summary>
public class MariaDbApplication : TaskHubApplication
{
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("TASKHUB_TEST_MYSQL") ?? "Server=127.0.0.1;Port=3306;User ID=taskhub;Password=taskhub;Maximum Pool Size=40";

    public static string RedisConnectionString =>
        Environment.GetEnvironmentVariable("TASKHUB_TEST_REDIS") ?? "127.0.0.1:6379";

    private readonly string _database;
    private readonly bool _ownsDatabase;
    private readonly IReadOnlyDictionary<string, string> _settings;

    /// <summary>A fixture with a database of its own.</summary>
    public MariaDbApplication() : this(null, new Dictionary<string, string>()) { }

    /// <summary>A replica on a database that someone else created and migrated (see <see cref="CreateDatabaseAsync"/>).</summary>
    protected MariaDbApplication(string? database, IReadOnlyDictionary<string, string> settings)
    {
        _ownsDatabase = database is null;
        _database = database ?? NewDatabaseName();
        _settings = settings;
    }

    public override string Provider => "mariadb";

    public static string NewDatabaseName() => $"taskhub_t_{Guid.NewGuid():N}"[..30];

    public static string ConnectionStringFor(string database) =>
        new MySqlConnectionStringBuilder(ServerConnectionString) { Database = database }.ConnectionString;

    protected override void ConfigureDatabase(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:MySql", ConnectionStringFor(_database));
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    public override async Task InitializeAsync()
    {
        if (!_ownsDatabase) return;
        await CreateDatabaseAsync(_database);
        await Services.MigrateTaskHubDatabaseAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDatabase) await DropDatabaseAsync(_database);
    }

    public static async Task CreateDatabaseAsync(string database)
    {
        await using var conn = new MySqlConnection(ServerConnectionString);
        try
        {
            await conn.OpenAsync();
        }
        catch (MySqlException e)
        {
            throw new InvalidOperationException(
                "MariaDB is not reachable at 127.0.0.1:3306. Run scripts/services.sh start (the test command does).", e);
        }
        await using var cmd = new MySqlCommand($"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task DropDatabaseAsync(string database)
    {
        await using var conn = new MySqlConnection(ServerConnectionString);
        await conn.OpenAsync();
        await using var cmd = new MySqlCommand($"DROP DATABASE IF EXISTS `{database}`", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
