namespace TaskHub.Server.Infrastructure;

public static class TaskExtensions
{
    /// <summary>A task left to finish on its own (a write past its wait, a Redis call past its bound): its failure is seen,
    /// not left to the finaliser as an unobserved exception.</summary>
    public static void ObserveFault(this Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
