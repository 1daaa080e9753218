using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using StackExchange.Redis;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

/// <summary>Settings under <c>Auth:Limits</c>: throttling and lockout of the anonymous auth endpoints.</summary>
public sealed class AuthLimitsOptions
{
    public const string Section = "Auth:Limits";

    /// <summary>Register, log-in and refresh requests per client address per minute.</summary>
    [Range(1, 1_000_000)] public int PerAddressPerMinute { get; set; } = 30;
    /// <summary>Log-in attempts per account (email) per minute, whoever makes them.</summary>
    [Range(1, 1_000_000)] public int PerAccountPerMinute { get; set; } = 10;
    /// <summary>Failed log-ins that lock an account (known or not: the answer is the same) …</summary>
    [Range(1, 1_000)] public int LockoutFailures { get; set; } = 5;
    /// <summary>… for this many minutes after the last failure.</summary>
    [Range(1, 1_440)] public int LockoutMinutes { get; set; } = 15;

    /// <summary>Scaled out: the longest a counter waits for Redis before the throttle counts on this replica alone
    /// (above the Redis client's own timeout, that one answers first) …</summary>
    [Range(10, 60_000)] public int StoreTimeoutMilliseconds { get; set; } = 1_000;

    /// <summary>… and for this many seconds after such a failure it counts on this replica without asking Redis, so a
    /// link to Redis that stalled costs the auth endpoints one bounded wait per period (those in flight as it began each
    /// wait theirs), not one per counter of every request. 0: Redis is asked every time.</summary>
    [Range(0, 3_600)] public int StoreRetrySeconds { get; set; } = 10;
}

/// <summary>Counters with an expiry, shared by every replica (Redis) or in-process when embedded.</summary>
public interface ICounterStore
{
    Task<long> IncrementAsync(string key, TimeSpan window);
    Task<long> GetAsync(string key);
    Task ResetAsync(string key);
}

