using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Integrations;

public enum WebhookFormat { Json, Slack }

/// <summary>An outgoing webhook of a board: board events POSTed, signed, to a URL the owners chose.</summary>
public sealed class Webhook
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid BoardId { get; set; }
    public required string Url { get; set; }
    /// <summary>Comma-separated event types; empty = every event but the board's bookkeeping (<see cref="BoardEventTypes.Internal"/>).</summary>
    public string Events { get; set; } = "";
    public required string Secret { get; set; }
    public WebhookFormat Format { get; set; }
    public bool Active { get; set; } = true;
    public Guid? CreatedById { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastDeliveryAt { get; set; }
    public int? LastStatus { get; set; }
    public string? LastError { get; set; }
    public DateTime? DisabledAt { get; set; }

    public bool Wants(string type) => Events.Length == 0 ? !BoardEventTypes.Internal.Contains(type) : Events.Split(',').Contains(type, StringComparer.Ordinal);
}

internal sealed class WebhookConfiguration : IEntityTypeConfiguration<Webhook>
{
    public void Configure(EntityTypeBuilder<Webhook> b)
    {
        b.ToTable("webhooks");
        b.Property(w => w.Url).HasMaxLength(2000);
        b.Property(w => w.Events).HasMaxLength(1000);
        b.Property(w => w.Secret).HasMaxLength(WebhookRules.SecretMax);
        b.Property(w => w.Format).HasConversion<string>().HasMaxLength(8);
        b.Property(w => w.LastError).HasMaxLength(500);
        b.HasIndex(w => w.BoardId);
        b.HasOne<Board>().WithMany().HasForeignKey(w => w.BoardId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<User>().WithMany().HasForeignKey(w => w.CreatedById).OnDelete(DeleteBehavior.SetNull);
    }
}

public sealed record WebhookDeliveryStatus(DateTime At, int? Status, string? Error);

public sealed record WebhookDto(Guid Id, Guid BoardId, string Url, IReadOnlyList<string> Events, WebhookFormat Format, bool Active, WebhookDeliveryStatus? LastDelivery)
{
    public static WebhookDto From(Webhook w) => new(w.Id, w.BoardId, w.Url, w.Events.Length == 0 ? [] : w.Events.Split(','), w.Format, w.Active,
        w.LastDeliveryAt is { } at ? new WebhookDeliveryStatus(at, w.LastStatus, w.LastError) : null);
}

public sealed record CreateWebhookRequest(string? Url, List<string>? Events, string? Secret, WebhookFormat? Format);

public sealed record ChangeWebhookRequest(Optional<string?> Url, Optional<List<string>?> Events, Optional<string?> Secret, Optional<WebhookFormat?> Format, Optional<bool?> Active);

public sealed record WebhookDeliveryDto(string DeliveryId, string Event, string Status, int Attempts, string? LastError, DateTime CreatedAt, DateTime? DeliveredAt);

public static class WebhookRules
{
    public const int SecretMin = 16;
    public const int SecretMax = 200;
}

/// <summary>Settings under <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";
    /// <summary>Let webhooks reach private and loopback addresses (tests, an intranet). Link-local ones never.</summary>
    public bool AllowPrivateTargets { get; set; }
    [System.ComponentModel.DataAnnotations.Range(1, 60)] public int TimeoutSeconds { get; set; } = 10;
}

