using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Features.Jobs;

namespace TaskHub.Tests.Jobs;

public sealed class JobStorageTests
{
    /// <summary>
    /// Hangfire's own defaults resolve the process-wide <see cref="JobStorage.Current"/> and
    /// <see cref="JobActivator.Current"/>: whichever host configured Hangfire last. Two hosts in one process (as the test
    /// suite runs them) then read each other's storage and ran jobs in each other's services. Each host must keep its own.
    /// </summary>
    [Fact]
    public void EachHostKeepsTheJobStorageAndActivatorItConfiguredWhenAnotherHostConfiguresHangfireAfterIt()
    {
        using var first = JobsOnly();
        using var second = JobsOnly();

        first.GetRequiredService<IGlobalConfiguration>(); // the first host configures Hangfire…
        second.GetRequiredService<IGlobalConfiguration>(); // …then the second

        Assert.NotSame(second.GetRequiredService<JobStorage>(), first.GetRequiredService<JobStorage>());
        Assert.NotSame(second.GetRequiredService<JobActivator>(), first.GetRequiredService<JobActivator>());
    }

    /// <summary>
    /// Hangfire's log provider is process-wide only. Once the host that set it last had stopped, its logger factory
    /// threw, and so did every Hangfire call of the hosts still running that made a logger: a dashboard page answered
    /// 500 (CI, <c>TheJobsDashboardIsForAdministratorsOnly</c>).
    /// </summary>
    [Fact]
    public void HangfireStillMakesLoggersAfterTheHostThatConfiguredItLastHasStopped()
    {
        using var running = JobsOnly();
        running.GetRequiredService<IGlobalConfiguration>();
        var stopped = JobsOnly();
        stopped.GetRequiredService<IGlobalConfiguration>();
        stopped.Dispose();

        // Neither throws (each makes a logger from the provider the stopped host set last).
        _ = new RecurringJobManager(running.GetRequiredService<JobStorage>());
        Hangfire.Logging.LogProvider.GetLogger("TaskHub.Tests").Log(Hangfire.Logging.LogLevel.Info, () => "after the stop");
    }

    private static ServiceProvider JobsOnly()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Jobs:ServerEnabled"] = "false";
        builder.AddTaskHubJobs();
        return builder.Services.BuildServiceProvider();
    }
}
