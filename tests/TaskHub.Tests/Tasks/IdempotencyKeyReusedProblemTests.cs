using System.Net;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Tasks;

/// <summary>
/// A key sent again with another request is the caller's mistake: its 422 is a problem naming the field
/// (<see cref="IdempotencyKeys.Field"/>), as the 400 of a malformed key does — on each of the three ways a reuse is
/// found (the key's save refused, a refusal replaced, an upload's look-up first).
/// </summary>
public abstract class IdempotencyKeyReusedProblemTests(TaskHubApplication app)
{
    private static async Task AssertReusedNamingTheKeyAsync(HttpResponseMessage response)
    {
        var problem = await response.Json(HttpStatusCode.UnprocessableEntity);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(IdempotencyKeys.ReusedType, problem.GetProperty("type").GetString());
        Assert.True(problem.TryGetProperty("field", out var field), $"The 422 names no field: {problem}");
        Assert.Equal(IdempotencyKeys.Field, field.GetString());
    }

    [Fact]
    public async Task AKeyReusedWithAnotherRequestIsA422NamingTheKey()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var taskId = (await ada.CreateTaskAsync(board, new { title = "Card" })).GetProperty("id").GetGuid();
        var key = Guid.NewGuid().ToString();
        await (await IdempotencyKeyTests.SendAsync(ada, HttpMethod.Post, $"/api/boards/{board}/tasks", new { title = "One" }, key)).Json(HttpStatusCode.Created);

        // Another body on the same endpoint: the save refused on the key.
        await AssertReusedNamingTheKeyAsync(await IdempotencyKeyTests.SendAsync(ada, HttpMethod.Post, $"/api/boards/{board}/tasks", new { title = "Two" }, key));
        // A request that changes nothing (archiving an archived card): its answer is replaced by the key's record's.
        await (await ada.Client.PostAsync($"/api/tasks/{taskId}/archive", null)).Json(HttpStatusCode.OK);
        await AssertReusedNamingTheKeyAsync(await IdempotencyKeyTests.SendAsync(ada, HttpMethod.Post, $"/api/tasks/{taskId}/archive", new { }, key));
        // An upload, which looks its key up first.
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{taskId}/attachments")
        {
            Content = new MultipartFormDataContent { { new ByteArrayContent("notes"u8.ToArray()), "file", "notes.txt" } },
        };
        request.Headers.TryAddWithoutValidation(IdempotencyKeys.Header, key);
        await AssertReusedNamingTheKeyAsync(await ada.Client.SendAsync(request));
        Assert.Empty((await ada.Client.GetJson($"/api/tasks/{taskId}/attachments")).EnumerateArray());
    }
}

public sealed class IdempotencyKeyReusedProblemTestsOnSqlite(SqliteApplication app) : IdempotencyKeyReusedProblemTests(app), IClassFixture<SqliteApplication>;

public sealed class IdempotencyKeyReusedProblemTestsOnMariaDb(MariaDbApplication app) : IdempotencyKeyReusedProblemTests(app), IClassFixture<MariaDbApplication>;
