using TaskHub.Server.Data;

namespace TaskHub.Server.Features.Notifications;

/// <summary>
/// Wakes this replica's <see cref="OutboxDispatcher"/> when a change that wrote outbox rows has committed here
/// (<see cref="OutboxCommitted"/>), so an inbox notification, a webhook or an email is handed on at once rather than at
/// the next poll (<see cref="OutboxOptions.PollIntervalSeconds"/>, which stays for what this replica is not told of: the
/// rows of a replica that stopped before handing them on, or is busy, claims that ran out; a retry is waited for until
/// its time, <see cref="OutboxDispatcher.UntilNextDueAsync"/>). A wake-up that comes too early costs one more look and
/// no more.
/// </summary>
public sealed class OutboxSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Pulse"/>. Take it before looking for work, so a commit made while looking
    /// is not missed.</summary>
    public Task Next => Volatile.Read(ref _next).Task;

    public void Pulse() => Interlocked.Exchange(ref _next, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

/// <summary>Pulses the <see cref="OutboxSignal"/> when outbox rows commit (registered after <see cref="OutboxWriter"/>,
/// whose rows it then sees).</summary>
public sealed class OutboxCommitted(OutboxSignal signal) : AfterCommit<OutboxMessage>
{
    protected override void Committed(IReadOnlyList<OutboxMessage> committed) => signal.Pulse();
}
