using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Tests.Hardening;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>Answers kept for a second before they are stored (so a test can act in between), with the log kept.</summary>
public interface ISlowAnswersFixture
{
    ConcurrentQueue<string> Lines { get; }
}

public sealed class SqliteSlowAnswersApplication : SqliteApplication, ISlowAnswersFixture
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public SqliteSlowAnswersApplication() => Settings["Idempotency:AnswerBatchMilliseconds"] = "1000";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        LogCapturingApplication.CaptureInto(builder, Lines);
    }
}

public sealed class MariaDbSlowAnswersApplication : MariaDbApplication, ISlowAnswersFixture
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public MariaDbSlowAnswersApplication() => Settings["Idempotency:AnswerBatchMilliseconds"] = "1000";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        LogCapturingApplication.CaptureInto(builder, Lines);
    }
}

/// <summary>
/// The answers' own table (idempotent_answers, inserted by <see cref="AnswerKeeper"/>): an answer whose key's row is gone
/// by the time it is stored (its account deleted meanwhile) is dropped, as the UPDATE of no row that kept answers before
/// did; inserted plainly it failed its foreign key and took its whole batch with it (a review of this round's change).
/// </summary>
public abstract class IdempotentAnswersOfGoneKeysTests<TApp>(TApp app) where TApp : TaskHubApplication, ISlowAnswersFixture
{
    private static Task<HttpResponseMessage> PostAsync(TestUser user, string url, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, key);
        return user.Client.SendAsync(request);
    }

    private Task<bool> KeptAsync(Guid user, string key) =>
        app.DbAsync(db => db.Set<IdempotentAnswer>().AnyAsync(a => a.UserId == user && a.Key == key));

    /// <summary>Ada writes with a key and deletes her account before her answer is stored (the keeper's batch waits 1 s
    /// here); Bob's keyed write shares that batch. Ada's answer has no key row left to go with: it should be dropped
    /// quietly (as the UPDATE of no row was), and Bob's kept in the batch's one transaction.</summary>
    [Fact]
    public async Task AnAnswerWhoseAccountIsDeletedMeanwhileDoesNotFailItsBatch()
    {
        var keeper = app.Services.GetRequiredService<AnswerKeeper>();
        // The deletion must come before the batch is stored (1 s after the first answer): on a loaded machine it may not,
        // and the scenario is then played again with new people.
        for (var attempt = 1; ; attempt++)
        {
            var ada = await app.SignUpAsync("Ada");
            var bob = await app.SignUpAsync("Bob");
            var adas = await ada.CreateBoardAsync();
            var bobs = await bob.CreateBoardAsync();
            var (adaKey, bobKey) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
            var shared = keeper.SharedTransactions;
            app.Lines.Clear();

            await (await PostAsync(ada, $"/api/boards/{adas}/tasks", new { title = "Ada's" }, adaKey)).Json(HttpStatusCode.Created);
            await (await PostAsync(bob, $"/api/boards/{bobs}/tasks", new { title = "Bob's" }, bobKey)).Json(HttpStatusCode.Created);
            await (await ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password })).Json(HttpStatusCode.NoContent);
            if (await KeptAsync(bob.Id, bobKey))
            {
                Assert.True(attempt < 5, "the batch was stored before the account's deletion in 5 attempts (too slow a machine)");
                continue;
            }
            await CheckAsync(keeper, bob, bobs, bobKey, shared);
            return;
        }
    }

    private async Task CheckAsync(AnswerKeeper keeper, TestUser bob, Guid bobs, string bobKey, int shared)
    {
        Assert.True(await LiveBoard.EventuallyAsync(() => KeptAsync(bob.Id, bobKey), 10), "Bob's answer was never kept");
        var again = await IdempotencyKeyTests.RepeatAsync(() => PostAsync(bob, $"/api/boards/{bobs}/tasks", new { title = "Bob's" }, bobKey));
        await again.Json(HttpStatusCode.Created);
        Assert.True(again.Headers.Contains(IdempotencyKeys.ReplayedHeader));

        var failures = app.Lines.Where(l => l.Contains("Could not keep", StringComparison.Ordinal)).ToList();
        Assert.True(failures.Count == 0, $"The answer keeper failed on an answer whose key's row was gone:\n{string.Join("\n", failures.Select(f => f.Length > 600 ? f[..600] : f))}");
        Assert.True(keeper.SharedTransactions > shared, "Bob's answer was not kept in the batch's transaction (the batch failed and was redone one answer at a time)");
    }
}

public sealed class IdempotentAnswersOfGoneKeysTestsOnSqlite(SqliteSlowAnswersApplication app)
    : IdempotentAnswersOfGoneKeysTests<SqliteSlowAnswersApplication>(app), IClassFixture<SqliteSlowAnswersApplication>;

public sealed class IdempotentAnswersOfGoneKeysTestsOnMariaDb(MariaDbSlowAnswersApplication app)
    : IdempotentAnswersOfGoneKeysTests<MariaDbSlowAnswersApplication>(app), IClassFixture<MariaDbSlowAnswersApplication>;
