using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Integrations;

public enum TokenScope { Read, Write }

/// <summary>A personal API token: shown once, stored as its SHA-256, accepted as a Bearer token until revoked or expired.</summary>
public sealed class ApiToken
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public required string Name { get; set; }
    public TokenScope Scope { get; set; }
    public required string TokenHash { get; set; }
    /// <summary>The first characters, so a person can tell their tokens apart.</summary>
    public required string Hint { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.ToTable("api_tokens");
        b.Property(t => t.Name).HasMaxLength(ApiTokenRules.NameMax);
        b.Property(t => t.Scope).HasConversion<string>().HasMaxLength(8);
        b.Property(t => t.TokenHash).HasMaxLength(64);
        b.Property(t => t.Hint).HasMaxLength(16);
        b.HasIndex(t => t.TokenHash).IsUnique();
        b.HasIndex(t => t.UserId);
        b.HasOne<User>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

public static class ApiTokenRules
{
    public const int NameMax = 100;
}

public sealed record ApiTokenDto(Guid Id, string Name, TokenScope Scope, string Hint, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt)
{
    public static ApiTokenDto From(ApiToken t) => new(t.Id, t.Name, t.Scope, t.Hint, t.CreatedAt, t.ExpiresAt, t.LastUsedAt);
}

/// <summary>The only time the token itself is shown.</summary>
public sealed record CreatedApiTokenDto(Guid Id, string Name, TokenScope Scope, string Token, DateTime CreatedAt, DateTime? ExpiresAt);

public sealed record CreateApiTokenRequest(
    [property: Required(ErrorMessage = "Name is required."), MaxLength(ApiTokenRules.NameMax)] string Name,
    [property: Required(ErrorMessage = "Scope is required.")] TokenScope? Scope,
    DateTimeOffset? ExpiresAt = null);

public static class ApiTokens
{
    public const string Prefix = "thp_";
    public const string Scheme = "ApiToken";
    public const string ScopeClaim = "scope";
    public const string TokenIdClaim = "token_id";

    public static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static IEndpointRouteBuilder MapApiTokens(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/me/tokens").WithTags("API tokens").RequireAuthorization();
        api.MapGet("/", List);
        api.MapPost("/", Create);
        api.MapDelete("/{tokenId:guid}", Revoke);
        return app;
    }

    public static async Task<Ok<List<ApiTokenDto>>> List(CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var tokens = await db.Set<ApiToken>().AsNoTracking().Where(t => t.UserId == me.Id && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now))
            .OrderByDescending(t => t.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(tokens.Select(ApiTokenDto.From).ToList());
    }

    public static async Task<Results<Created<CreatedApiTokenDto>, ValidationProblem>> Create(
        CreateApiTokenRequest request, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var errors = new FieldErrors();
        var name = request.Name.Trim();
        errors.Check(name.Length > 0, "name", "Name is required.");
        errors.Check(request.ExpiresAt is null || request.ExpiresAt.Value.UtcDateTime > now, "expiresAt", "Must be in the future.");
        if (errors.Any) return errors.ToProblem();
        // The limit is counted under the person's lock: creations at once each saw 49 before.
        await using var tx = await db.BeginWriteAsync(ct);
        if (!await db.LockUserAsync(me.Id, ct)) throw new GoneMeanwhileException("User");
        errors.Check(await db.Set<ApiToken>().CountAsync(t => t.UserId == me.Id && t.RevokedAt == null, ct) < 50, "name", "At most 50 tokens: revoke one first.");
        if (errors.Any) return errors.ToProblem();

        var token = Prefix + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var entity = new ApiToken
        {
            UserId = me.Id, Name = name, Scope = request.Scope!.Value, TokenHash = Hash(token), Hint = token[..10],
            CreatedAt = now, ExpiresAt = request.ExpiresAt?.UtcDateTime,
        };
        db.Add(entity);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/me/tokens/{entity.Id}", new CreatedApiTokenDto(entity.Id, entity.Name, entity.Scope, token, entity.CreatedAt, entity.ExpiresAt));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid tokenId, CurrentUser me, TaskHubDbContext db, TimeProvider clock, SessionEnds ends,
        CancellationToken ct)
    {
        var updated = await db.Set<ApiToken>().Where(t => t.Id == tokenId && t.UserId == me.Id && t.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, clock.GetUtcNow().UtcDateTime), ct);
        if (updated == 0) return Problems.NotFound("Token");
        await ends.EndedAsync(me.Id); // hub connections opened with it close now
        return TypedResults.NoContent();
    }

    /// <summary>Where a request carries a token: the Authorization header, or (the hub over WebSockets) the query.</summary>
    public static string? TokenOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        return request.Path.StartsWithSegments("/hubs") && request.Query.TryGetValue("access_token", out var q) ? q.ToString() : null;
    }
}

