using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Idempotency;

public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";
    /// <summary>How long a key is remembered (a retry after that runs as a new request).</summary>
    [Range(1, 24 * 30)]
    public int KeyLifetimeHours { get; set; } = 24;
    /// <summary>A response larger than this is not kept; a retry then hears 409 (its change was applied once).</summary>
    [Range(1024, 16 << 20)]
    public int MaxStoredResponseBytes { get; set; } = 1 << 20;
}

/// <summary>Marks an endpoint whose POST honours an <c>Idempotency-Key</c> (<see cref="IdempotencyKeys"/>).</summary>
public sealed class IdempotentEndpoint
{
    public static readonly IdempotentEndpoint Instance = new();
    private IdempotentEndpoint() { }
}

/// <summary>
/// <c>Idempotency-Key</c> on the write endpoints that create something or act once (IETF draft
/// "The Idempotency-Key HTTP Header Field"): a client that lost the answer (a reset connection, a 502 from the load
/// balancer while a replica stops, a dropped network) sends the same request with the same key again, and the change
/// happens once. The second request hears the first one's response again, with <c>Idempotent-Replayed: true</c>.
/// <list type="bullet">
/// <item>The key is remembered per user, with a fingerprint of the request (method, path, query, body): the same key
/// with another request is 422; while the first request runs, the same key is 409 with <c>Retry-After</c>.</item>
/// <item>The record is added to the request's DbContext before the endpoint runs, so the endpoint's own save inserts
/// it in the same transaction as its change (every marked endpoint saves through the request's context: one
/// <c>BoardStream</c> write, or its own transaction). A refused request (400, 403, 404, 412) saves nothing, so its key
/// stays free for the corrected request. Two requests with one key at once: the second's save fails on the key and
/// it hears the first's answer, or 409.</item>
/// <item>The response is stored after the endpoint answers. If the process ends in between, the change is committed
/// and its response lost: a retry hears 409 without <c>Retry-After</c> (read the resource instead).</item>
/// </list>
/// A request without the header costs one header lookup.
/// </summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;
    /// <summary>The problem's field for a malformed key (camelCase, as every field).</summary>
    public const string Field = "idempotencyKey";

    public static WebApplicationBuilder AddTaskHubIdempotency(this WebApplicationBuilder builder)
    {
        builder.AddTaskHubOptions<IdempotencyOptions>(IdempotencyOptions.Section);
        builder.Services.AddHostedService<ExpiredKeyCleanup>();
        builder.Services.Configure<OpenApiOptions>("v1", o => o.AddOperationTransformer<IdempotencyKeyOperationTransformer>());
        return builder;
    }

    /// <summary>After authorisation (the key belongs to the signed-in user) and the exception handler.</summary>
    public static WebApplication UseIdempotencyKeys(this WebApplication app)
    {
        app.Use(static (http, next) =>
            http.Request.Headers.ContainsKey(Header) && HttpMethods.IsPost(http.Request.Method)
                && http.GetEndpoint()?.Metadata.GetMetadata<IdempotentEndpoint>() is not null
                && http.User.Identity?.IsAuthenticated == true
                ? RunAsync(http, next)
                : next(http));
        return app;
    }

    /// <summary>Lets a POST endpoint honour <c>Idempotency-Key</c>.</summary>
    public static TBuilder WithIdempotencyKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(IdempotentEndpoint.Instance);

    /// <summary>The key, or null when it is malformed: one value of 1–255 visible ASCII characters, optionally quoted
    /// (the draft's structured-field string).</summary>
    public static string? Parse(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count != 1 || values[0] is not { } raw) return null;
        var key = raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"' ? raw[1..^1] : raw;
        if (key.Length is 0 or > MaxKeyLength) return null;
        foreach (var c in key) if (c is < '!' or > '~' || c == '"') return null;
        return key;
    }

    private static async Task RunAsync(HttpContext http, RequestDelegate next)
    {
        var key = Parse(http.Request.Headers[Header]);
        if (key is null)
        {
            await FieldErrors.Single(Field, $"The {Header} header must be one value of 1 to {MaxKeyLength} visible ASCII characters (a UUID, say).").ExecuteAsync(http);
            return;
        }
        var services = http.RequestServices;
        var db = services.GetRequiredService<TaskHubDbContext>();
        var options = services.GetRequiredService<IOptions<IdempotencyOptions>>().Value;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var userId = http.User.GetUserId();
        var fingerprint = await FingerprintAsync(http.Request, http.RequestAborted);

        var earlier = await FindAsync(db, userId, key, now, options, http.RequestAborted);
        if (earlier is not null)
        {
            await AnswerWithAsync(http, earlier, fingerprint);
            return;
        }

        var record = new IdempotentRequest { UserId = userId, Key = key, Fingerprint = fingerprint, CreatedAt = now };
        db.Add(record);
        var original = http.Response.Body;
        var capture = new CapturingStream(original, options.MaxStoredResponseBytes);
        http.Response.Body = capture;
        try
        {
            await next(http);
        }
        catch (DbUpdateException)
        {
            // Another request with this key may have saved first: the key's primary key refused this one's insert,
            // and its transaction rolled back whole.
            http.Response.Body = original;
            if (http.Response.HasStarted || await FindAfterClashAsync(db, userId, key, now, options) is not { } first) throw;
            http.Response.Clear();
            await AnswerWithAsync(http, first, fingerprint);
            return;
        }
        finally
        {
            http.Response.Body = original;
        }

        var entry = db.Entry(record);
        if (entry.State != EntityState.Unchanged)
        {
            // Never saved: the endpoint refused, or changed nothing. Nothing was applied, so the key stays free.
            if (entry.State == EntityState.Added) entry.State = EntityState.Detached;
            return;
        }
        if (capture.Overflowed) return; // (applied once; a retry hears 409)
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in (ReadOnlySpan<string>)[HeaderNames.ContentType, HeaderNames.Location, HeaderNames.ETag])
            if (http.Response.Headers[name] is { Count: 1 } v) headers[name] = v[0]!;
        var status = http.Response.StatusCode;
        var body = Encoding.UTF8.GetString(capture.Captured);
        var headersJson = JsonSerializer.Serialize(headers);
        // Its own short write, not cancelled by the client (the change is committed: its answer should be kept).
        await using var tx = await db.BeginWriteAsync(CancellationToken.None);
        await db.Set<IdempotentRequest>().Where(r => r.UserId == userId && r.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, status).SetProperty(r => r.Headers, headersJson).SetProperty(r => r.Body, body), CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>The key's record, unless it has expired (an expired one is deleted, so the key starts afresh).</summary>
    private static async Task<IdempotentRequest?> FindAsync(TaskHubDbContext db, Guid userId, string key, DateTime now, IdempotencyOptions options, CancellationToken ct)
    {
        var found = await db.Set<IdempotentRequest>().AsNoTracking().SingleOrDefaultAsync(r => r.UserId == userId && r.Key == key, ct);
        if (found is null || found.CreatedAt > now.AddHours(-options.KeyLifetimeHours)) return found;
        await using var tx = await db.BeginWriteAsync(ct);
        await db.Set<IdempotentRequest>().Where(r => r.UserId == userId && r.Key == key && r.CreatedAt == found.CreatedAt).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        return null;
    }

    private static async Task<IdempotentRequest?> FindAfterClashAsync(TaskHubDbContext db, Guid userId, string key, DateTime now, IdempotencyOptions options)
    {
        db.ChangeTracker.Clear();
        return await FindAsync(db, userId, key, now, options, CancellationToken.None);
    }

    private static async Task AnswerWithAsync(HttpContext http, IdempotentRequest earlier, string fingerprint)
    {
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(earlier.Fingerprint), Encoding.ASCII.GetBytes(fingerprint)))
        {
            await TypedResults.Problem($"This {Header} was used with a different request (another path or body). Use a new key for a new request.",
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency key reused").ExecuteAsync(http);
            return;
        }
        // A session the write would have refused hears no answer either (the endpoint left its check to the write).
        if (PendingSessionCheck.Of(http) is { } session && await session.FailureAsync(http, http.RequestAborted) is { } revoked)
        {
            await revoked.ExecuteAsync(http);
            return;
        }
        if (earlier.Status is not { } status)
        {
            var recent = earlier.CreatedAt > http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime.AddMinutes(-1);
            if (recent) http.Response.Headers.RetryAfter = "1";
            await Problems.Conflict(recent
                ? $"A request with this {Header} is still being processed. Send it again in a moment."
                : $"The request with this {Header} was applied, but its response was not kept. Read the resource instead.").ExecuteAsync(http);
            return;
        }
        http.Response.StatusCode = status;
        foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(earlier.Headers ?? "{}")!)
            http.Response.Headers[name] = value;
        http.Response.Headers[ReplayedHeader] = "true";
        if (!string.IsNullOrEmpty(earlier.Body)) await http.Response.WriteAsync(earlier.Body, http.RequestAborted);
    }

    /// <summary>SHA-256 of the method, path, query and body; the body is buffered so the endpoint reads it again.</summary>
    private static async Task<string> FingerprintAsync(HttpRequest request, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path}\n{request.QueryString}\n"));
        request.EnableBuffering();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, ct)) > 0) hash.AppendData(buffer, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Passes the response through and keeps a copy of up to <paramref name="limit"/> bytes.</summary>
    private sealed class CapturingStream(Stream inner, int limit) : Stream
    {
        private readonly MemoryStream _copy = new();

        public bool Overflowed { get; private set; }
        public ReadOnlySpan<byte> Captured => _copy.GetBuffer().AsSpan(0, (int)_copy.Length);

        private void Keep(ReadOnlySpan<byte> bytes)
        {
            if (Overflowed) return;
            if (_copy.Length + bytes.Length > limit) { Overflowed = true; return; }
            _copy.Write(bytes);
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Keep(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            Keep(buffer.Span);
            await inner.WriteAsync(buffer, ct);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>Deletes the records of keys older than their lifetime, hourly (a retry after that is a new request anyway).</summary>
public sealed class ExpiredKeyCleanup(IServiceScopeFactory scopes, IOptions<IdempotencyOptions> options, TimeProvider clock, ILogger<ExpiredKeyCleanup> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try { await DeleteExpiredAsync(scopes, options.Value, clock, stoppingToken); }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested) { log.LogWarning(e, "Could not delete expired idempotency keys; trying again in an hour."); }
        }
    }

    public static async Task<int> DeleteExpiredAsync(IServiceScopeFactory scopes, IdempotencyOptions options, TimeProvider clock, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var before = clock.GetUtcNow().UtcDateTime.AddHours(-options.KeyLifetimeHours);
        await using var tx = await db.BeginWriteAsync(ct);
        var deleted = await db.Set<IdempotentRequest>().Where(r => r.CreatedAt <= before).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        return deleted;
    }
}

/// <summary>Documents the optional <c>Idempotency-Key</c> header on the endpoints that honour it.</summary>
internal sealed class IdempotencyKeyOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IdempotentEndpoint>().Any())
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = IdempotencyKeys.Header,
                In = ParameterLocation.Header,
                Required = false,
                Description = "A key of 1–255 visible ASCII characters (a UUID, say), one per logical request: sent again with the same request, "
                    + "the change happens once and the first response is answered again (Idempotent-Replayed: true). "
                    + "Remembered per user for Idempotency:KeyLifetimeHours (24 h).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = IdempotencyKeys.MaxKeyLength },
            });
        }
        return Task.CompletedTask;
    }
}
