using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.Redis.StackExchange;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Jobs;

public static partial class JobsExtensions
{
    public const string DashboardPath = "/hangfire";
    public const string DashboardCookie = "taskhub_hangfire";

    /// <summary>
    /// Hangfire: Redis storage when <c>ConnectionStrings:Redis</c> is set (shared by all replicas), in-memory in the
    /// embedded mode. (No Hangfire MySQL or SQLite storage package is in our package mirror.)
    /// </summary>
    public static IHostApplicationBuilder AddTaskHubJobs(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.Section).ValidateDataAnnotations()
            .Validate(o => new[] { o.RemindersCron, o.EscalationCron, o.DigestsCron, o.ReportsCron }.All(c => Cronos.CronExpression.TryParse(c, out _)),
                "Every Jobs:*Cron must be a valid 5-field cron expression.")
            .ValidateOnStart();
        JobMetrics.Initialize();
        services.AddSingleton<IBearerTokenSource, DashboardTokenSource>();
        services.AddScoped<DeadlineReminderJob>();
        services.AddScoped<PriorityEscalationJob>();
        services.AddScoped<DigestJob>();
        services.AddScoped<ProgressReportJob>();

        var redis = builder.Configuration.GetConnectionString("Redis");
        // The app's own storage and activator, registered before AddHangfire: its defaults resolve Hangfire's
        // process-wide JobStorage.Current and JobActivator.Current, which the last host to configure Hangfire set. With
        // two hosts in one process (the tests), a host's dashboard read the other's storage, and its jobs ran in the
        // other's services. The log provider is process-wide only; ours outlives its host's logger factory.
        services.AddSingleton<JobStorage>(sp => string.IsNullOrWhiteSpace(redis)
            ? new InMemoryStorage()
            : new RedisStorage(sp.GetRequiredService<IConnectionMultiplexer>(), new RedisStorageOptions { Prefix = "taskhub:hangfire:" }));
        services.AddSingleton<JobActivator>(sp => new AspNetCoreJobActivator(sp.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((sp, cfg) => cfg.UseLogProvider(new HostLogProvider(sp.GetRequiredService<ILoggerFactory>())) // (first: nothing before it can throw)
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings()
            .UseStorage(sp.GetRequiredService<JobStorage>()).UseActivator(sp.GetRequiredService<JobActivator>()));
        services.AddHostedService<RecurringJobsRegistrar>();
        if (builder.Configuration.GetValue<bool?>($"{JobsOptions.Section}:{nameof(JobsOptions.ServerEnabled)}") ?? true)
            services.AddHangfireServer(o => o.WorkerCount = Math.Max(2, Environment.ProcessorCount));
        return builder;
    }

    /// <summary>The dashboard at /hangfire, for administrators only.</summary>
    public static WebApplication MapTaskHubJobs(this WebApplication app)
    {
        app.UseHangfireDashboard(DashboardPath, new DashboardOptions
        {
            DashboardTitle = "TaskHub jobs",
            AsyncAuthorization = [new AdministratorsOnly()],
            DisplayStorageConnectionString = false,
        }, app.Services.GetRequiredService<JobStorage>());

        return app;
    }

    /// <summary>Every recurring job, in one place: kebab-case ids, cron from <see cref="JobsOptions"/>.</summary>
    public static void RegisterRecurringJobs(IRecurringJobManager jobs, JobsOptions o)
    {
        jobs.AddOrUpdate<DeadlineReminderJob>(DeadlineReminderJob.Id, j => j.RunAsync(CancellationToken.None), o.RemindersCron);
        jobs.AddOrUpdate<PriorityEscalationJob>(PriorityEscalationJob.Id, j => j.RunAsync(CancellationToken.None), o.EscalationCron);
        jobs.AddOrUpdate<DigestJob>(DigestJob.Id, j => j.RunAsync(CancellationToken.None), o.DigestsCron);
        jobs.AddOrUpdate<ProgressReportJob>(ProgressReportJob.Id, j => j.RunAsync(CancellationToken.None), o.ReportsCron);
    }

    /// <summary>Registers the recurring jobs once storage answers (a replica that starts while Redis is down still starts).</summary>
    private sealed partial class RecurringJobsRegistrar(IRecurringJobManager jobs, IOptions<JobsOptions> options, ILogger<RecurringJobsRegistrar> log) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
            {
                try
                {
                    RegisterRecurringJobs(jobs, options.Value);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRetry(log, e, attempt);
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 2 * attempt)), stoppingToken);
                }
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register the recurring jobs (attempt {Attempt}); retrying")]
        private static partial void LogRetry(ILogger logger, Exception exception, int attempt);
    }

    /// <summary>
    /// Hangfire's loggers come from the host's logger factory, but Hangfire keeps one log provider per process: once the
    /// host that set it has stopped (a test's), its factory throws, and so did every Hangfire call of another host that
    /// made a logger (a dashboard page answered 500). After that, Hangfire's log lines are dropped.
    /// </summary>
    private sealed class HostLogProvider(ILoggerFactory factory) : Hangfire.Logging.ILogProvider
    {
        private readonly AspNetCoreLogProvider _inner = new(factory);

        public Hangfire.Logging.ILog GetLogger(string name)
        {
            try
            {
                return _inner.GetLogger(name);
            }
            catch (ObjectDisposedException)
            {
                return Dropped.Instance;
            }
        }

        private sealed class Dropped : Hangfire.Logging.ILog
        {
            public static readonly Dropped Instance = new();
            public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
        }
    }

    /// <summary>Browsers open the dashboard with <c>?access_token=…</c>; its own requests then carry the cookie.</summary>
    private sealed class DashboardTokenSource : IBearerTokenSource
    {
        public string? TokenFor(HttpContext http)
        {
            if (!http.Request.Path.StartsWithSegments(DashboardPath)) return null;
            if (http.Request.Query.TryGetValue("access_token", out var token)) return token.ToString();
            return http.Request.Cookies.TryGetValue(DashboardCookie, out var cookie) ? cookie : null;
        }
    }

    /// <summary>
    /// Lets in only signed-in users whose email is in <c>Jobs:AdminEmails</c>. Browsers open the dashboard with
    /// <c>/hangfire?access_token=…</c>; the token is then kept in an HttpOnly cookie scoped to /hangfire so the
    /// dashboard's own requests carry it. Anonymous → 401, anyone else → 403.
    /// </summary>
    private sealed class AdministratorsOnly : IDashboardAsyncAuthorizationFilter
    {
        public async Task<bool> AuthorizeAsync(DashboardContext context)
        {
            var http = context.GetHttpContext();
            if (http.User.Identity?.IsAuthenticated != true) return false;
            var admins = http.RequestServices.GetRequiredService<IOptions<JobsOptions>>().Value.AdminEmails;
            if (admins.Length == 0) return false;
            var userId = http.User.GetUserId();
            var db = http.RequestServices.GetRequiredService<TaskHubDbContext>();
            var email = await db.Users.Where(u => u.Id == userId).Select(u => u.NormalizedEmail).SingleOrDefaultAsync(http.RequestAborted);
            if (email is null || !admins.Any(a => User.Normalize(a) == email)) return false;
            if (http.Request.Query.TryGetValue("access_token", out var token))
                http.Response.Cookies.Append(DashboardCookie, token.ToString(), new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, Path = DashboardPath,
                    MaxAge = TimeSpan.FromMinutes(15),
                });
            return true;
        }
    }
}