/// <summary>Which addresses a webhook may reach: never link-local (the cloud metadata address) or unspecified; private and
/// loopback ranges only when <see cref="WebhookOptions.AllowPrivateTargets"/>.</summary>
public static class WebhookTargets
{
    public static bool Allowed(IPAddress ip, bool allowPrivate)
    {
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || ip.IsIPv6LinkLocal || ip.IsIPv6Multicast) return false;
        var b = ip.GetAddressBytes();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            if (b[0] == 169 && b[1] == 254) return false;                 // link-local, cloud metadata
            if (b[0] == 0 || b[0] >= 224) return false;                   // "this network", multicast, reserved
            var isPrivate = b[0] == 10 || b[0] == 127 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168)
                            || (b[0] == 100 && b[1] is >= 64 and <= 127);
            return allowPrivate || !isPrivate;
        }
        var isPrivate6 = IPAddress.IsLoopback(ip) || (b[0] & 0xFE) == 0xFC; // ::1, fc00::/7
        return allowPrivate || !isPrivate6;
    }

    public static async Task<string?> ProblemWithAsync(string? url, bool allowPrivate, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.UserInfo.Length > 0)
            return "Must be an http or https URL without credentials.";
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.DnsSafeHost, ct);
        }
        catch (SocketException)
        {
            return "The host name does not resolve.";
        }
        if (addresses.Length == 0 || !addresses.All(a => Allowed(a, allowPrivate)))
            return "The address is in a private, loopback or link-local range, which webhooks may not reach.";
        return null;
    }

    /// <summary>An HTTP handler that follows no redirects and connects only to allowed addresses (checked at connect
    /// time, so a name that later resolves elsewhere cannot reach an internal service).</summary>
    public static SocketsHttpHandler Handler(bool allowPrivate) => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            var target = addresses.FirstOrDefault(a => Allowed(a, allowPrivate))
                         ?? throw new HttpRequestException($"Webhook target {context.DnsEndPoint.Host} is not allowed.");
            var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(target, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}