/// <summary>
/// Counters in Redis. While Redis is unreachable, fails, or does not answer within
/// <see cref="AuthLimitsOptions.StoreTimeoutMilliseconds"/>, the throttle counts in this replica's memory instead and
/// says so in the log: people can still log in during a Redis outage, and the limits and lockout hold per replica (so
/// at most the replica count times as loose) rather than not at all. After such a failure it does not ask Redis for
/// <see cref="AuthLimitsOptions.StoreRetrySeconds"/>. Before, each counter waited out the client's own timeout (5 s by
/// default) and then read 0: while this replica's link to Redis stalled, a log-in (four counters) took 20 s and every
/// token refresh 5 s, with no limit at all.
/// <para>
/// What was counted here without asking Redis is owed to it: once Redis answers again, this replica sends every such
/// count (INCRBY, with what is left of the local window when Redis has no such key) and every reset made meanwhile (a
/// log-in that succeeded: the key is deleted there), right after the first answer and with a key's next use, whichever
/// comes first; a replica asked nothing more tries on its own once each retry period is over (at least a second apart),
/// until it has paid. Failed log-ins made during an outage so count toward the shared lockout after it, on every replica. A
/// command Redis was asked for and did not answer in time is owed again only once the Redis client reports it was never
/// sent (it failed in its backlog) or Redis refused it: a stall that resumes delivers it late, and sending it again would
/// count it twice. A key's counts and clearings are issued in the order they were made (see <c>_gates</c>); those the
/// client never sent are sent again clearings first.
/// A pending reset older than the lockout is dropped (the key has expired there too).
/// </para>
/// </summary>
public sealed partial class RedisCounterStore(IConnectionMultiplexer redis, Microsoft.Extensions.Options.IOptions<AuthLimitsOptions> options,
    TimeProvider clock, ILogger<RedisCounterStore> log) : ICounterStore, IDisposable
{
    /// <summary>KEYS[1] += ARGV[1]; a key made by it expires in ARGV[2] ms.</summary>
    private const string AddScript = "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return n";
    private IDatabase Db => redis.GetDatabase();
    /// <summary>Until when (<see cref="TimeProvider.GetTimestamp"/>) Redis is not asked.</summary>
    private long _skipUntil;
    /// <summary>Where the counting goes while Redis is not asked.</summary>
    private readonly InProcessCounterStore _here = new(clock);
    /// <summary>Keys reset here while Redis was not asked or failed, with when: deleted there once it answers.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _resets = new();
    /// <summary>1 while something counted or reset here may be owed to Redis; 1 while a <see cref="PayOwedAsync"/> runs.</summary>
    private int _owed, _paying;
    /// <summary>1 while a <see cref="PayLaterAsync"/> waits; cancelled when the store is disposed (the app stops).</summary>
    private int _payLater;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Per key (64 stripes, so keys of one stripe share a gate): a key's unsent part is taken and its count
    /// issued, and a clearing of the key is made (or a pending one taken) and its delete issued, each in one hold of the
    /// key's gate. The commands are only issued there (one connection keeps their order), not awaited. So a clearing made
    /// after a payment took a key's count is issued after that count, and a count made after a pending clearing was taken
    /// is issued after its delete; before, either could go first (a count lost, or failures back after a successful
    /// log-in). Commands the Redis client then fails unsent are owed again outside the gate and paid clearings first.
    /// <c>ThrottleOrderTests</c>.</summary>
    private readonly object[] _gates = [.. Enumerable.Range(0, 64).Select(_ => new object())];

    private object Gate(string key) => _gates[(uint)StringComparer.Ordinal.GetHashCode(key) % (uint)_gates.Length];

    public async Task<long> IncrementAsync(string key, TimeSpan window)
    {
        if (Skipping || !await ResetOwedAsync(key)) return Owe(_here.Increment(key, window, unsent: true));
        long carried = 0;
        return await OrHere(() => TakeAndAdd(key, window, 1, out carried), () => _here.Increment(key, window, unsent: false),
            neverSent: () => OweAgain(key, carried + 1));
    }

    public async Task<long> GetAsync(string key)
    {
        if (Skipping || !await ResetOwedAsync(key)) return _here.Get(key);
        long carried = 0;
        return await OrHere(() => TakeAndAdd(key, TimeSpan.Zero, 0, out carried), () => _here.Get(key),
            neverSent: () => OweAgain(key, carried));
    }

    /// <summary>In the key's gate: takes its unsent part and issues the count of it plus <paramref name="add"/> (a plain
    /// read when both are 0).</summary>
    private Task<long> TakeAndAdd(string key, TimeSpan window, long add, out long carried)
    {
        lock (Gate(key))
        {
            (carried, var left) = _here.TakeUnsent(key, window);
            return carried + add == 0 ? ReadAsync(key) : AddAsync(key, carried + add, left);
        }
    }

    private async Task<long> ReadAsync(string key) => (long?)await Db.StringGetAsync("taskhub:" + key) ?? 0;

    /// <summary>A count the Redis client never sent is owed again on the key's entry (nothing when there is none).</summary>
    private void OweAgain(string key, long count)
    {
        if (count > 0) Owe(_here.AddUnsent(key, count));
    }

    public async Task ResetAsync(string key)
    {
        if (_resets.Count > 10_000) // (a long outage with many log-ins: those older than the lockout are of no use)
            foreach (var (k, at) in _resets) if (Stale(at)) _resets.TryRemove(k, out _);
        Task<bool> deleted;
        lock (Gate(key))
        {
            _here.Reset(key); // (what was counted here during an outage goes too)
            _resets[key] = clock.GetUtcNow();
            deleted = ResetOwedAsync(key);
        }
        await deleted;
    }

    /// <summary>Sent as a plain EVAL each time (the script is short): with EVALSHA, a Redis that lost its script cache
    /// (a failover, <c>SCRIPT FLUSH</c>) answers NOSCRIPT and the client sends the script again itself, later, outside the
    /// key's gate.</summary>
    private async Task<long> AddAsync(string key, long count, TimeSpan left) => (long)await Db.ScriptEvaluateAsync(AddScript,
        [(RedisKey)("taskhub:" + key)], [count, Math.Max(1, (long)Math.Ceiling(left.TotalMilliseconds))], // (PEXPIRE 0 would delete it)
        CommandFlags.NoScriptCache);

    /// <summary>Deletes the key in Redis if a reset of it is pending (dropped once older than the lockout); false when
    /// Redis was not asked or failed: it stays pending unless the delete may still land. The reset is taken and its delete
    /// issued in the key's gate (see <see cref="_gates"/>).</summary>
    private Task<bool> ResetOwedAsync(string key)
    {
        if (_resets.IsEmpty) return Task.FromResult(true); // (nothing to take, so nothing to order)
        lock (Gate(key))
        {
            if (!_resets.TryRemove(key, out var at) || Stale(at)) return Task.FromResult(true);
            if (Skipping)
            {
                _resets.TryAdd(key, at);
                return Task.FromResult(Owe(false));
            }
            return Deleted(OrHere(async () => { await Db.KeyDeleteAsync("taskhub:" + key); return 1L; }, () => 0L,
                neverSent: () => Owe(_resets.TryAdd(key, at))));
        }

        static async Task<bool> Deleted(Task<long> asked) => await asked == 1;
    }

    /// <summary>Sends what is owed to Redis (once it answers again): pending resets first, then the counts made here alone,
    /// and again while more became owed meanwhile. Stops at Redis's first failure; what is left stays owed.</summary>
    private async Task PayOwedAsync()
    {
        if (Interlocked.CompareExchange(ref _paying, 1, 0) != 0) return;
        var paid = false;
        try
        {
            while (Interlocked.Exchange(ref _owed, 0) == 1)
            {
                foreach (var key in _resets.Keys)
                    if (!await ResetOwedAsync(key)) return;
                foreach (var key in _here.KeysWithUnsent())
                {
                    long carried = 0;
                    var failed = false;
                    await OrHere(() => TakeAndAdd(key, TimeSpan.Zero, 0, out carried), () => { failed = true; return 0; },
                        neverSent: () => OweAgain(key, carried));
                    if (failed) return;
                }
            }
            paid = true;
        }
        finally
        {
            if (!paid) Owe(0); // (what is left stays owed: the next answer from Redis starts again)
            Volatile.Write(ref _paying, 0);
        }
    }

    /// <summary>Marks something owed to Redis (and has it tried later, should nobody ask Redis meanwhile); returns
    /// <paramref name="value"/>.</summary>
    private T Owe<T>(T value)
    {
        Volatile.Write(ref _owed, 1);
        if (Interlocked.CompareExchange(ref _payLater, 1, 0) == 0) PayLaterAsync().ObserveFault();
        return value;
    }

    /// <summary>Once the retry period is over (at least a second from now), pays what is still owed: a replica that is asked
    /// nothing more pays too. A payment that fails owes again and so comes back here: one try per period while Redis is
    /// out, none once all is paid.</summary>
    private async Task PayLaterAsync()
    {
        var retry = Math.Max(1, options.Value.StoreRetrySeconds);
        try
        {
            var left = (Interlocked.Read(ref _skipUntil) - clock.GetTimestamp()) / (double)clock.TimestampFrequency;
            await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(left, 1, retry)), clock, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return; // (stays 1: nothing is tried after the store is disposed)
        }
        Volatile.Write(ref _payLater, 0);
        if (Volatile.Read(ref _owed) == 0) return;
        try
        {
            await PayOwedAsync();
        }
        catch (Exception e)
        {
            // Not Redis's failure (OrHere answers that): a bug, or the app stopping. Owed again (PayOwedAsync's finally),
            // so tried next period; logged once a period.
            var now = clock.GetTimestamp();
            var last = Interlocked.Exchange(ref _payFailedLogged, now);
            if (last == 0 || now - last >= retry * clock.TimestampFrequency) LogPaymentFailed(log, e);
        }
    }

    /// <summary>When (<see cref="TimeProvider.GetTimestamp"/>) a payment last failed other than by Redis; 0: never.</summary>
    private long _payFailedLogged;

    public void Dispose() => _stopping.Cancel(); // (not disposed itself: a late Owe still reads its token)

    /// <summary>A clearing made longer ago than the lockout: the key it cleared has expired in Redis too.</summary>
    private bool Stale(DateTimeOffset resetAt) => clock.GetUtcNow() - resetAt > TimeSpan.FromMinutes(options.Value.LockoutMinutes);

    private bool Skipping => clock.GetTimestamp() < Interlocked.Read(ref _skipUntil);

    /// <summary>Redis's answer to <paramref name="call"/> within the bound (and then, if anything is owed to Redis, its
    /// payment begins), or else (the failure logged once per period) <paramref name="here"/>; <paramref name="neverSent"/>
    /// runs if the Redis client reports, now or later, that the command was never sent.</summary>
    private async Task<long> OrHere(Func<Task<long>> call, Func<long> here, Action? neverSent = null)
    {
        var o = options.Value;
        var asked = call();
        try
        {
            var answer = await asked.WaitAsync(TimeSpan.FromMilliseconds(o.StoreTimeoutMilliseconds), clock);
            if (Volatile.Read(ref _owed) == 1 && Volatile.Read(ref _paying) == 0) Task.Run(PayOwedAsync).ObserveFault(); // (not on the request's time)
            return answer;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            var now = clock.GetTimestamp();
            var until = now + (long)(o.StoreRetrySeconds * (double)clock.TimestampFrequency);
            if (Interlocked.Exchange(ref _skipUntil, until) <= now) LogUnavailable(log, e, o.StoreRetrySeconds); // once per retry period, not per request
            var counted = here(); // (first: what was never sent is owed on the key's entry, which this may make)
            _ = asked.ContinueWith(t => // (observes its fault too; its own timeout ends it)
            {
                if (t.Exception?.InnerException is { } failed && NeverSent(failed)) neverSent?.Invoke();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return counted;
        }
    }

    /// <summary>Whether the command was not done: the Redis client failed it before sending it (in its backlog while
    /// disconnected), or Redis refused it (READONLY after a failover, OOM, LOADING).</summary>
    private static bool NeverSent(Exception e) => e is RedisServerException
        || ((e as RedisConnectionException)?.CommandStatus ?? (e as RedisTimeoutException)?.Commandstatus)
            is CommandStatus.WaitingToBeSent or CommandStatus.WaitingInBacklog;

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending what the auth throttle counted on this replica alone to Redis failed; tried again next period")]
    private static partial void LogPaymentFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable or does not answer: auth throttling counts on this replica alone until it is back (asked again every {RetrySeconds} s)")]
    private static partial void LogUnavailable(ILogger logger, Exception exception, int retrySeconds);
}

/// <summary>The embedded mode's counters (one process: its memory is the shared store); a scaled-out replica's while Redis is not there.</summary>
public sealed class InProcessCounterStore(TimeProvider clock) : ICounterStore
{
    /// <summary>A live count, and how much of it no other store has been asked to count (<see cref="RedisCounterStore"/>).</summary>
    private readonly record struct Entry(long Count, long Unsent, DateTimeOffset Expires);

    private readonly ConcurrentDictionary<string, Entry> _counters = new();

    public Task<long> IncrementAsync(string key, TimeSpan window) => Task.FromResult(Increment(key, window, unsent: false));

    public Task<long> GetAsync(string key) => Task.FromResult(Get(key));

    public Task ResetAsync(string key)
    {
        Reset(key);
        return Task.CompletedTask;
    }

    internal void Reset(string key) => _counters.TryRemove(key, out _);

    /// <summary>Counts one; <paramref name="unsent"/>: one that no other store was asked to count.</summary>
    internal long Increment(string key, TimeSpan window, bool unsent)
    {
        var now = clock.GetUtcNow();
        var add = unsent ? 1 : 0;
        var v = _counters.AddOrUpdate(key, _ => new(1, add, now + window),
            (_, old) => old.Expires <= now ? new(1, add, now + window) : old with { Count = old.Count + 1, Unsent = old.Unsent + add });
        if (_counters.Count > 100_000) Sweep(now);
        return v.Count;
    }

    /// <summary>Adds <paramref name="count"/> to the live key's unsent part (a send that failed); nothing when the key has
    /// expired meanwhile (its window is over).</summary>
    internal bool AddUnsent(string key, long count)
    {
        while (true)
        {
            if (!_counters.TryGetValue(key, out var v) || v.Expires <= clock.GetUtcNow()) return false;
            if (_counters.TryUpdate(key, v with { Unsent = v.Unsent + count }, v)) return true;
        }
    }

    /// <summary>The live keys with an unsent part.</summary>
    internal List<string> KeysWithUnsent()
    {
        var now = clock.GetUtcNow();
        return [.. _counters.Where(c => c.Value.Unsent > 0 && c.Value.Expires > now).Select(c => c.Key)];
    }

    internal long Get(string key) => _counters.TryGetValue(key, out var v) && v.Expires > clock.GetUtcNow() ? v.Count : 0;

    /// <summary>The live key's unsent part (now taken: counted as sent) and what is left of its window; (0, <paramref name="window"/>) without one.</summary>
    internal (long Unsent, TimeSpan Left) TakeUnsent(string key, TimeSpan window)
    {
        while (true)
        {
            var now = clock.GetUtcNow();
            if (!_counters.TryGetValue(key, out var v) || v.Expires <= now || v.Unsent == 0) return (0, window);
            if (_counters.TryUpdate(key, v with { Unsent = 0 }, v)) return (v.Unsent, v.Expires - now);
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (k, v) in _counters) if (v.Expires <= now) _counters.TryRemove(k, out _);
    }
}

/// <summary>
/// Throttles the anonymous auth endpoints per client address (fixed one-minute windows) and log-in per account,
/// and locks an account after repeated failures — for unknown emails too, so the answers never reveal which
/// addresses have accounts.
/// </summary>
public sealed class AuthThrottle(ICounterStore counters, Microsoft.Extensions.Options.IOptions<AuthLimitsOptions> options, TimeProvider clock)
{
    private AuthLimitsOptions O => options.Value;
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    public static string AddressOf(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>Counts one request from the caller's address; false when over the limit.</summary>
    public async Task<bool> AllowAddressAsync(HttpContext http) =>
        await counters.IncrementAsync($"rl:addr:{AddressOf(http)}:{Window()}", Minute) <= O.PerAddressPerMinute;

    public async Task<bool> AllowAccountAsync(string normalizedEmail) =>
        await counters.IncrementAsync($"rl:acct:{normalizedEmail}:{Window()}", Minute) <= O.PerAccountPerMinute;

    public async Task<bool> IsLockedAsync(string normalizedEmail) =>
        await counters.GetAsync($"lock:{normalizedEmail}") >= O.LockoutFailures;

    public Task RecordFailureAsync(string normalizedEmail) =>
        counters.IncrementAsync($"lock:{normalizedEmail}", TimeSpan.FromMinutes(O.LockoutMinutes));

    public Task RecordSuccessAsync(string normalizedEmail) => counters.ResetAsync($"lock:{normalizedEmail}");

    public int LockoutMinutes => O.LockoutMinutes;

    private string Window() => (clock.GetUtcNow().ToUnixTimeSeconds() / 60).ToString(CultureInfo.InvariantCulture);

    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooMany(HttpContext http, int retryAfterSeconds, string detail)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");
    }
}

/// <summary>The per-address limit as an endpoint filter on the anonymous auth endpoints.</summary>
public sealed class AuthAddressLimitFilter(AuthThrottle throttle) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (!await throttle.AllowAddressAsync(context.HttpContext))
            return AuthThrottle.TooMany(context.HttpContext, 60, "Too many requests from your address. Wait a minute and try again.");
        return await next(context);
    }
}
