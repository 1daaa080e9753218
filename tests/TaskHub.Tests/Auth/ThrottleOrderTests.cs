using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TaskHub.Server.Features.Auth;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Auth;

/// <summary>
/// The tests' Redis, seen by a <see cref="RedisCounterStore"/> through a link that can fail every command (Redis away) or
/// hold one command of a kind just before it is issued, as the scheduler may pause a thread there. Every command goes to
/// the real Redis, on the real client's one connection, in the order it is issued.
/// </summary>
public class HeldRedis : DispatchProxy
{
    private object _target = null!;
    private HeldRedis _link = null!; // (the multiplexer's proxy, which holds the state; the database's proxy reads it)
    private object? _database;

    public volatile bool Down;
    private string? _hold;
    public readonly ManualResetEventSlim Held = new();
    private readonly ManualResetEventSlim _release = new();
    /// <summary>What was issued, in order: the method and its key.</summary>
    public readonly ConcurrentQueue<(string Method, string Key)> Issued = new();

    public static (IConnectionMultiplexer Multiplexer, HeldRedis Link) Over(IConnectionMultiplexer real)
    {
        var multiplexer = Create<IConnectionMultiplexer, HeldRedis>();
        var link = (HeldRedis)(object)multiplexer;
        link._target = real;
        link._link = link;
        var database = Create<IDatabase, HeldRedis>();
        var d = (HeldRedis)(object)database;
        d._target = real.GetDatabase();
        d._link = link;
        link._database = database;
        return (multiplexer, link);
    }

    /// <summary>The next command named <paramref name="method"/> waits, before it is issued, for <see cref="Release"/>.</summary>
    public void HoldNext(string method) => Volatile.Write(ref _hold, method);

    public void Release() => _release.Set();

    /// <summary>Lets a held command go (a test that failed early), then frees the events. (Not <c>Dispose</c>: the proxy is
    /// an <see cref="IConnectionMultiplexer"/>, whose <c>Dispose</c> it forwards.)</summary>
    public void Free()
    {
        Release();
        Held.Dispose();
        _release.Dispose();
    }

