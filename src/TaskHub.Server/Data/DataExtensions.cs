using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TaskHub.Server.Data;

public static class DataExtensions
{
    /// <summary>
    /// SQLite under <c>data/</c> by default; MariaDB/MySQL when <c>ConnectionStrings:MySql</c> is present.
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();
        // Every registered interceptor (audit stamps here; the realtime publisher in its feature) joins every context.
        builder.Services.AddSingleton<IInterceptor, AuditTimestampsInterceptor>();

        var mySql = builder.Configuration.GetConnectionString("MySql");
        if (!string.IsNullOrWhiteSpace(mySql))
        {
            var version = builder.Configuration[$"{DatabaseOptions.Section}:{nameof(DatabaseOptions.MySqlServerVersion)}"]
                          ?? new DatabaseOptions().MySqlServerVersion;
            var serverVersion = ServerVersion.Parse(version);
            builder.Services.AddDbContext<TaskHubDbContext, MySqlTaskHubDbContext>((sp, options) => options
                .UseMySql(mySql, serverVersion)
                .AddInterceptors(sp.GetServices<IInterceptor>()));
        }
        else
        {
            var sqlite = builder.Configuration.GetConnectionString("Sqlite") ?? "Data Source=data/taskhub.db";
            var csb = new SqliteConnectionStringBuilder(sqlite);
            if (!Path.IsPathRooted(csb.DataSource) && csb.DataSource != ":memory:")
            {
                csb.DataSource = Path.Combine(builder.Environment.ContentRootPath, csb.DataSource);
            }
            var dir = Path.GetDirectoryName(csb.DataSource);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            csb.DefaultTimeout = Math.Max(csb.DefaultTimeout, 30);
            var connectionString = csb.ToString();
            builder.Services.AddDbContext<TaskHubDbContext, SqliteTaskHubDbContext>((sp, options) => options
                .UseSqlite(connectionString)
                .AddInterceptors(sp.GetServices<IInterceptor>()));
        }
        return builder;
    }

    /// <summary>True when the process was started as <c>TaskHub.Server migrate</c>.</summary>
    public static bool IsMigrateCommand(string[] args) => args.Any(a => a.Equals("migrate", StringComparison.OrdinalIgnoreCase));

    /// <summary>Applies pending migrations of whichever provider is configured.</summary>
    public static async Task MigrateTaskHubDatabaseAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers proceed while one writer commits.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
    }

    /// <summary>Applies migrations at start where configured (the default for the embedded SQLite mode).</summary>
    public static async Task PrepareTaskHubDatabaseAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var options = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value;
        if (options.MigrateOnStart ?? db.Database.IsSqlite())
        {
            await app.Services.MigrateTaskHubDatabaseAsync();
        }
    }
}

public static class WriteTransactions
{
    /// <summary>A write transaction. Read-committed on MariaDB so reads after a row lock (a board's seq) see what
    /// the previous holder committed; SQLite serialises writers anyway.</summary>
    public static Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction> BeginWriteAsync(this TaskHubDbContext db, CancellationToken ct) =>
        db.Database.BeginTransactionAsync(db.Database.IsSqlite() ? System.Data.IsolationLevel.Serializable : System.Data.IsolationLevel.ReadCommitted, ct);
}
