using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// Every operation in the OpenAPI document × every kind of caller, each cell asserting the documented status.
/// An operation missing from the table fails the test, so a new endpoint cannot ship without its row.
/// </summary>
public sealed class AuthorizationMatrixTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    private static readonly string[] Roles = ["owner", "admin", "member", "viewer", "outsider", "anonymous", "deleted", "expired"];

    // Expected status per role, in the order of Roles. "auth" = 401 for the three token-less kinds.
    private static readonly Dictionary<string, int[]> Expected = new()
    {
        ["POST /api/auth/register"] = [201, 201, 201, 201, 201, 201, 201, 201],
        ["POST /api/auth/login"] = [200, 200, 200, 200, 200, 200, 200, 200],
        ["POST /api/auth/refresh"] = [200, 200, 200, 200, 200, 200, 200, 200],
        ["POST /api/auth/logout"] = [204, 204, 204, 204, 204, 401, 401, 401],
        // The same answer whoever asks, and whether or not the address has an account.
        ["POST /api/auth/forgot"] = [202, 202, 202, 202, 202, 202, 202, 202],
        // The emailed token is the credential: whoever holds it (no login needed) sets the password.
        ["POST /api/auth/reset"] = [204, 204, 204, 204, 204, 204, 204, 204],
        ["GET /api/me"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["PATCH /api/me"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["DELETE /api/me"] = [204, 204, 204, 204, 204, 401, 401, 401],
        // Two-factor: each cell's caller is a fresh account of that role (enrolling changes how it logs in).
        ["POST /api/me/2fa/setup"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["POST /api/me/2fa/enable"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["POST /api/me/2fa/disable"] = [204, 204, 204, 204, 204, 401, 401, 401],
        // The mfa token from the first step is the credential, whoever sends it.
        ["POST /api/auth/login/2fa"] = [200, 200, 200, 200, 200, 200, 200, 200],
        // Single sign-on: the provider list is public; the one-time code from the callback is the credential.
        ["GET /api/auth/providers"] = [200, 200, 200, 200, 200, 200, 200, 200],
        ["GET /api/auth/config"] = [200, 200, 200, 200, 200, 200, 200, 200],
        ["POST /api/auth/oidc/exchange"] = [200, 200, 200, 200, 200, 200, 200, 200],
        ["POST /api/auth/oidc/link"] = [200, 200, 200, 200, 200, 200, 200, 200],
        ["GET /api/me/sessions"] = [200, 200, 200, 200, 200, 401, 401, 401],
        // The caller's own session (another person's session id is simply not found: see SessionsTests).
        ["DELETE /api/me/sessions/{sessionId}"] = [204, 204, 204, 204, 204, 401, 401, 401],
        ["POST /api/me/sessions/revoke-others"] = [204, 204, 204, 204, 204, 401, 401, 401],
        ["GET /api/me/notification-settings"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["PUT /api/me/notification-settings"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["GET /api/me/tasks"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["GET /api/me/report"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["POST /api/boards"] = [201, 201, 201, 201, 201, 401, 401, 401],
        ["GET /api/boards"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["GET /api/boards/{boardId}"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["PATCH /api/boards/{boardId}"] = [200, 403, 403, 403, 404, 401, 401, 401],
        ["DELETE /api/boards/{boardId}"] = [204, 403, 403, 403, 404, 401, 401, 401],
        ["GET /api/boards/{boardId}/members"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["POST /api/boards/{boardId}/members"] = [201, 201, 403, 403, 404, 401, 401, 401],
        ["PATCH /api/boards/{boardId}/members/{userId}"] = [200, 200, 403, 403, 404, 401, 401, 401],
        // The target is the member: a member may remove themselves (leave); a viewer may not remove others.
        ["DELETE /api/boards/{boardId}/members/{userId}"] = [204, 204, 204, 403, 404, 401, 401, 401],
        ["GET /api/boards/{boardId}/tasks"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["POST /api/boards/{boardId}/tasks"] = [201, 201, 201, 403, 404, 401, 401, 401],
        ["GET /api/tasks/{taskId}"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["PATCH /api/tasks/{taskId}"] = [200, 200, 200, 403, 404, 401, 401, 401],
        ["DELETE /api/tasks/{taskId}"] = [204, 204, 204, 403, 404, 401, 401, 401],
        ["GET /api/tasks/{taskId}/activity"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["GET /api/boards/{boardId}/events"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["GET /api/boards/{boardId}/reports"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["GET /api/boards/{boardId}/reports/trends"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["POST /api/tasks/{taskId}/move"] = [200, 200, 200, 403, 404, 401, 401, 401],
        ["POST /api/tasks/{taskId}/archive"] = [200, 200, 200, 403, 404, 401, 401, 401],
        ["POST /api/tasks/{taskId}/unarchive"] = [200, 200, 200, 403, 404, 401, 401, 401],
        ["GET /api/tasks/{taskId}/comments"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["POST /api/tasks/{taskId}/comments"] = [201, 201, 201, 403, 404, 401, 401, 401],
        // The comment is the owner's: only its author edits it; its author, owners and admins delete it.
        ["PATCH /api/comments/{commentId}"] = [200, 403, 403, 403, 404, 401, 401, 401],
        ["DELETE /api/comments/{commentId}"] = [204, 204, 403, 403, 404, 401, 401, 401],
        ["GET /api/tasks/{taskId}/checklist"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["POST /api/tasks/{taskId}/checklist"] = [201, 201, 201, 403, 404, 401, 401, 401],
        ["PATCH /api/checklist-items/{itemId}"] = [200, 200, 200, 403, 404, 401, 401, 401],
        ["DELETE /api/checklist-items/{itemId}"] = [204, 204, 204, 403, 404, 401, 401, 401],
        ["GET /api/boards/{boardId}/labels"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["POST /api/boards/{boardId}/labels"] = [201, 201, 201, 403, 404, 401, 401, 401],
        ["PATCH /api/labels/{labelId}"] = [200, 200, 200, 403, 404, 401, 401, 401],
        ["DELETE /api/labels/{labelId}"] = [204, 204, 204, 403, 404, 401, 401, 401],
        ["GET /api/me/notifications"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["POST /api/me/notifications/read"] = [204, 204, 204, 204, 204, 401, 401, 401],
        // Everyone sets how much they hear about a board they are on, viewers too.
        ["GET /api/boards/{boardId}/notification-settings"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["PUT /api/boards/{boardId}/notification-settings"] = [200, 200, 200, 200, 404, 401, 401, 401],
        // The signed link is the credential: whoever holds it (no login needed) unsubscribes its owner.
        ["POST /api/unsubscribe"] = [200, 200, 200, 200, 200, 200, 200, 200],
        ["GET /api/search"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["GET /api/boards/{boardId}/webhooks"] = [200, 200, 403, 403, 404, 401, 401, 401],
        // The matrix app does not allow private targets: a valid-looking body is refused by its url (400) once allowed in.
        ["POST /api/boards/{boardId}/webhooks"] = [400, 400, 403, 403, 404, 401, 401, 401],
        ["PATCH /api/webhooks/{webhookId}"] = [404, 404, 404, 404, 404, 401, 401, 401],
        ["DELETE /api/webhooks/{webhookId}"] = [404, 404, 404, 404, 404, 401, 401, 401],
        ["POST /api/webhooks/{webhookId}/test"] = [404, 404, 404, 404, 404, 401, 401, 401],
        ["GET /api/webhooks/{webhookId}/deliveries"] = [404, 404, 404, 404, 404, 401, 401, 401],
        ["GET /api/me/calendar"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["POST /api/me/calendar/reset"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["GET /api/boards/{boardId}/export"] = [200, 200, 200, 200, 404, 401, 401, 401],
        // Imports create a new board of the caller's: anyone signed in; the body here is not an export (400).
        ["POST /api/imports/taskhub"] = [400, 400, 400, 400, 400, 401, 401, 401],
        ["POST /api/imports/trello"] = [400, 400, 400, 400, 400, 401, 401, 401],
        ["POST /api/imports/trello/preview"] = [400, 400, 400, 400, 400, 401, 401, 401],
        ["GET /api/me/tokens"] = [200, 200, 200, 200, 200, 401, 401, 401],
        ["POST /api/me/tokens"] = [201, 201, 201, 201, 201, 401, 401, 401],
        // A made-up token id: 404 for everyone signed in (a token is only ever its owner's).
        ["DELETE /api/me/tokens/{tokenId}"] = [404, 404, 404, 404, 404, 401, 401, 401],
        ["GET /api/boards/{boardId}/invitations"] = [200, 200, 403, 403, 404, 401, 401, 401],
        ["POST /api/boards/{boardId}/invitations"] = [201, 201, 403, 403, 404, 401, 401, 401],
        ["DELETE /api/invitations/{invitationId}"] = [204, 204, 403, 403, 404, 401, 401, 401],
        // A made-up token: nobody learns anything from it (404), whoever asks.
        ["POST /api/invitations/preview"] = [404, 404, 404, 404, 404, 404, 404, 404],
        ["POST /api/invitations/accept"] = [404, 404, 404, 404, 404, 401, 401, 401],
        ["GET /api/tasks/{taskId}/attachments"] = [200, 200, 200, 200, 404, 401, 401, 401],
        ["POST /api/tasks/{taskId}/attachments"] = [201, 201, 201, 403, 404, 401, 401, 401],
        ["GET /api/attachments/{attachmentId}"] = [200, 200, 200, 200, 404, 401, 401, 401],
        // The file is the owner's: its uploader, owners and admins delete it.
        ["DELETE /api/attachments/{attachmentId}"] = [204, 204, 403, 403, 404, 401, 401, 401],
    };

    private sealed record World(Guid Board, Guid Task, Guid Comment, Guid Item, Guid Label, Guid Attachment, Guid Invitation, Dictionary<string, TestUser> People, TestUser Newcomer);

    private static MultipartFormDataContent File() => new() { { new ByteArrayContent("cell"u8.ToArray()), "file", "cell.txt" } };

    private Dictionary<string, TestUser>? _people;
    private TestUser? _newcomer;

    /// <summary>The same people each time (signing up hashes passwords, which is slow); a new board and task.</summary>
    private async Task<World> NewWorldAsync()
    {
        if (_people is null)
        {
            _people = new Dictionary<string, TestUser>();
            foreach (var role in new[] { "owner", "admin", "member", "viewer", "outsider" }) _people[role] = await app.SignUpAsync(role);
            var deleted = await app.SignUpAsync("deleted");
            await (await deleted.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = deleted.Password })).Json(HttpStatusCode.NoContent);
            _people["deleted"] = deleted;
            _newcomer = await app.SignUpAsync("newcomer");
        }
        var board = await _people["owner"].CreateBoardAsync("Matrix");
        foreach (var role in new[] { "admin", "member", "viewer" }) await _people["owner"].AddMemberAsync(board, _people[role], role);
        var owner = _people["owner"];
        var task = (await owner.CreateTaskAsync(board, new { title = "cell" })).GetProperty("id").GetGuid();
        var comment = (await (await owner.Client.PostAsJsonAsync($"/api/tasks/{task}/comments", new { body = "first" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var item = (await (await owner.Client.PostAsJsonAsync($"/api/tasks/{task}/checklist", new { text = "step" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var label = (await (await owner.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = "bug", color = "red" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var attachment = (await (await owner.Client.PostAsync($"/api/tasks/{task}/attachments", File())).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var invitation = (await (await owner.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = $"cell-{Guid.NewGuid():N}@example.com" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
        return new World(board, task, comment, item, label, attachment, invitation, _people, _newcomer!);
    }

    /// <summary>Operations that end the caller's session or account get a caller of their own with the same role.</summary>
    private async Task<TestUser> CallerAsync(string op, string role, World w)
    {
        if (op is not ("DELETE /api/me" or "POST /api/auth/logout" or "DELETE /api/me/sessions/{sessionId}" or "POST /api/me/sessions/revoke-others"
                or "POST /api/me/2fa/setup" or "POST /api/me/2fa/enable" or "POST /api/me/2fa/disable") || !w.People.ContainsKey(role) || role == "deleted")
            return w.People.GetValueOrDefault(role) ?? w.People["owner"];
        var fresh = await app.SignUpAsync(role);
        if (role != "outsider") await w.People["owner"].AddMemberAsync(w.Board, fresh, role);
        return fresh;
    }

    private static string ExpiredToken(Guid userId)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "taskhub", Audience = "taskhub", IssuedAt = now.AddHours(-2), NotBefore = now.AddHours(-2), Expires = now.AddHours(-1),
            Subject = new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim("sid", Guid.NewGuid().ToString())]),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(TaskHubApplication.SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    private static object? BodyFor(string op, World w, TestUser caller) => op switch
    {
        "POST /api/auth/register" => new { email = $"new-{Guid.NewGuid():N}@example.com", password = "s3cret-pass", displayName = "New" },
        "POST /api/auth/login" => new { email = w.People["owner"].Email, password = w.People["owner"].Password },
        "POST /api/auth/refresh" => null, // filled in per cell: a live refresh token
        "POST /api/auth/reset" => null, // filled in per cell: a live reset token
        "POST /api/auth/forgot" => new { email = w.People["owner"].Email },
        "POST /api/auth/logout" => new { refreshToken = caller.RefreshToken },
        "PATCH /api/me" => new { displayName = "Renamed" },
        "DELETE /api/me" => new { password = caller.Password },
        "PUT /api/me/notification-settings" => new { emailOnChange = true, digest = "weekly", reminderLeadHours = 12 },
        "POST /api/boards" => new { name = "Another" },
        "PATCH /api/boards/{boardId}" => new { name = "Renamed" },
        "POST /api/boards/{boardId}/members" => new { email = w.Newcomer.Email, role = "member" },
        "PATCH /api/boards/{boardId}/members/{userId}" => new { role = "viewer" },
        "POST /api/boards/{boardId}/tasks" => new { title = "new" },
        "PATCH /api/tasks/{taskId}" => new { priority = "high" },
        "POST /api/tasks/{taskId}/move" => new { status = "done" },
        "POST /api/tasks/{taskId}/comments" => new { body = "a comment" },
        "PATCH /api/comments/{commentId}" => new { body = "edited" },
        "POST /api/tasks/{taskId}/checklist" => new { text = "another step" },
        "PATCH /api/checklist-items/{itemId}" => new { done = true },
        "POST /api/boards/{boardId}/labels" => new { name = "ux", color = "blue" },
        "PATCH /api/labels/{labelId}" => new { name = "renamed" },
        "POST /api/me/notifications/read" => new { all = true },
        "PUT /api/boards/{boardId}/notification-settings" => new { level = "watching", email = true },
        "POST /api/boards/{boardId}/invitations" => new { email = $"invitee-{Guid.NewGuid():N}@example.com", role = "member" },
        "POST /api/invitations/preview" or "POST /api/invitations/accept" => new { token = "not-a-real-token" },
        "POST /api/me/tokens" => new { name = "cell", scope = "read" },
        "POST /api/boards/{boardId}/webhooks" => new { url = "http://127.0.0.1:9/hook", secret = "a-webhook-secret-of-some-length" },
        "PATCH /api/webhooks/{webhookId}" => new { active = false },
        _ => null,
    };

    /// <summary>Starts enrolment for <paramref name="caller"/> and answers the code their app would show (a dummy when they cannot).</summary>
    private static async Task<string> PendingCodeAsync(TestUser caller)
    {
        var setup = await caller.Client.PostAsync("/api/me/2fa/setup", null);
        if (!setup.IsSuccessStatusCode) return "000000";
        var secret = (await setup.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        return new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(secret)).ComputeTotp(DateTime.UtcNow);
    }

    /// <summary>Turns two-factor sign-in on for <paramref name="caller"/>; one of their recovery codes, or null when they cannot.</summary>
    private static async Task<string?> EnrolAsync(TestUser caller)
    {
        var code = await PendingCodeAsync(caller);
        var enabled = await caller.Client.PostAsJsonAsync("/api/me/2fa/enable", new { code });
        if (!enabled.IsSuccessStatusCode) return null;
        var codes = (await enabled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes");
        return codes[0].GetString()!;
    }

    /// <summary>The second step of a log-in by a fresh account with two-factor sign-in on.</summary>
    private async Task<object> SecondStepAsync()
    {
        var user = await app.SignUpAsync();
        var recovery = (await EnrolAsync(user))!;
        var first = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = user.Email, password = user.Password });
        var mfaToken = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("mfaToken").GetString();
        return new { mfaToken, recoveryCode = recovery };
    }

    /// <summary>A live one-time code as the provider callback makes it (without a provider).</summary>
    private async Task<string> OidcCodeAsync(Guid userId, OidcCodePurpose purpose)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var code = Guid.NewGuid().ToString("N");
        db.Add(new OidcCode
        {
            CodeHash = TokenService.Hash(code), Purpose = purpose, UserId = userId, Provider = "matrix", Subject = code,
            CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddMinutes(2),
        });
        await db.SaveChangesAsync();
        return code;
    }

    private async Task<object> LinkBodyAsync()
    {
        var user = await app.SignUpAsync();
        return new { code = await OidcCodeAsync(user.Id, OidcCodePurpose.Link), password = user.Password };
    }

    /// <summary>Another live session of <paramref name="caller"/> (a second log-in), to end.</summary>
    private async Task<string> SessionToRevokeAsync(TestUser caller)
    {
        var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = caller.Email, password = caller.Password });
        if (!login.IsSuccessStatusCode) return Guid.NewGuid().ToString(); // the deleted account: no session to end
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        return new JsonWebToken(token).GetClaim("sid").Value;
    }

    /// <summary>A live reset link for <paramref name="userId"/>, as the forgot endpoint makes it (without the email).</summary>
    private async Task<string> ResetTokenAsync(Guid userId)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var reset = new PasswordReset { UserId = userId, TokenHash = "", CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddHours(1) };
        var token = PasswordResets.Token(reset.Id, TaskHubApplication.SigningKey);
        reset.TokenHash = TokenService.Hash(token);
        db.Add(reset);
        await db.SaveChangesAsync();
        return token;
    }

    [Fact]
    public async Task EveryOperationAnswersEachKindOfCallerAsDocumented()
    {
        var doc = await app.CreateClient().GetJson("/openapi/v1.json");
        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}"))
            .Where(op => op.Split(' ')[1].StartsWith("/api/", StringComparison.Ordinal))
            .Order().ToList();
        Assert.Empty(operations.Except(Expected.Keys));   // every endpoint has its row
        Assert.Empty(Expected.Keys.Except(operations));   // and every row is a real endpoint

        var failures = new List<string>();
        World? shared = null;
        foreach (var op in operations)
        {
            var (method, template) = (op.Split(' ')[0], op.Split(' ')[1]);
            for (var r = 0; r < Roles.Length; r++)
            {
                var role = Roles[r];
                // Reads share one world; every write gets a fresh one so no cell depends on another.
                var w = method == "GET" ? shared ??= await NewWorldAsync() : await NewWorldAsync();
                var caller = await CallerAsync(op, role, w);
                var client = app.CreateClient();
                if (role is not "anonymous")
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                        role == "expired" ? ExpiredToken(w.People["owner"].Id) : caller.AccessToken);
                var url = template.Replace("{boardId}", w.Board.ToString()).Replace("{taskId}", w.Task.ToString())
                    .Replace("{userId}", w.People["member"].Id.ToString()).Replace("{commentId}", w.Comment.ToString())
                    .Replace("{itemId}", w.Item.ToString()).Replace("{labelId}", w.Label.ToString()).Replace("{attachmentId}", w.Attachment.ToString())
                    .Replace("{invitationId}", w.Invitation.ToString()).Replace("{tokenId}", Guid.NewGuid().ToString())
                    .Replace("{webhookId}", Guid.NewGuid().ToString())
                    .Replace("{sessionId}", template.Contains("{sessionId}") ? await SessionToRevokeAsync(caller) : "");
                if (op == "GET /api/search") url += "?q=cell";
                if (op == "POST /api/unsubscribe")
                    url += "?token=" + TaskHub.Server.Features.Notifications.UnsubscribeLinks.Token(w.People["owner"].Id,
                        TaskHub.Server.Features.Notifications.EmailList.Changes, TaskHubApplication.SigningKey);
                var body = op switch
                {
                    "POST /api/auth/refresh" => new { refreshToken = (await app.SignUpAsync()).RefreshToken },
                    "POST /api/me/2fa/enable" => new { code = await PendingCodeAsync(caller) },
                    "POST /api/me/2fa/disable" => new { password = caller.Password, code = await EnrolAsync(caller) ?? "000000" },
                    "POST /api/auth/login/2fa" => await SecondStepAsync(),
                    "POST /api/auth/oidc/exchange" => new { code = await OidcCodeAsync((await app.SignUpAsync()).Id, OidcCodePurpose.SignIn) },
                    "POST /api/auth/oidc/link" => await LinkBodyAsync(),
                    "POST /api/auth/reset" => new { token = await ResetTokenAsync((await app.SignUpAsync()).Id), newPassword = "a-new-secret-7" },
                    _ => BodyFor(op, w, caller),
                };
                var response = op is "POST /api/tasks/{taskId}/attachments" or "POST /api/imports/taskhub" or "POST /api/imports/trello" or "POST /api/imports/trello/preview"
                    ? await client.PostAsync(url, File())
                    : await client.SendJson(new HttpMethod(method), url, body);
                if ((int)response.StatusCode != Expected[op][r])
                    failures.Add($"{op} as {role}: expected {Expected[op][r]}, got {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