public static class WebhooksApi
{
    public const string DeliveryKind = "webhook";
    public const string FanoutKind = "webhooks";

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var board = app.MapGroup("/api/boards/{boardId:guid}/webhooks").WithTags("Webhooks").RequireAuthorization();
        board.MapGet("/", List);
        board.MapPost("/", Create).WithIdempotencyKey(); // (a hook created twice would deliver every event twice)
        var hook = app.MapGroup("/api/webhooks/{webhookId:guid}").WithTags("Webhooks").RequireAuthorization();
        hook.MapPatch("/", Change).WithIdempotencyKey();
        hook.MapDelete("/", Delete).WithIdempotencyKey();
        hook.MapPost("/test", Test);
        hook.MapGet("/deliveries", Deliveries);
        return app;
    }

    /// <summary>Whether the board has an active hook: the fan-out's <see cref="Notifications.OutboxConsumer.ActiveWhen"/>,
    /// asked on every write to the board (<see cref="BoardProbe"/>).</summary>
    public static readonly BoardProbe HasActiveHook = new("active-webhook", "EXISTS (SELECT 1 FROM webhooks WHERE BoardId = {board} AND Active)");

    private const string OnlyManagers = "Only owners and admins manage webhooks.";

    public static async Task<Results<Ok<List<WebhookDto>>, ProblemHttpResult>> List(Guid boardId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        if (await db.ManagerRefusalAsync(boardId, me.Id, OnlyManagers, ct) is { } refused) return refused;
        var hooks = await db.Set<Webhook>().AsNoTracking().Where(w => w.BoardId == boardId).OrderBy(w => w.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(hooks.Select(WebhookDto.From).ToList());
    }

    public static async Task<Results<Created<WebhookDto>, ValidationProblem, ProblemHttpResult>> Create(
        Guid boardId, CreateWebhookRequest request, CurrentUser me, TaskHubDbContext db, IOptions<WebhookOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (await db.ManagerRefusalAsync(boardId, me.Id, OnlyManagers, ct) is { } refused) return refused;
        var errors = await CheckAsync(request.Url, request.Events, request.Secret, options.Value, ct);
        if (errors.Any) return errors.ToProblem();
        var hook = new Webhook
        {
            BoardId = boardId, Url = request.Url!.Trim(), Events = string.Join(',', request.Events ?? []), Secret = request.Secret!,
            Format = request.Format ?? WebhookFormat.Json, CreatedById = me.Id, CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Add(hook);
        // (under the board's lock: writes fan out only on boards with an active hook; the rights read again there)
        if (await db.SaveUnderBoardLockAsync(boardId, () => db.ManagerRefusalAsync(boardId, me.Id, OnlyManagers, ct), ct) is { } refusedNow)
            return refusedNow;
        return TypedResults.Created($"/api/webhooks/{hook.Id}", WebhookDto.From(hook));
    }

    public static async Task<Results<Ok<WebhookDto>, ValidationProblem, ProblemHttpResult>> Change(
        Guid webhookId, ChangeWebhookRequest request, CurrentUser me, TaskHubDbContext db, IOptions<WebhookOptions> options, CancellationToken ct)
    {
        var hook = await db.Set<Webhook>().SingleOrDefaultAsync(w => w.Id == webhookId, ct);
        if (hook is null) return Problems.NotFound("Webhook");
        if (await db.ManagerRefusalAsync(hook.BoardId, me.Id, OnlyManagers, ct, missing: "Webhook") is { } refused) return refused;
        var errors = await CheckAsync(request.Url.HasValue ? request.Url.Value : hook.Url, request.Events.HasValue ? request.Events.Value : null,
            request.Secret.HasValue ? request.Secret.Value : hook.Secret, options.Value, ct);
        if (request.Format is { HasValue: true, Value: null }) errors.Add("format", "Must be json or slack.");
        if (request.Active is { HasValue: true, Value: null }) errors.Add("active", "Must be true or false.");
        if (errors.Any) return errors.ToProblem();
        if (request.Url.HasValue) hook.Url = request.Url.Value!.Trim();
        if (request.Events.HasValue) hook.Events = string.Join(',', request.Events.Value ?? []);
        if (request.Secret.HasValue) hook.Secret = request.Secret.Value!;
        if (request.Format.HasValue) hook.Format = request.Format.Value!.Value;
        if (request.Active.HasValue)
        {
            hook.Active = request.Active.Value!.Value;
            if (hook.Active) hook.DisabledAt = null;
        }
        // (under the board's lock: writes fan out only on boards with an active hook; the rights read again there)
        if (await db.SaveUnderBoardLockAsync(hook.BoardId, () => StillManagedAsync(db, hook, me.Id, ct), ct) is { } refusedNow) return refusedNow;
        return TypedResults.Ok(WebhookDto.From(hook));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid webhookId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        var hook = await db.Set<Webhook>().SingleOrDefaultAsync(w => w.Id == webhookId, ct);
        if (hook is null) return Problems.NotFound("Webhook");
        if (await db.ManagerRefusalAsync(hook.BoardId, me.Id, OnlyManagers, ct, missing: "Webhook") is { } refused) return refused;
        db.Remove(hook);
        if (await db.SaveUnderBoardLockAsync(hook.BoardId, () => StillManagedAsync(db, hook, me.Id, ct), ct) is { } refusedNow) return refusedNow;
        return TypedResults.NoContent();
    }

    /// <summary>Queues a <c>WebhookTest</c> delivery (through the outbox like every other).</summary>
    public static async Task<Results<Accepted, ProblemHttpResult>> Test(Guid webhookId, CurrentUser me, TaskHubDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var hook = await db.Set<Webhook>().AsNoTracking().SingleOrDefaultAsync(w => w.Id == webhookId, ct);
        if (hook is null) return Problems.NotFound("Webhook");
        if (await db.ManagerRefusalAsync(hook.BoardId, me.Id, OnlyManagers, ct, missing: "Webhook") is { } refused) return refused;
        var now = clock.GetUtcNow().UtcDateTime;
        var test = new BoardEventDto(hook.BoardId, 0, "WebhookTest", null, me.Id, [], now);
        var key = $"{DeliveryKind}:{hook.Id:N}:test-{Guid.NewGuid():N}";
        db.Add(OutboxWriter.New(DeliveryKind, key, JsonSerializer.Serialize(new WebhookDelivery(hook.Id, JsonSerializer.Serialize(test, TaskHubJson.Options), Test: true), TaskHubJson.Options), now));
        if (await db.SaveUnderBoardLockAsync(hook.BoardId, () => StillManagedAsync(db, hook, me.Id, ct), ct) is { } refusedNow) return refusedNow;
        return TypedResults.Accepted($"/api/webhooks/{hook.Id}/deliveries");
    }

    /// <summary>Under the board's lock: the caller still manages the board and the hook is still there (404 otherwise,
    /// rather than the "changed by someone else" of a save that finds no row).</summary>
    private static async Task<ProblemHttpResult?> StillManagedAsync(TaskHubDbContext db, Webhook hook, Guid userId, CancellationToken ct) =>
        await db.ManagerRefusalAsync(hook.BoardId, userId, OnlyManagers, ct, missing: "Webhook")
        ?? (await db.Set<Webhook>().AnyAsync(w => w.Id == hook.Id, ct) ? null : Problems.NotFound("Webhook"));

    /// <summary>The last 20 deliveries of a hook, newest first, with their outcome.</summary>
    public static async Task<Results<Ok<List<WebhookDeliveryDto>>, ProblemHttpResult>> Deliveries(Guid webhookId, CurrentUser me, TaskHubDbContext db, CancellationToken ct)
    {
        var hook = await db.Set<Webhook>().AsNoTracking().SingleOrDefaultAsync(w => w.Id == webhookId, ct);
        if (hook is null) return Problems.NotFound("Webhook");
        if (await db.ManagerRefusalAsync(hook.BoardId, me.Id, OnlyManagers, ct, missing: "Webhook") is { } refused) return refused;
        var prefix = $"{DeliveryKind}:{hook.Id:N}:";
        var rows = await db.Set<OutboxMessage>().AsNoTracking().Where(o => o.Kind == DeliveryKind && o.Key.StartsWith(prefix))
            .OrderByDescending(o => o.Id).Take(20).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(o => new WebhookDeliveryDto(o.Key,
            JsonSerializer.Deserialize<BoardEventDto>(JsonSerializer.Deserialize<WebhookDelivery>(o.Payload, TaskHubJson.Options)!.Event, TaskHubJson.Options)!.Type,
            o.DeliveredAt is not null ? "delivered" : o.DeadLetteredAt is not null ? "failed" : o.Attempts > 0 ? "retrying" : "pending",
            o.Attempts, o.LastError, o.CreatedAt, o.DeliveredAt)).ToList());
    }

    private static async Task<FieldErrors> CheckAsync(string? url, List<string>? events, string? secret, WebhookOptions o, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (await WebhookTargets.ProblemWithAsync(url?.Trim(), o.AllowPrivateTargets, ct) is { } problem) errors.Add("url", problem);
        errors.Check((secret ?? "").Length is >= WebhookRules.SecretMin and <= WebhookRules.SecretMax, "secret", $"Must be {WebhookRules.SecretMin} to {WebhookRules.SecretMax} characters.");
        var known = typeof(BoardEventTypes).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!).ToHashSet();
        if (events is not null && events.Any(e => !known.Contains(e))) errors.Add("events", $"Must be event types: {string.Join(", ", known.Order())}.");
        return errors;
    }
}

