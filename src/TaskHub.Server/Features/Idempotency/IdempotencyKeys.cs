using System.Buffers;
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
    /// <summary>How long a key is remembered at least; the hourly clean-up forgets it within the hour after (a retry
    /// after that runs as a new request).</summary>
    [Range(1, 24 * 30)]
    public int KeyLifetimeHours { get; set; } = 24;
    /// <summary>A response larger than this is not kept; a retry then hears 409 (its change was applied once).</summary>
    [Range(1024, 16 << 20)]
    public int MaxStoredResponseBytes { get; set; } = 1 << 20;
    /// <summary>How long the first answer to keep waits for others to share its transaction (<see cref="AnswerKeeper"/>);
    /// 0 keeps each batch as soon as it can. A repeat within that time hears 409 with <c>Retry-After</c>.</summary>
    [Range(0, 1000)]
    public int AnswerBatchMilliseconds { get; set; } = 10;
}

/// <summary>Marks a write endpoint that honours an <c>Idempotency-Key</c> (<see cref="IdempotencyKeys"/>).</summary>
public sealed class IdempotentEndpoint
{
    public static readonly IdempotentEndpoint Instance = new(false);
    /// <summary>For an endpoint whose work before its write is heavy (an upload stores its file first): the key is
    /// looked up before it runs, so a repeat of an applied request is answered without doing that work again.</summary>
    public static readonly IdempotentEndpoint LookingUpFirst = new(true);
    public bool LookUpFirst { get; }
    private IdempotentEndpoint(bool lookUpFirst) => LookUpFirst = lookUpFirst;
}

