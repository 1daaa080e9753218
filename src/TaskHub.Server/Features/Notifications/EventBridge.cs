using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Microsoft.Extensions.Options;
using TaskHub.Server.Infrastructure;

namespace TaskHub.Server.Features.Notifications;

/// <summary>Settings under <c>EventBridge</c>: a <c>BusName</c> → events go out through <c>PutEvents</c>.</summary>
public sealed class EventBridgeOptions
{
    public const string Section = "EventBridge";

    public string? BusName { get; set; }
    public string Region { get; set; } = "us-east-1";
    /// <summary>Endpoint override (a local stand-in); default https://events.{Region}.amazonaws.com.</summary>
    public string? ServiceUrl { get; set; }
    public string Source { get; set; } = "taskhub";
    /// <summary>Static credentials (local use); empty → the AWS SDK's default credential chain.</summary>
    public string? AccessKeyId { get; set; }
    public string? SecretAccessKey { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(BusName);
    public Uri Endpoint => new(string.IsNullOrWhiteSpace(ServiceUrl) ? $"https://events.{Region}.amazonaws.com/" : ServiceUrl);
}

/// <summary>
/// The smallest correct Amazon EventBridge client: <c>PutEvents</c> over HttpClient (JSON 1.1,
/// <c>X-Amz-Target: AWSEvents.PutEvents</c>), signed with AWS Signature Version 4 using the AWS SDK's
/// credential chain. (Neither AWSSDK.EventBridge nor AWSSDK.CloudWatchEvents is in our package mirror.)
/// Transient HTTP failures are retried by the resilience pipeline; what still fails stays in the outbox.
/// </summary>
public sealed class EventBridgeClient(HttpClient http, IOptions<EventBridgeOptions> options, TimeProvider clock)
{
    public sealed record Entry(string DetailType, string Detail);

    public sealed record Result(string? EventId, string? ErrorCode, string? ErrorMessage)
    {
        public bool Failed => ErrorCode is not null;
    }

    private sealed record PutEventsRequest([property: JsonPropertyName("Entries")] List<RequestEntry> Entries);

    private sealed record RequestEntry(
        [property: JsonPropertyName("Source")] string Source,
        [property: JsonPropertyName("DetailType")] string DetailType,
        [property: JsonPropertyName("Detail")] string Detail,
        [property: JsonPropertyName("EventBusName")] string EventBusName);

    private sealed record PutEventsResponse(
        [property: JsonPropertyName("FailedEntryCount")] int FailedEntryCount,
        [property: JsonPropertyName("Entries")] List<ResultEntry>? Entries);

    private sealed record ResultEntry(
        [property: JsonPropertyName("EventId")] string? EventId,
        [property: JsonPropertyName("ErrorCode")] string? ErrorCode,
        [property: JsonPropertyName("ErrorMessage")] string? ErrorMessage);