/// <summary>
/// A board's hooks point where whoever created them chose. When that person may no longer manage the board (made a plain
/// member or viewer, removed, or their account deleted), their hooks on it are switched off in the same transaction
/// (under the board's lock, like every change to its hooks), so the board's events stop reaching a URL of theirs; the
/// owners see them off in the board's settings and may switch them on again.
/// </summary>
internal sealed class HooksOfFormerManagers(TaskHubDbContext db, TimeProvider clock) : IBoardMembershipHandler
{
    public Task MemberLeavingAsync(Guid boardId, Guid userId, Guid? actorId, CancellationToken ct) => SwitchOffAsync(boardId, userId, ct);

    public Task ManagerDemotedAsync(Guid boardId, Guid userId, CancellationToken ct) => SwitchOffAsync(boardId, userId, ct);

    private async Task SwitchOffAsync(Guid boardId, Guid userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<Webhook>().Where(w => w.BoardId == boardId && w.CreatedById == userId && w.Active)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.Active, false).SetProperty(w => w.DisabledAt, now), ct);
    }
}

/// <summary>One delivery's outbox payload: the hook and the event's wire JSON (the same bytes every consumer gets).</summary>
public sealed record WebhookDelivery(Guid WebhookId, string Event, bool Test = false);

/// <summary>
/// Every board event (an <see cref="OutboxConsumer"/>) becomes one delivery per interested active hook of its board:
/// its own outbox row, keyed <c>webhook:{hook}:{board}:{seq}</c> — the delivery id receivers deduplicate by — so each
/// hook is retried on its own.
/// </summary>
public sealed class WebhookFanout(TaskHubDbContext db) : IOutboxHandler
{
    public string Kind => WebhooksApi.FanoutKind;