/// <summary>Authenticates <c>Bearer thp_…</c>: the token's user, with its scope as a claim; stamps its last use (once a minute).</summary>
public sealed class ApiTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ApiTokens.TokenOf(Request);
        if (token is null || !token.StartsWith(ApiTokens.Prefix, StringComparison.Ordinal)) return AuthenticateResult.NoResult();
        var db = Context.RequestServices.GetRequiredService<TaskHubDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var hash = ApiTokens.Hash(token);
        var found = await db.Set<ApiToken>().AsNoTracking().SingleOrDefaultAsync(t => t.TokenHash == hash, Context.RequestAborted);
        if (found is null || found.RevokedAt is not null || found.ExpiresAt <= now) return AuthenticateResult.Fail("The API token is not valid.");
        if (found.LastUsedAt is null || now - found.LastUsedAt > TimeSpan.FromMinutes(1))
            await db.Set<ApiToken>().Where(t => t.Id == found.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        var identity = new ClaimsIdentity(
            [new Claim("sub", found.UserId.ToString()), new Claim(ApiTokens.ScopeClaim, TaskHubJson.EnumName(found.Scope)), new Claim(ApiTokens.TokenIdClaim, found.Id.ToString())],
            ApiTokens.Scheme, "sub", null);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ApiTokens.Scheme));
    }
}

/// <summary>
/// Whether the API tokens of hub connections are still valid (not revoked, not expired): the counterpart of Auth's
/// <c>HubSessionChecks</c> for connections opened with a token, which have no session. Batched the same way.
/// </summary>
public sealed class HubTokenChecks(IServiceScopeFactory scopes, TimeProvider clock)
{
    private readonly BatchedLookup<Guid> _live = new(scopes, async (db, ids, ct) =>
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Set<ApiToken>().AsNoTracking().Where(t => ids.Contains(t.Id) && t.RevokedAt == null && (t.ExpiresAt == null || t.ExpiresAt > now))
            .Select(t => t.Id).ToHashSetAsync(ct);
    });

    public Task<bool> LiveAsync(Guid tokenId, CancellationToken ct) => _live.ExistsAsync(tokenId, ct);

    /// <summary>Which of these tokens are still valid: for a sweep of every open connection.</summary>
    public Task<IReadOnlySet<Guid>> LiveAsync(IReadOnlyCollection<Guid> tokenIds, CancellationToken ct) => _live.ExistingAsync(tokenIds, ct);

    /// <summary>The API token a hub connection's principal was authenticated with, or null (a signed-in session's).</summary>
    public static Guid? TokenOf(ClaimsPrincipal? principal) =>
        Guid.TryParse(principal?.FindFirst(ApiTokens.TokenIdClaim)?.Value, out var id) ? id : null;
}

/// <summary>A read-scoped token may only read: any other method is 403.</summary>
public sealed class WriteScopeRequirement : IAuthorizationRequirement, IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        var readOnly = context.User.FindFirst(ApiTokens.ScopeClaim)?.Value == "read";
        var http = context.Resource as HttpContext;
        // The hub's connection requests (negotiate is a POST) are not writes: what a hub call may do is checked per call.
        var writes = http is not null && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
                     && !http.Request.Path.StartsWithSegments("/hubs");
        if (readOnly && writes) context.Fail(new AuthorizationFailureReason(this, "This API token may only read."));
        else context.Succeed(this);
        return Task.CompletedTask;
    }
}

public static class IntegrationsExtensions
{
    public const string SelectorScheme = "TaskHub";

    /// <summary>Personal API tokens beside the sign-in JWTs: one policy scheme picks by the token's prefix.</summary>
    public static IHostApplicationBuilder AddTaskHubIntegrations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiTokens.Scheme, null)
            .AddPolicyScheme(SelectorScheme, "JWT or API token", o => o.ForwardDefaultSelector = http =>
                ApiTokens.TokenOf(http.Request)?.StartsWith(ApiTokens.Prefix, StringComparison.Ordinal) == true ? ApiTokens.Scheme : JwtBearerDefaults.AuthenticationScheme);
        services.Configure<AuthenticationOptions>(o =>
        {
            o.DefaultScheme = SelectorScheme;
            o.DefaultAuthenticateScheme = SelectorScheme;
            o.DefaultChallengeScheme = SelectorScheme;
        });
        services.AddSingleton<HubTokenChecks>();
        services.Configure<AuthorizationOptions>(o => o.DefaultPolicy = new AuthorizationPolicyBuilder()
            .RequireAuthenticatedUser().AddRequirements(new WriteScopeRequirement()).Build());

        // Outgoing webhooks: every board event fans out to a delivery per hook; no redirects; allowed addresses only.
        var webhooks = builder.AddTaskHubOptions<WebhookOptions>(WebhookOptions.Section);
        services.AddHttpClient("webhooks", c => c.Timeout = TimeSpan.FromSeconds(webhooks.TimeoutSeconds))
            .ConfigurePrimaryHttpMessageHandler(() => WebhookTargets.Handler(webhooks.AllowPrivateTargets));
        // Only boards with an active hook get fan-out rows (most have none). Creating or switching on a hook takes the
        // board's seq lock (WebhooksApi.LockBoardAsync), so a write either sees the hook or commits before it exists.
        services.AddSingleton(WebhooksApi.HasActiveHook);
        services.AddSingleton(new Notifications.OutboxConsumer(WebhooksApi.FanoutKind, ActiveWhen: WebhooksApi.HasActiveHook));
        services.AddScoped<Notifications.IOutboxHandler, WebhookFanout>();
        services.AddScoped<Notifications.IOutboxHandler, WebhookSender>();
        services.AddScoped<Boards.IBoardMembershipHandler, HooksOfFormerManagers>();
        return builder;
    }
}