/// <summary>
/// <c>Idempotency-Key</c> on the board's write endpoints: creations, moves, edits and deletions (IETF draft
/// "The Idempotency-Key HTTP Header Field"). A client that lost the answer (a reset connection, a 502 from the load
/// balancer while a replica stops, a dropped network) sends the same request with the same key again, and the change
/// happens once. The second request hears the first one's response again, with <c>Idempotent-Replayed: true</c>.
/// <list type="bullet">
/// <item>The key is remembered per user, with a fingerprint of the request (method, path, query, body): the same key
/// with another request is 422; a repeat that finds the first request committed but its answer not kept yet hears 409
/// with <c>Retry-After</c>. The key is not looked up first (but for <see cref="IdempotentEndpoint.LookingUpFirst"/>'s
/// uploads and imports): a repeat runs the endpoint like a first request, and either clashes on the key's row (at once,
/// or after waiting on the first's lock) or is refused; both end in the first's answer.</item>
/// <item>The record is added to the request's DbContext before the endpoint runs, so the endpoint's own save inserts
/// it in the same transaction as its change (every marked endpoint saves through the request's context: one
/// <c>BoardStream</c> write, or its own transaction). A refused request (400, 403, 404, 412) saves nothing, so its key
/// stays free for the corrected request. Two requests with one key at once: the second's save fails on the key and
/// it hears the first's answer, or 409. A repeated edit whose <c>If-Match</c> the first one's change made stale, or a
/// repeated deletion that finds nothing left, is refused, and that refusal is replaced by the first's answer.</item>
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
        builder.Services.AddSingleton<AnswerKeeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AnswerKeeper>()); // (stops before the data services)
        builder.Services.Configure<OpenApiOptions>("v1", o => o.AddOperationTransformer<IdempotencyKeyOperationTransformer>());
        return builder;
    }

    /// <summary>After authorisation (the key belongs to the signed-in user) and the exception handler.</summary>
    public static WebApplication UseIdempotencyKeys(this WebApplication app)
    {
        app.Use(static (http, next) =>
            http.Request.Headers.ContainsKey(Header) && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
                && http.GetEndpoint()?.Metadata.GetMetadata<IdempotentEndpoint>() is { } endpoint
                && http.User.Identity?.IsAuthenticated == true
                ? RunAsync(http, next, endpoint.LookUpFirst)
                : next(http));
        return app;
    }

    /// <summary>Lets a write endpoint (POST, PATCH, DELETE) honour <c>Idempotency-Key</c>. <paramref name="lookUpFirst"/>:
    /// see <see cref="IdempotentEndpoint.LookingUpFirst"/> (one more read per request; for uploads and imports).</summary>
    public static TBuilder WithIdempotencyKey<TBuilder>(this TBuilder builder, bool lookUpFirst = false) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(lookUpFirst ? IdempotentEndpoint.LookingUpFirst : IdempotentEndpoint.Instance);

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

    /// <summary>The problem type of the 409 a repeat hears while the first request runs (with Retry-After), or once its
    /// change was applied but its answer was not kept.</summary>
    public const string InProgressType = "urn:taskhub:problem:idempotency-key-in-progress";
    public const string NotKeptType = "urn:taskhub:problem:idempotency-answer-not-kept";
    /// <summary>The problem type of the 422 for a key sent with another request.</summary>
    public const string ReusedType = "urn:taskhub:problem:idempotency-key-reused";
    /// <summary><see cref="IdempotentAnswer.Status"/> of a change whose answer was too large to keep, or failed after its save.</summary>
    public const int NotKept = -1;
    /// <summary>How long a record without an answer counts as its request still running.</summary>
    public static readonly TimeSpan StillRunning = TimeSpan.FromMinutes(1);

    // Compiled (every keyed write asks it): see CompiledPerModel.
    private static readonly CompiledPerModel<Func<TaskHubDbContext, Guid, string, CancellationToken, Task<IdempotentRequest?>>> Lookup =
        new(() => EF.CompileAsyncQuery((TaskHubDbContext db, Guid userId, string key, CancellationToken ct) =>
            db.Set<IdempotentRequest>().AsNoTracking().Include(r => r.Answer).FirstOrDefault(r => r.UserId == userId && r.Key == key)));

    private static async Task RunAsync(HttpContext http, RequestDelegate next, bool lookUpFirst)
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
        var clock = services.GetRequiredService<TimeProvider>();
        var userId = http.User.GetUserId();
        var fingerprint = await FingerprintAsync(http.Request, http.RequestAborted);

        // No lookup first: a key is almost always new, and its row's primary key finds a repeat anyway (the save fails
        // on it, or the endpoint refuses; both end below in the earlier request's answer). A lookup first was one more
        // round trip on every keyed write (bench/README.md, "Twenty-seventh round"). An upload's repeat would store its
        // file again before it got that far, though.
        if (lookUpFirst && await FindAsync(db, userId, key, http.RequestAborted) is { } applied)
        {
            await AnswerWithAsync(http, applied, fingerprint, clock);
            return;
        }
        var record = new IdempotentRequest { UserId = userId, Key = key, Fingerprint = fingerprint, CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Add(record);
        // Stamped again as it is saved, not only as the request began: a repeat counts a record without an answer as its
        // request still running for a while after that (StillRunning), and an upload's file may take longer than that to
        // arrive. A save later in the same transaction stamps it once more (an import saves its board, then writes
        // every card, then commits).
        EventHandler<SavingChangesEventArgs> stamp = (_, _) =>
        {
            var state = db.Entry(record).State;
            if (state == EntityState.Added || (state == EntityState.Unchanged && db.Database.CurrentTransaction is not null))
                record.CreatedAt = clock.GetUtcNow().UtcDateTime;
        };
        db.SavingChanges += stamp;
        // The whole answer is buffered: the copy kept is the whole of it even when the client has gone (writing to a
        // client that has gone stops the endpoint's writer quietly, with the rest unwritten).
        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try
        {
            try { await next(http); }
            finally { db.SavingChanges -= stamp; }
        }
        catch (DbUpdateException)
        {
            // The key's primary key may have refused this one's insert (its transaction rolled back whole): another
            // request with this key saved first.
            http.Response.Body = original;
            db.ChangeTracker.Clear();
            if (http.Response.HasStarted || await FindAsync(db, userId, key, CancellationToken.None) is not { } first) throw;
            ForgetAnswer(http.Response);
            await AnswerWithAsync(http, first, fingerprint, clock);
            return;
        }
        catch
        {
            // (the exception handler runs in this scope: nothing may save the key's row for a request that failed)
            var state = db.Entry(record).State;
            if (state == EntityState.Added) db.Entry(record).State = EntityState.Detached;
            else if (state == EntityState.Unchanged)
            {
                // Saved, then failed: its commit may have happened (an error after it, or a commit whose reply was
                // lost). Its answer is gone either way; kept as "not kept", a repeat hears at once that the change was
                // applied, rather than "still running" for a minute. The keeper stores it only while the key's row is
                // there, so a change that was rolled back leaves its key free for the repeat.
                services.GetRequiredService<AnswerKeeper>().Keep(new KeptAnswer(userId, key, NotKept, null, null));
            }
            http.Response.Body = original;
            throw;
        }
        http.Response.Body = original;

        var entry = db.Entry(record);
        if (entry.State == EntityState.Unchanged)
        {
            // Saved with the change: keep its answer.
            var keep = buffer.Length <= options.MaxStoredResponseBytes;
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var name in (ReadOnlySpan<string>)[HeaderNames.ContentType, HeaderNames.Location, HeaderNames.ETag])
                if (http.Response.Headers[name] is { Count: 1 } v) headers[name] = v[0]!;
            var answer = new KeptAnswer(userId, key, keep ? http.Response.StatusCode : NotKept,
                keep ? JsonSerializer.Serialize(headers) : null, keep ? Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) : null);
            // Not awaited: waiting put a second commit in series with the write's own on every keyed request (on MariaDB
            // a paired run then did 0.35× the writes of one without keys; bench/README.md, "Twenty-sixth round"). A
            // repeat is sent only once an answer was lost, and one that comes before the answer is kept hears 409
            // with Retry-After.
            services.GetRequiredService<AnswerKeeper>().Keep(answer);
        }
        else
        {
            // Never saved: the endpoint refused, or changed nothing. If meanwhile another request with this key has
            // saved its change, this answer was worked out against that change (a refusal of a member added twice, say):
            // the repeat hears the first request's answer instead.
            if (entry.State == EntityState.Added) entry.State = EntityState.Detached;
            if (await FindAsync(db, userId, key, CancellationToken.None) is { } first)
            {
                ForgetAnswer(http.Response);
                await AnswerWithAsync(http, first, fingerprint, clock);
                return;
            }
        }
        buffer.Position = 0;
        if (http.Response.ContentLength is null && !http.Response.HasStarted && buffer.Length > 0) http.Response.ContentLength = buffer.Length;
        await buffer.CopyToAsync(original, http.RequestAborted);
    }

    /// <summary>Drops what the endpoint set for its own answer (its body went to the buffer), keeping what the pipeline
    /// set before it (the security headers; <c>Response.Clear</c> would drop those too).</summary>
    private static void ForgetAnswer(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status200OK;
        foreach (var name in (ReadOnlySpan<string>)[HeaderNames.ContentType, HeaderNames.ContentLength, HeaderNames.Location, HeaderNames.ETag, HeaderNames.RetryAfter])
            response.Headers.Remove(name);
    }

    /// <summary>The key's record. One past its lifetime is still answered until the hourly clean-up deletes it (a key is
    /// remembered at least <see cref="IdempotencyOptions.KeyLifetimeHours"/>): its row still holds the key, so a request
    /// with it could not be applied anyway.</summary>
    private static async Task<IdempotentRequest?> FindAsync(TaskHubDbContext db, Guid userId, string key, CancellationToken ct)
    {
        var found = await Lookup.For(db)(db, userId, key, ct);
        if (found is { Answer: null })
        {
            // While a Deployment rolls onto this version, the replicas of the version before still keep their answers in
            // the key's own row (the columns the IdempotentAnswers migration left in place): a repeat that reaches this
            // version hears that answer too. Read only for a key found without an answer (repeats, rarely). Goes with
            // the migration that drops those columns.
            var legacy = await db.Database.SqlQuery<LegacyAnswer>(
                $"SELECT Status, Headers, Body FROM idempotent_requests WHERE UserId = {userId} AND `Key` = {key}").FirstOrDefaultAsync(ct);
            if (legacy is { Status: { } status })
                found.Answer = new IdempotentAnswer { UserId = userId, Key = key, Status = status, Headers = legacy.Headers, Body = legacy.Body };
        }
        return found;
    }

    /// <summary>An answer kept by the version before <c>IdempotentAnswers</c> (<see cref="FindAsync"/>).</summary>
    private sealed record LegacyAnswer(int? Status, string? Headers, string? Body);

    private static async Task AnswerWithAsync(HttpContext http, IdempotentRequest earlier, string fingerprint, TimeProvider clock)
    {
        // A session the write would have refused hears 401 and nothing else (the endpoint left its check to the write).
        if (PendingSessionCheck.Of(http) is { } session && await session.FailureAsync(http, http.RequestAborted) is { } revoked)
        {
            await revoked.ExecuteAsync(http);
            return;
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(earlier.Fingerprint), Encoding.ASCII.GetBytes(fingerprint)))
        {
            await ProblemAsync(http, StatusCodes.Status422UnprocessableEntity, ReusedType,
                $"This {Header} was used with a different request (another path or body). Use a new key for a new request.", field: Field);
            return;
        }
        // A record with no answer yet: its request is between its commit and keeping its answer, or (a minute on, longer
        // than any request lasts) its process stopped in between: the change was applied once, and its answer is gone.
        var answer = earlier.Answer;
        var running = answer is null && earlier.CreatedAt > clock.GetUtcNow().UtcDateTime - StillRunning;
        if (running)
        {
            http.Response.Headers.RetryAfter = "1";
            await ProblemAsync(http, StatusCodes.Status409Conflict, InProgressType, $"A request with this {Header} is still being processed. Send it again in a moment.");
            return;
        }
        if (answer is null || answer.Status == NotKept)
        {
            await ProblemAsync(http, StatusCodes.Status409Conflict, NotKeptType, $"The request with this {Header} was applied, but its answer was not kept. Read the resource instead.");
            return;
        }
        http.Response.StatusCode = answer.Status;
        foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(answer.Headers ?? "{}")!)
            http.Response.Headers[name] = value;
        http.Response.Headers[ReplayedHeader] = "true";
        if (!string.IsNullOrEmpty(answer.Body)) await http.Response.WriteAsync(answer.Body, http.RequestAborted);
    }

    /// <summary><paramref name="field"/>: the caller's mistake is the key (a reused one), named as every field is.</summary>
    private static Task ProblemAsync(HttpContext http, int status, string type, string detail, string? field = null) =>
        TypedResults.Problem(detail, statusCode: status, type: type,
            title: status == StatusCodes.Status409Conflict ? "Conflict" : "Idempotency key reused",
            extensions: field is null ? null : new Dictionary<string, object?> { ["field"] = field }).ExecuteAsync(http);

    /// <summary>SHA-256 of the method, path, query and body; the body is buffered so the endpoint reads it again. A
    /// multipart body counts by its parts (each one's headers and content), not its bytes: a client that sends a form
    /// again draws a new boundary (browsers' FormData does, every time), and that repeat is the same request.</summary>
    private static async Task<string> FingerprintAsync(HttpRequest request, CancellationToken ct)
    {
        request.EnableBuffering();
        var head = Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path}\n{request.QueryString}\n");
        try
        {
            if (MultipartBoundary(request.ContentType) is { } boundary)
            {
                try
                {
                    return await HashAsync(head, async hash =>
                    {
                        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, request.Body);
                        for (var i = 0; await reader.ReadNextSectionAsync(ct) is { } section; i++)
                        {
                            hash.AppendData(Encoding.UTF8.GetBytes($"part {i}\n{section.ContentDisposition}\n{section.ContentType}\n"));
                            var length = await AppendAsync(hash, section.Body, ct);
                            hash.AppendData(Encoding.UTF8.GetBytes($"\n{length}\n"));
                        }
                    });
                }
                catch (Exception e) when (e is IOException or InvalidDataException)
                {
                    request.Body.Position = 0; // not a well-formed form: its bytes, as for any other body
                }
            }
            return await HashAsync(head, hash => AppendAsync(hash, request.Body, ct));
        }
        finally { request.Body.Position = 0; }
    }

    private static async Task<string> HashAsync(byte[] head, Func<IncrementalHash, Task> body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(head);
        await body(hash);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Hashes the rest of <paramref name="stream"/>; returns how many bytes it had.</summary>
    private static async Task<long> AppendAsync(IncrementalHash hash, Stream stream, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, ct)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                total += read;
            }
            return total;
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>The form's boundary, when it is one a form reader takes (at most 70 characters, RFC 2046; a longer one
    /// made the reader throw, a 500): other bodies count by their bytes.</summary>
    private static string? MultipartBoundary(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
        && HeaderUtilities.RemoveQuotes(type.Boundary).Value is { Length: > 0 and <= 70 } boundary
            ? boundary
            : null;
}