    /// <summary>A batch in three queries and one commit: its boards' active hooks, the delivery rows that already exist, the new rows.</summary>
    public async Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct)
    {
        var events = batch.Select(m => (Message: m, Event: JsonSerializer.Deserialize<BoardEventDto>(m.Payload, TaskHubJson.Options)!)).ToList();
        var boardIds = events.Select(x => x.Event.BoardId).Distinct().ToList();
        var hooksByBoard = (await db.Set<Webhook>().AsNoTracking().Where(w => boardIds.Contains(w.BoardId) && w.Active).ToListAsync(ct))
            .ToLookup(w => w.BoardId);
        var deliveries = events
            .SelectMany(x => hooksByBoard[x.Event.BoardId].Where(h => h.Wants(x.Event.Type))
                .Select(h => (x.Message, Hook: h, Key: $"{WebhooksApi.DeliveryKind}:{h.Id:N}:{x.Event.BoardId:N}:{x.Event.Seq}")))
            .ToList();
        if (deliveries.Count == 0) return new Dictionary<long, string>();
        var keys = deliveries.Select(d => d.Key).ToList();
        var existing = (await db.Set<OutboxMessage>().Where(o => keys.Contains(o.Key)).Select(o => o.Key).ToListAsync(ct)).ToHashSet();
        // Due as of the change itself, so a burst's deliveries go out between its fan-outs, not after them all.
        foreach (var (m, hook, key) in deliveries.Where(d => !existing.Contains(d.Key)))
            db.Add(OutboxWriter.New(WebhooksApi.DeliveryKind, key, JsonSerializer.Serialize(new WebhookDelivery(hook.Id, m.Payload), TaskHubJson.Options), m.CreatedAt));
        await db.SaveChangesAsync(ct); // (the dispatcher's context: its claimed rows stay tracked, so no Clear here)
        return new Dictionary<long, string>();
    }
}

/// <summary>
/// POSTs one delivery: JSON (the board event) or Slack/Discord-compatible <c>{"text": …}</c>; headers
/// <c>X-TaskHub-Delivery</c>, <c>X-TaskHub-Event</c> and <c>X-TaskHub-Signature: t=…,v1=hex(HMAC-SHA256(secret, "t.body"))</c>.
/// Not 2xx → the outbox retries with backoff; after the last attempt the hook is switched off and its board's owners told.
/// </summary>
public sealed partial class WebhookSender(TaskHubDbContext db, IHttpClientFactory http, EmailComposer composer, TimeProvider clock, ILogger<WebhookSender> log) : IOutboxHandler
{
    public string Kind => WebhooksApi.DeliveryKind;

    /// <summary>Deliveries of one batch in flight at once (each carries its event's seq: receivers order by it).</summary>
    public const int Concurrency = 8;

    private sealed record Prepared(OutboxMessage Message, Guid HookId, string Url, string Secret, string Type, string Body, bool Test);

    /// <summary>A hook's target as it is right before a POST.</summary>
    private sealed record Target(string Url, string Secret, bool Active);