    private static readonly JsonSerializerOptions AwsJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Puts up to 10 entries; returns one result per entry, in order.</summary>
    public async Task<IReadOnlyList<Result>> PutEventsAsync(IReadOnlyList<Entry> entries, CancellationToken ct)
    {
        if (entries.Count is 0 or > 10) throw new ArgumentOutOfRangeException(nameof(entries), "PutEvents takes 1 to 10 entries.");
        var o = options.Value;
        var body = JsonSerializer.Serialize(new PutEventsRequest(entries.Select(e => new RequestEntry(o.Source, e.DetailType, e.Detail, o.BusName!)).ToList()), AwsJson);
        using var request = new HttpRequestMessage(HttpMethod.Post, o.Endpoint)
        {
            Content = new StringContent(body, Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.Add("X-Amz-Target", "AWSEvents.PutEvents");
        var credentials = await ResolveCredentialsAsync(o);
        SigV4.Sign(request, body, credentials, o.Region, "events", clock.GetUtcNow().UtcDateTime);

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"PutEvents answered {(int)response.StatusCode}: {text}", null, response.StatusCode);
        var parsed = JsonSerializer.Deserialize<PutEventsResponse>(text, AwsJson)
                     ?? throw new InvalidOperationException("PutEvents returned no body.");
        if (parsed.Entries is null || parsed.Entries.Count != entries.Count)
            throw new InvalidOperationException($"PutEvents returned {parsed.Entries?.Count ?? 0} results for {entries.Count} entries.");
        return parsed.Entries.Select(e => new Result(e.EventId, e.ErrorCode, e.ErrorMessage)).ToList();
    }

    private static async Task<ImmutableCredentials> ResolveCredentialsAsync(EventBridgeOptions o)
    {
        if (!string.IsNullOrEmpty(o.AccessKeyId))
            return new ImmutableCredentials(o.AccessKeyId, o.SecretAccessKey ?? "", null);
        var chain = DefaultAWSCredentialsIdentityResolver.GetCredentials();
        return await chain.GetCredentialsAsync();
    }
}

/// <summary>AWS Signature Version 4 for one HTTP request with a fully buffered body.</summary>
public static class SigV4
{
    public static void Sign(HttpRequestMessage request, string body, ImmutableCredentials credentials, string region, string service, DateTime utcNow)
    {
        var amzDate = utcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var uri = request.RequestUri!;
        var host = uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
        var payloadHash = Hex(SHA256.HashData(Encoding.UTF8.GetBytes(body)));

        request.Headers.Host = host;
        request.Headers.Add("X-Amz-Date", amzDate);
        request.Headers.Add("X-Amz-Content-Sha256", payloadHash);
        if (!string.IsNullOrEmpty(credentials.Token)) request.Headers.Add("X-Amz-Security-Token", credentials.Token);

        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = request.Content?.Headers.ContentType?.ToString() ?? "",
            ["host"] = host,
            ["x-amz-content-sha256"] = payloadHash,
            ["x-amz-date"] = amzDate,
        };
        foreach (var h in request.Headers.Where(h => h.Key.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase)))
            headers[h.Key.ToLowerInvariant()] = string.Join(",", h.Value).Trim();
        var signedHeaders = string.Join(';', headers.Keys);
        var canonical = CanonicalRequest(request.Method.Method, uri, headers, payloadHash);
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = SigningKey(credentials.SecretKey, date, region, service);
        var signature = Hex(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={credentials.AccessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}");
    }

    public static string CanonicalRequest(string method, Uri uri, IReadOnlyDictionary<string, string> headers, string payloadHash)
    {
        var path = string.IsNullOrEmpty(uri.AbsolutePath) ? "/" : uri.AbsolutePath;
        var query = string.Join('&', uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Select(p => (K: Uri.EscapeDataString(Uri.UnescapeDataString(p[0])), V: Uri.EscapeDataString(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.K, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal).Select(p => $"{p.K}={p.V}"));
        var canonicalHeaders = string.Concat(headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}:{h.Value.Trim()}\n"));
        var signed = string.Join(';', headers.Keys.OrderBy(k => k, StringComparer.Ordinal));
        return $"{method}\n{path}\n{query}\n{canonicalHeaders}\n{signed}\n{payloadHash}";
    }

    public static byte[] SigningKey(string secret, string date, string region, string service)
    {
        var kDate = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secret), Encoding.UTF8.GetBytes(date));
        var kRegion = HMACSHA256.HashData(kDate, Encoding.UTF8.GetBytes(region));
        var kService = HMACSHA256.HashData(kRegion, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(kService, Encoding.UTF8.GetBytes("aws4_request"));
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}

/// <summary>Publishes bus events from the outbox, ≤ 10 per PutEvents call; only failed entries are retried.</summary>
public sealed class EventBridgeHandler(EventBridgeClient client) : IOutboxHandler
{
    public string Kind => OutboxKinds.BusEvent;

    public async Task<IReadOnlyDictionary<long, string>> DeliverAsync(IReadOnlyList<OutboxMessage> batch, CancellationToken ct)
    {
        var failures = new Dictionary<long, string>();
        foreach (var chunk in batch.Chunk(10))
        {
            var entries = chunk.Select(m =>
            {
                var e = JsonSerializer.Deserialize<BusEvent>(m.Payload, TaskHubJson.Options)!;
                // The idempotency key travels in the detail so subscribers can drop a redelivery.
                var detail = JsonSerializer.Serialize(new { idempotencyKey = m.Key, @event = e.Detail }, TaskHubJson.Options);
                return new EventBridgeClient.Entry(e.DetailType, detail);
            }).ToList();
            try
            {
                var results = await client.PutEventsAsync(entries, ct);
                for (var i = 0; i < chunk.Length; i++)
                    if (results[i].Failed) failures[chunk[i].Id] = $"{results[i].ErrorCode}: {results[i].ErrorMessage}";
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                foreach (var m in chunk) failures[m.Id] = $"{e.GetType().Name}: {e.Message}";
            }
        }
        return failures;
    }
}