/// <summary>Deletes the records of keys older than their lifetime, once within the first hour after start and then
/// hourly (a retry after that is a new request).</summary>
public sealed class ExpiredKeyCleanup(IServiceScopeFactory scopes, IOptions<IdempotencyOptions> options, TimeProvider clock, ILogger<ExpiredKeyCleanup> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // First at a random moment 5–60 minutes after start (a replica restarted more often than hourly still cleans, and
        // the replicas of a cluster do not all clean at once), then hourly.
        await Task.Delay(TimeSpan.FromMinutes(5 + Random.Shared.NextDouble() * 55), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        do
        {
            if (stoppingToken.IsCancellationRequested) return;
            try { await DeleteExpiredAsync(scopes, options.Value, clock, stoppingToken); }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested) { log.LogWarning(e, "Could not delete expired idempotency keys; trying again in an hour."); }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Rows deleted per transaction: every keyed board write leaves a row, and one transaction for an hour's
    /// worth would hold SQLite's write queue (every board write waits its turn) for as long as it runs.</summary>
    public const int BatchSize = 1000;

    /// <summary>Deletes the expired records, <paramref name="batchSize"/> per write transaction, oldest first.</summary>
    public static async Task<int> DeleteExpiredAsync(IServiceScopeFactory scopes, IdempotencyOptions options, TimeProvider clock, CancellationToken ct, int batchSize = BatchSize)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TaskHubDbContext>();
        var before = clock.GetUtcNow().UtcDateTime.AddHours(-options.KeyLifetimeHours);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var expired = db.Set<IdempotentRequest>().Where(r => r.CreatedAt <= before);
        for (var total = 0; ;)
        {
            // The batch is a range of the CreatedAt index, up to the batch's youngest (ties go with it): a delete with
            // ORDER BY and LIMIT is MariaDB's alone, and EF's form of it on SQLite (a composite key) scans the table.
            var upTo = await expired.OrderBy(r => r.CreatedAt).Skip(batchSize - 1).Select(r => (DateTime?)r.CreatedAt).FirstOrDefaultAsync(ct);
            var last = upTo is { } youngest ? DateTime.SpecifyKind(youngest, DateTimeKind.Utc) : before; // (stored as UTC)
            await using (var tx = await db.BeginWriteAsync(ct)) // (SQLite: in the write queue's turn)
            {
                total += await db.Set<IdempotentRequest>().Where(r => r.CreatedAt <= last).ExecuteDeleteAsync(ct);
                await tx.CommitAsync(ct);
            }
            if (upTo is null) return total;
        }
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
                    + "Remembered per user for at least Idempotency:KeyLifetimeHours (24 h).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = IdempotencyKeys.MaxKeyLength },
            });
        }
        return Task.CompletedTask;
    }
}