    /// <summary>
    /// A batch: its hooks read in one query and the bodies built first (the chat text reads names), then the POSTs
    /// sent <see cref="Concurrency"/> at a time, then each hook's last outcome recorded in one commit.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct)
    {
        var failures = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
        var deliveries = new List<(OutboxMessage Message, WebhookDelivery Delivery)>();
        foreach (var m in batch)
        {
            try
            {
                deliveries.Add((m, JsonSerializer.Deserialize<WebhookDelivery>(m.Payload, TaskHubJson.Options)!));
            }
            catch (JsonException e)
            {
                failures[m.Id] = $"{e.GetType().Name}: {e.Message}";
            }
        }
        var hookIds = deliveries.Select(d => d.Delivery.WebhookId).Distinct().ToList();
        var hooks = await db.Set<Webhook>().AsNoTracking().Where(w => hookIds.Contains(w.Id)).ToDictionaryAsync(w => w.Id, ct);

        var sending = deliveries
            .Where(d => hooks.TryGetValue(d.Delivery.WebhookId, out var hook) && (hook.Active || d.Delivery.Test)) // gone or switched off (a test is sent anyway)
            .Select(d => (d.Message, Hook: hooks[d.Delivery.WebhookId], Json: d.Delivery.Event, Event: JsonSerializer.Deserialize<BoardEventDto>(d.Delivery.Event, TaskHubJson.Options)!, d.Delivery.Test))
            .ToList();
        var actorIds = sending.Where(d => d.Hook.Format == WebhookFormat.Slack).Select(d => d.Event.ActorId).OfType<Guid>().Distinct().ToList();
        var actors = actorIds.Count == 0 ? [] : await db.Users.AsNoTracking().Where(u => actorIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);

        var prepared = new List<Prepared>();
        foreach (var (m, hook, json, e, test) in sending)
        {
            // Slack reads "text", Discord "content": the chat format carries both, so one URL of either works.
            var chat = hook.Format == WebhookFormat.Slack ? SlackText(e, e.ActorId is { } a ? actors.GetValueOrDefault(a) : null) : null;
            var body = chat is not null ? JsonSerializer.Serialize(new { text = chat, content = chat }, TaskHubJson.Options) : json;
            prepared.Add(new Prepared(m, hook.Id, hook.Url, hook.Secret, e.Type, body, test));
        }

        // The hook is read again right before each POST (one read at a time on this context): a batch takes as long as its
        // slowest receivers, and a hook deleted, switched off, pointed elsewhere or given a new secret meanwhile (or its
        // board deleted) gets nothing more at its old URL, nor signed with its old secret, once that change answered.
        using var reading = new SemaphoreSlim(1, 1);
        async Task<Target?> TargetAsync(Guid hookId, CancellationToken token)
        {
            await reading.WaitAsync(token);
            try
            {
                return await db.Set<Webhook>().AsNoTracking().Where(w => w.Id == hookId).Select(w => new Target(w.Url, w.Secret, w.Active)).SingleOrDefaultAsync(token);
            }
            finally
            {
                reading.Release();
            }
        }

        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<Guid, (long Id, DateTime At, int? Status, string? Error)>();
        await Parallel.ForEachAsync(prepared, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = ct }, async (p, token) =>
        {
            if (await TargetAsync(p.HookId, token) is not { } target || (!target.Active && !p.Test)) return; // gone or off meanwhile: not sent
            var (status, error) = await PostAsync(p with { Url = target.Url, Secret = target.Secret }, token);
            if (error is not null) failures[p.Message.Id] = $"Webhook delivery failed: {error}";
            var outcome = (p.Message.Id, clock.GetUtcNow().UtcDateTime, status, error);
            outcomes.AddOrUpdate(p.HookId, outcome, (_, old) => old.Id > outcome.Id ? old : outcome); // the latest message's outcome
        });
        if (outcomes.IsEmpty) return failures;
        // Each hook's last outcome, by an update that finds nothing when the hook was deleted meanwhile (a tracked save would
        // fail the whole batch and leave its rows claimed until the lease ran out).
        await using (var tx = await db.BeginWriteAsync(ct))
        {
            foreach (var (hookId, o) in outcomes)
                await db.Set<Webhook>().Where(w => w.Id == hookId)
                    .ExecuteUpdateAsync(u => u.SetProperty(w => w.LastDeliveryAt, o.At).SetProperty(w => w.LastStatus, o.Status).SetProperty(w => w.LastError, o.Error), ct);
            await tx.CommitAsync(ct);
        }
        return failures;
    }

    private async Task<(int? Status, string? Error)> PostAsync(Prepared p, CancellationToken ct)
    {
        var t = clock.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(p.Secret), Encoding.UTF8.GetBytes($"{t}.{p.Body}")));
        using var request = new HttpRequestMessage(HttpMethod.Post, p.Url) { Content = new StringContent(p.Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-TaskHub-Delivery", p.Message.Key);
        request.Headers.Add("X-TaskHub-Event", p.Type);
        request.Headers.Add("X-TaskHub-Signature", $"t={t},v1={signature}");
        request.Headers.UserAgent.ParseAdd("TaskHub-Webhooks/1");
        try
        {
            using var response = await http.CreateClient("webhooks").SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            return (status, response.IsSuccessStatusCode ? null : $"HTTP {status}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested) // refused target, timeout, network
        {
            return (null, ex.Message.Length > 300 ? ex.Message[..300] : ex.Message);
        }
    }

    /// <summary>The last attempt failed: the hook is switched off and the board's owners get an email saying so.</summary>
    public async Task DeadLetteredAsync(OutboxMessage m, CancellationToken ct)
    {
        var delivery = JsonSerializer.Deserialize<WebhookDelivery>(m.Payload, TaskHubJson.Options)!;
        var hook = await db.Set<Webhook>().SingleOrDefaultAsync(w => w.Id == delivery.WebhookId, ct);
        if (hook is null || !hook.Active) return;
        var now = clock.GetUtcNow().UtcDateTime;
        hook.Active = false;
        hook.DisabledAt = now;
        var board = await db.Boards.Where(b => b.Id == hook.BoardId).Select(b => b.Name).SingleOrDefaultAsync(ct) ?? "a board";
        var owners = await db.BoardMembers.Where(x => x.BoardId == hook.BoardId && x.Role == BoardRole.Owner).Select(x => new { x.UserId, x.User.Email, x.User.DisplayName }).ToListAsync(ct);
        foreach (var o in owners)
        {
            var key = $"webhook-disabled:{hook.Id:N}:{now:yyyyMMddHHmmss}:{o.Email}";
            var subject = $"[{board}] A webhook was switched off after failing";
            var text = $"TaskHub could not deliver to {hook.Url} ({hook.LastError ?? "no answer"}) after retrying, so the webhook is now off.\n\nTurn it on again in the board's settings once the receiver works: {composer.BaseUrl}/boards/{hook.BoardId}\n";
            db.Add(OutboxWriter.New(OutboxKinds.Email, $"email:{key}", JsonSerializer.Serialize(new EmailEnvelope(key, o.Email, o.DisplayName, subject, text,
                composer.Page($"<p>{WebUtility.HtmlEncode(text)}</p>"), Audience: new EmailAudience(o.UserId, hook.BoardId, EmailAudience.Managers)), TaskHubJson.Options), now));
        }
        await db.SaveChangesAsync(ct);
        LogDisabled(log, hook.Id, hook.BoardId);
    }

    private string SlackText(BoardEventDto e, string? who)
    {
        var title = e.Task?.Title ?? e.Label?.Name ?? e.Board?.Name ?? (e.Column is { } column ? TaskHubJson.EnumName(column.Status) : "");
        var what = e.Type switch
        {
            BoardEventTypes.TaskCreated => "created",
            BoardEventTypes.TaskDeleted => "deleted",
            BoardEventTypes.TaskMoved => "moved",
            BoardEventTypes.ColumnRespread => "re-spread the column",
            BoardEventTypes.BoardRenamed => "renamed the board to",
            BoardEventTypes.CommentAdded => "commented on",
            "WebhookTest" => "sent a test event from",
            _ => "changed",
        };
        var link = e.Task is { } t ? $" <{composer.BaseUrl}/boards/{e.BoardId}?task={t.Id}|open>" : "";
        return $"{who ?? "TaskHub"} {what} “{title}”{link}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} of board {BoardId} switched off after its last delivery attempt failed")]
    private static partial void LogDisabled(ILogger logger, Guid webhookId, Guid boardId);
}
