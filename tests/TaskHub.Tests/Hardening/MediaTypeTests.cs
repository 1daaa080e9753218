using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// A body an endpoint does not take (no Content-Type, or another type) answers 415 with a problem naming Content-Type
/// and what the endpoint takes, not 404 (a malformed id is still 404), and changes nothing; with the browser board's
/// fallback route (which answered 404) and without it (a 415 naming nothing): Infrastructure/UnsupportedMediaType.cs.
/// </summary>
public abstract class MediaTypeTests(TaskHubApplication app)
{
    private static HttpRequestMessage Request(HttpMethod method, string url, string body, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return new HttpRequestMessage(method, url) { Content = content };
    }

    private static async Task AssertUnsupported(HttpResponseMessage response, string accepted)
    {
        var problem = await response.Json(HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.TryGetProperty("header", out var header), $"not a problem naming the header: {problem}");
        Assert.Equal("Content-Type", header.GetString());
        Assert.Contains(accepted, problem.GetProperty("accepts").EnumerateArray().Select(a => a.GetString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task ABoardCreatedWithoutAJsonBodyIs415AndNothingIsCreated(string? contentType)
    {
        var ada = await app.SignUpAsync();
        await AssertUnsupported(await ada.Client.SendAsync(Request(HttpMethod.Post, "/api/boards", """{"name":"Roadmap"}""", contentType)), "application/json");
        Assert.Equal(0, (await ada.Client.GetJson("/api/boards")).GetArrayLength());
    }

    [Fact]
    public async Task ATaskEditWithoutAContentTypeIs415AndTheTaskKeepsItsTitle()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var task = await ada.CreateTaskAsync(board, new { title = "Before" });
        var id = task.GetProperty("id").GetGuid();
        await AssertUnsupported(await ada.Client.SendAsync(Request(HttpMethod.Patch, $"/api/tasks/{id}", """{"title":"After"}""", null)), "application/json");
        Assert.Equal("Before", (await ada.Client.GetJson($"/api/tasks/{id}")).GetProperty("title").GetString());
    }

    [Fact]
    public async Task AnUploadSentAsJsonIs415NamingMultipart()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
        await AssertUnsupported(await ada.Client.SendAsync(Request(HttpMethod.Post, $"/api/tasks/{id}/attachments", "{}", "application/json")), "multipart/form-data");
    }

    [Fact]
    public async Task AMalformedIdIsStill404AndJsonWithACharsetIsTaken()
    {
        var ada = await app.SignUpAsync();
        await (await ada.Client.SendAsync(Request(HttpMethod.Post, "/api/boards/not-a-board/tasks", """{"title":"x"}""", "application/json")))
            .AssertProblem(HttpStatusCode.NotFound);
        await (await ada.Client.SendAsync(Request(HttpMethod.Post, "/api/boards/not-a-board/tasks", """{"title":"x"}""", "text/plain")))
            .AssertProblem(HttpStatusCode.NotFound);
        var created = await ada.Client.SendAsync(Request(HttpMethod.Post, "/api/boards", """{"name":"Roadmap"}""", "application/json; charset=utf-8"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task AnAccountDeletionWithAnotherBodyTypeIs415AndTheAccountStays()
    {
        var ada = await app.SignUpAsync();
        var delete = Request(HttpMethod.Delete, "/api/me", $$"""{"password":"{{ada.Password}}"}""", "text/plain");
        await AssertUnsupported(await ada.Client.SendAsync(delete), "application/json");
        Assert.Equal(HttpStatusCode.OK, (await ada.Client.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task ACallerThatTakesNoJsonGetsABare415NotA500()
    {
        var ada = await app.SignUpAsync();
        var request = Request(HttpMethod.Post, "/api/boards", """{"name":"Roadmap"}""", "text/plain");
        request.Headers.Accept.ParseAdd("text/plain");
        var response = await ada.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task AnUnknownApiPathIsStill404AndABodylessPostStillWorks()
    {
        var ada = await app.SignUpAsync();
        await (await ada.Client.SendAsync(Request(HttpMethod.Post, "/api/no-such-thing", "{}", null))).AssertProblem(HttpStatusCode.NotFound);
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
        var archive = await ada.Client.PostAsync($"/api/tasks/{id}/archive", null);
        Assert.Equal(HttpStatusCode.OK, archive.StatusCode);
    }
}

/// <summary>A web root with the browser board's index.html: the fallback route takes what no API route matched.</summary>
public sealed class MediaTypeTestsWithTheBoard(MediaTypeTestsWithTheBoard.App app) : MediaTypeTests(app), IClassFixture<MediaTypeTestsWithTheBoard.App>
{
    [Fact]
    public async Task TheFallbackServesTheBoard()
    {
        var page = await app.CreateClient().GetAsync("/boards/anything");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    public sealed class App : SqliteApplication
    {
        private readonly string _root = Directory.CreateTempSubdirectory("taskhub-webroot-").FullName;

        public App()
        {
            File.WriteAllText(Path.Combine(_root, "index.html"), "<!doctype html><title>TaskHub</title>");
            Settings["webroot"] = _root;
        }

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            Directory.Delete(_root, recursive: true);
        }
    }
}

/// <summary>An empty web root (as the API alone runs): no fallback route.</summary>
public sealed class MediaTypeTestsApiOnly(MediaTypeTestsApiOnly.App app) : MediaTypeTests(app), IClassFixture<MediaTypeTestsApiOnly.App>
{
    [Fact]
    public async Task ThereIsNoFallback() =>
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync("/boards/anything")).StatusCode);

    public sealed class App : SqliteApplication
    {
        private readonly string _root = Directory.CreateTempSubdirectory("taskhub-webroot-").FullName;

        public App() => Settings["webroot"] = _root;

        public override async Task DisposeAsync()
        {
            await base.DisposeAsync();
            Directory.Delete(_root, recursive: true);
        }
    }
}
