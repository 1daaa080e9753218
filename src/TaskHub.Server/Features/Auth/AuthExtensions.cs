using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TaskHub.Server.Data;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Auth;

/// <summary>Where a request may carry its access token other than the Authorization header (a feature's own paths).</summary>
public interface IBearerTokenSource
{
    /// <summary>The token this request carries for this source's paths, or null.</summary>
    string? TokenFor(HttpContext http);
}

public static class AuthExtensions
{
    /// <summary>JWT bearer auth (header, or <c>access_token</c> query on the hub), Identity's password hasher.</summary>
    public static IHostApplicationBuilder AddTaskHubAuth(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<JwtOptions>, JwtOptionsValidator>();
        if (builder.Environment.IsDevelopment())
        {
            // Development may run without a configured key: one is generated once and kept under data/.
            var keyFile = Path.Combine(builder.Environment.ContentRootPath, "data", "dev-jwt-signing.key");
            services.PostConfigure<JwtOptions>(o =>
            {
                if (!string.IsNullOrWhiteSpace(o.SigningKey)) return;
                if (!File.Exists(keyFile))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(keyFile)!);
                    File.WriteAllText(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
                }
                o.SigningKey = File.ReadAllText(keyFile).Trim();
            });
        }
        services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        // Data protection (the single sign-on flow's state and correlation cookies, TOTP secrets at rest): scaled out, every replica must
        // read what another wrote, so the key ring lives in Redis; embedded, in the default folder.
        Microsoft.AspNetCore.DataProtection.DataProtectionBuilderExtensions.SetApplicationName(services.AddDataProtection(), "TaskHub");
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
            services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
                .Configure<StackExchange.Redis.IConnectionMultiplexer>((o, redis) =>
                    o.XmlRepository = new Microsoft.AspNetCore.DataProtection.StackExchangeRedis.RedisXmlRepository(
                        () => redis.GetDatabase(), "taskhub:data-protection-keys"));
        services.AddOptions<AuthLimitsOptions>().BindConfiguration(AuthLimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis")))
            services.AddSingleton<ICounterStore, InProcessCounterStore>();
        else
            services.AddSingleton<ICounterStore, RedisCounterStore>();
        services.AddSingleton<AuthThrottle>();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddSingleton<PasswordResets>();
        services.AddSingleton<MfaTokens>();
        services.AddSingleton<TotpSecrets>();
        services.AddSingleton(sp => new TotpVerifier(sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<TokenService>();
        services.AddSingleton<HubTickets>();
        services.AddSingleton<SessionEnds>();
        services.AddHttpContextAccessor();
        services.AddScoped<CurrentUser>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer().AddTaskHubOidc(builder.Configuration);
        // Its own clock is the system's, as IdentityModel's lifetime check reads (not the app's TimeProvider).
        services.AddSingleton(_ => new AccessTokenCache());
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<JwtOptions>, AccessTokenCache>((bearer, jwtOptions, tokenCache) =>
            {
                var jwt = jwtOptions.Value;
                bearer.MapInboundClaims = false;
                bearer.TokenHandlers.Clear();
                bearer.TokenHandlers.Add(tokenCache); // IdentityModel's handler, with the tokens it found valid kept
                // Nothing reads the token back from the authentication properties, and a hub connection would keep
                // that copy (~0.7 KB) for its whole life.
                bearer.SaveToken = false;
                bearer.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = jwt.Issuer,
                    ValidAudience = jwt.Audience,
                    IssuerSigningKeys = new[] { jwt.SigningKey! }.Concat(jwt.PreviousSigningKeys)
                        .Select(k => (SecurityKey)new SymmetricSecurityKey(JwtOptions.KeyBytes(k))).ToList(),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    NameClaimType = JwtRegisteredClaimNames.Name,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                bearer.Events = new JwtBearerEvents
                {
                    OnMessageReceived = async ctx =>
                    {
                        // Browsers cannot set headers on WebSockets or on a page they open: the features that serve
                        // those (the hub, the jobs dashboard) say where else their token may come from.
                        foreach (var source in ctx.HttpContext.RequestServices.GetServices<IBearerTokenSource>())
                        {
                            if (source.TokenFor(ctx.HttpContext) is { Length: > 0 } token)
                            {
                                if (HubTickets.LooksLikeOne(token)) await AuthenticateHubTokenAsync(ctx, token);
                                else ctx.Token = token;
                                return;
                            }
                        }
                        // A hub token in the header (clients that can set one on the hub's requests); anywhere but the hub it fails.
                        if (ctx.Request.Headers.Authorization.ToString() is var header && header.StartsWith("Bearer " + HubTickets.Prefix, StringComparison.Ordinal))
                            await AuthenticateHubTokenAsync(ctx, header["Bearer ".Length..]);
                    },
                    OnTokenValidated = ValidateSessionAsync,
                };
            });
        services.AddAuthorization();
        services.AddSingleton<HubSessionChecks>();
        services.AddSingleton<SessionCheck>();
        return builder;
    }

    /// <summary>
    /// An access token is only as alive as its session: log-out, refresh-token reuse, a password change
    /// elsewhere or a deleted account revoke the session (the refresh-token family) and so the token.
    /// </summary>
    private static async Task ValidateSessionAsync(TokenValidatedContext ctx)
    {
        var principal = ctx.Principal!;
        var http = ctx.HttpContext;
        if (await SessionFailureAsync(http, principal) is { } failure)
        {
            ctx.Fail(failure);
            return;
        }
        // The connection keeps its principal for its whole life. The validated one has every claim of the token (16)
        // and its identity holds the parsed JsonWebToken (~4 KB in all); the hub needs the subject, session and name.
        // Its authentication properties (issued and expiry dates as strings in a dictionary) are read by nothing after
        // this point (SignalR reads the expiry only with CloseOnAuthenticationExpiration, which the hub does not use).
        if (http.IsHubConnection())
        {
            ctx.Principal = new ClaimsPrincipal(new ClaimsIdentity(
                principal.Claims.Where(c => c.Type is JwtRegisteredClaimNames.Sub or JwtRegisteredClaimNames.Sid or JwtRegisteredClaimNames.Name)
                    .Select(c => new Claim(c.Type, c.Value)),
                principal.Identity?.AuthenticationType ?? JwtBearerDefaults.AuthenticationScheme, JwtRegisteredClaimNames.Name, null));
            ctx.Properties = new AuthenticationProperties();
            ForgetQueryToken(http);
        }
    }

    /// <summary>A hub token (<see cref="HubTickets"/>) on a hub request: valid, unexpired and its session alive.</summary>
    private static async Task AuthenticateHubTokenAsync(MessageReceivedContext ctx, string token)
    {
        var http = ctx.HttpContext;
        var principal = http.Request.Path.StartsWithSegments("/hubs")
            ? http.RequestServices.GetRequiredService<HubTickets>().Read(token, JwtBearerDefaults.AuthenticationScheme)
            : null;
        if (principal is null)
        {
            ctx.Fail("The hub token is not valid here, or has expired.");
            return;
        }
        if (await SessionFailureAsync(http, principal) is { } failure)
        {
            ctx.Fail(failure);
            return;
        }
        ctx.Principal = principal;
        ctx.Success();
        ForgetQueryToken(http);
    }

    /// <summary>Why the token's session does not let it in (no subject or session, or revoked), or null when it does.</summary>
    private static async Task<string?> SessionFailureAsync(HttpContext http, ClaimsPrincipal principal)
    {
        if (HubSessionChecks.SessionOf(principal) is not var (familyId, userId))
            return "The token has no subject or session.";
        // An endpoint whose write checks the session itself, in the statement that takes the board's seq: left to it.
        if (!http.IsHubConnection() && http.GetEndpoint()?.Metadata.GetMetadata<SessionCheckedInWrite>() is not null)
        {
            http.Features.Set(new PendingSessionCheck(familyId, userId));
            return null;
        }
        // (A hub connection's request is authenticated with services of its own scope, disposed right after, so the
        // DbContext resolved here does not live as long as the connection: Infrastructure/ApiExtensions.)
        try
        {
            bool alive;
            if (http.IsHubConnection()) // a reconnect storm's connections: their checks are batched (no DbContext of their own)
                alive = await http.RequestServices.GetRequiredService<HubSessionChecks>().AliveAsync(familyId, userId, http.RequestAborted);
            else
                alive = await http.RequestServices.GetRequiredService<SessionCheck>().AliveNowAsync(http, familyId, userId, http.RequestAborted);
            return alive ? null : SessionCheck.RevokedMessage;
        }
        catch (Exception e) when (ProblemDetailsExceptionHandler.IsUnavailable(e))
        {
            // The database is down: every endpoint needs it too and will answer 503, which tells the caller to
            // retry; failing here would answer 401 and make clients log people out during an outage. A MariaDB
            // connection found gone takes the pool's others with it, so the endpoint does not draw another dead one.
            Data.MySqlConnections.ForgetPoolIfBroken(e);
            return null;
        }
    }

    /// <summary>The parsed query keeps the decoded token (~0.7 KB) for a hub connection's life; what comes after
    /// authentication reads only SignalR's <c>id</c>.</summary>
    private static void ForgetQueryToken(HttpContext http)
    {
        if (http.Request.Query.ContainsKey("access_token"))
            http.Request.Query = new QueryCollection(http.Request.Query.Where(q => q.Key != "access_token").ToDictionary(q => q.Key, q => q.Value));
    }
}
