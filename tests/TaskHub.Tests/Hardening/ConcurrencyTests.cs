using System.Net;
using System.Net.Http.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

public abstract class ConcurrencyTests(TaskHubApplication app, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task FiftyEditorsWithIfMatchGetExactlyOneWinnerPerVersion()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "contested" })).GetProperty("id").GetGuid();

        // Round after round, 50 clients race to edit the version they all read; each round exactly one wins.
        for (var version = 1; version <= 3; version++)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
                ada.Client.Patch($"/api/tasks/{id}", new { title = $"v{version} by {i}" }, ifMatch: $"\"{version}\"")));
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
            Assert.Equal(49, responses.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        }
        Assert.Equal(4, (await ada.Client.GetJson($"/api/tasks/{id}")).GetProperty("version").GetInt32());
        Assert.Equal(4, await ada.LastSeqAsync(board));
    }

    [Fact]
    public async Task ABoardsSeqStaysGapFreeUnderAThousandConcurrentWrites()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++) ids.Add((await ada.CreateTaskAsync(board, new { title = $"seed {i}" })).GetProperty("id").GetGuid());
        var started = DateTime.UtcNow;

        using var gate = new SemaphoreSlim(64); // 64 requests in flight at any moment, 1,000 in all
        var responses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                return i % 4 == 0
                    ? await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = $"c{i}" })
                    : await ada.Client.Patch($"/api/tasks/{ids[i % ids.Count]}", new { title = $"e{i}" });
            }
            finally { gate.Release(); }
        }));
        output.WriteLine($"{app.Provider}: 1,000 concurrent writes in {(DateTime.UtcNow - started).TotalSeconds:0.0} s");

        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode, ((int)r.StatusCode).ToString()));
        var seqs = new List<long>();
        for (long after = 0; ; )
        {
            var page = (await ada.Client.GetJson($"/api/boards/{board}/events?after={after}")).EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
            if (page.Count == 0) break;
            seqs.AddRange(page);
            after = page[^1];
        }
        Assert.Equal(Enumerable.Range(1, 1010).Select(i => (long)i), seqs);
    }
}

public sealed class ConcurrencyTestsOnSqlite(SqliteApplication app, Xunit.Abstractions.ITestOutputHelper output)
    : ConcurrencyTests(app, output), IClassFixture<SqliteApplication>;

public sealed class ConcurrencyTestsOnMariaDb(MariaDbApplication app, Xunit.Abstractions.ITestOutputHelper output)
    : ConcurrencyTests(app, output), IClassFixture<MariaDbApplication>;
