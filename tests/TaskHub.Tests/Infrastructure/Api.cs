using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace TaskHub.Tests.Infrastructure;

/// <summary>Small helpers for talking to the API in tests.</summary>
public static class Api
{
    public static async Task<JsonElement> Json(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} but got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static Task<HttpResponseMessage> SendJson(this HttpClient client, HttpMethod method, string url, object? body, string? ifMatch = null) =>
        client.SendRaw(method, url, body is null ? null : JsonSerializer.Serialize(body), ifMatch);

    public static Task<HttpResponseMessage> SendRaw(this HttpClient client, HttpMethod method, string url, string? json, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> Patch(this HttpClient client, string url, object body, string? ifMatch = null) =>
        client.SendJson(HttpMethod.Patch, url, body, ifMatch);

    /// <summary>Asserts a 400 validation problem that names <paramref name="field"/>.</summary>
    public static async Task AssertFieldError(this HttpResponseMessage response, string field)
    {
        var problem = await response.Json(HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"Expected an error for '{field}', got {errors}");
    }

    public static async Task AssertProblem(this HttpResponseMessage response, HttpStatusCode status)
    {
        await response.Json(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    public static async Task<Guid> CreateBoardAsync(this TestUser user, string name = "Board")
    {
        var board = await (await user.Client.PostAsJsonAsync("/api/boards", new { name })).Json(HttpStatusCode.Created);
        return board.GetProperty("id").GetGuid();
    }

    public static async Task AddMemberAsync(this TestUser owner, Guid boardId, TestUser member, string role = "member") =>
        await (await owner.Client.PostAsJsonAsync($"/api/boards/{boardId}/members", new { email = member.Email, role })).Json(HttpStatusCode.Created);

    public static async Task<JsonElement> CreateTaskAsync(this TestUser user, Guid boardId, object body) =>
        await (await user.Client.PostAsJsonAsync($"/api/boards/{boardId}/tasks", body)).Json(HttpStatusCode.Created);

    public static async Task<JsonElement> GetJson(this HttpClient client, string url) =>
        await (await client.GetAsync(url)).Json(HttpStatusCode.OK);

    public static async Task<long> LastSeqAsync(this TestUser user, Guid boardId) =>
        (await user.Client.GetJson($"/api/boards/{boardId}")).GetProperty("lastSeq").GetInt64();
}