    /// <summary>Until a command named <paramref name="method"/> was issued (at most <paramref name="seconds"/>).</summary>
    public bool WaitIssued(string method, double seconds) =>
        SpinWait.SpinUntil(() => Issued.Any(i => i.Method == method), TimeSpan.FromSeconds(seconds));

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name == nameof(IConnectionMultiplexer.GetDatabase) && _database is not null) return _database;
        if (_target is IDatabase)
        {
            if (_link.Down) throw new TimeoutException("Redis is away (test)");
            if (Interlocked.CompareExchange(ref _link._hold, null, method.Name) == method.Name)
            {
                _link.Held.Set();
                if (!_link._release.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("the held command was never released (test)");
            }
            var key = args?.FirstOrDefault(a => a is RedisKey or RedisKey[]) switch
            {
                RedisKey k => (string)k!,
                RedisKey[] ks when ks.Length > 0 => (string)ks[0]!,
                _ => "",
            };
            _link.Issued.Enqueue((method.Name, key));
        }
        try
        {
            return method.Invoke(_target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}

/// <summary>
/// A key's count carried to Redis after an outage and a clearing of the key (a log-in that succeeds) are ordered per key
/// on the replica (<c>RedisCounterStore</c>'s gates): whichever was made first is issued first, on the one connection that
/// keeps their order. Each test pauses one command just before it is issued and makes the other meanwhile.
/// </summary>
public sealed class ThrottleOrderTests : IAsyncLifetime
{
    private ConnectionMultiplexer _real = null!;
    private readonly string _key = $"lock:order-{Guid.NewGuid():N}";
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    public async Task InitializeAsync() => _real = await ConnectionMultiplexer.ConnectAsync(MariaDbApplication.RedisConnectionString);

    private HeldRedis? _link;

    public async Task DisposeAsync()
    {
        _link?.Free();
        await _real.GetDatabase().KeyDeleteAsync("taskhub:" + _key);
        await _real.DisposeAsync();
    }

    private static RedisCounterStore Store(IConnectionMultiplexer redis) => new(redis,
        Options.Create(new AuthLimitsOptions { StoreRetrySeconds = 1, StoreTimeoutMilliseconds = 5_000 }), TimeProvider.System,
        NullLogger<RedisCounterStore>.Instance);

    /// <summary>While the held command waits: <paramref name="other"/> on another thread; whether its command
    /// (<paramref name="method"/>) was issued within a second, before the held one goes.</summary>
    private static async Task<bool> MeanwhileAsync(HeldRedis link, Func<Task> other, string method)
    {
        var running = Task.Run(other);
        var wentFirst = link.WaitIssued(method, 1);
        link.Release();
        await running;
        return wentFirst;
    }

    /// <summary>What Redis holds for the key once what was issued before has been done (read on the same connection).</summary>
    private async Task<long?> HeldInRedisAsync() => (long?)await _real.GetDatabase().StringGetAsync("taskhub:" + _key);

    /// <summary>
    /// Three failures counted on the replica alone while Redis was away. Once the retry period is over the replica sends
    /// them; while that count is held just before it is issued, a log-in on the account succeeds (it clears the failures).
    /// The clearing's delete waits for the count and lands after it: Redis holds nothing for the key. Before, the delete
    /// went out first and the three failures came back after the successful log-in.
    /// </summary>
    [Fact]
    public async Task AClearingMadeWhileAPaymentSendsTheKeysCountLandsAfterIt()
    {
        var (redis, link) = HeldRedis.Over(_real);
        _link = link;
        using var store = Store(redis);
        link.Down = true;
        for (var i = 0; i < 4; i++) await store.IncrementAsync(_key, Window); // (the first was asked of Redis: not owed; three are)
        link.HoldNext(nameof(IDatabase.ScriptEvaluateAsync));
        link.Down = false;
        Assert.True(link.Held.Wait(TimeSpan.FromSeconds(20)), "the replica did not send what it owed");

        var deleteWentFirst = await MeanwhileAsync(link, () => store.ResetAsync(_key), nameof(IDatabase.KeyDeleteAsync));

        Assert.False(deleteWentFirst, "the clearing's delete was issued while the count taken before it was held");
        Assert.Equal([nameof(IDatabase.ScriptEvaluateAsync), nameof(IDatabase.KeyDeleteAsync)],
            link.Issued.Where(i => i.Key == "taskhub:" + _key).Select(i => i.Method));
        Assert.Null(await HeldInRedisAsync());
    }

    /// <summary>
    /// A log-in that succeeded while Redis was away left a clearing pending. Once the retry period is over the replica
    /// sends it; while its delete is held just before it is issued, a failed log-in counts one. The count waits for the
    /// delete and lands after it: Redis holds 1. Before, the count went out first and the delete took it away.
    /// </summary>
    [Fact]
    public async Task ACountMadeWhileAPendingClearingIsSentLandsAfterIt()
    {
        await _real.GetDatabase().StringSetAsync("taskhub:" + _key, 3, Window); // (three failures before the outage)
        var (redis, link) = HeldRedis.Over(_real);
        _link = link;
        using var store = Store(redis);
        link.Down = true;
        await store.GetAsync("other:" + _key); // (fails: the retry period begins)
        await store.ResetAsync(_key); // (not asked of Redis: pending)
        link.HoldNext(nameof(IDatabase.KeyDeleteAsync));
        link.Down = false;
        Assert.True(link.Held.Wait(TimeSpan.FromSeconds(20)), "the replica did not send the pending clearing");

        var countWentFirst = await MeanwhileAsync(link, () => store.IncrementAsync(_key, Window), nameof(IDatabase.ScriptEvaluateAsync));

        Assert.False(countWentFirst, "the count was issued while the clearing taken before it was held");
        Assert.Equal([nameof(IDatabase.KeyDeleteAsync), nameof(IDatabase.ScriptEvaluateAsync)],
            link.Issued.Where(i => i.Key == "taskhub:" + _key).Select(i => i.Method));
        Assert.Equal(1, await HeldInRedisAsync());
    }
}
