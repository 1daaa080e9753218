using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TaskHub.Tests.Infrastructure;

/// <summary>The maildev SMTP sink that scripts/services.sh starts (SMTP 127.0.0.1:1025, REST http://127.0.0.1:1080).</summary>
public static class MailDev
{
    public const int SmtpPort = 1025;
    private static readonly HttpClient Http = new() { BaseAddress = new Uri("http://127.0.0.1:1080") };

    public sealed record Mail(string Subject, string To, string Text, string Html, IReadOnlyDictionary<string, string> Headers);

    /// <summary>Every mail maildev holds for <paramref name="address"/>.</summary>
    public static async Task<List<Mail>> ForAsync(string address)
    {
        var all = await Http.GetFromJsonAsync<JsonElement>("/email");
        return all.EnumerateArray()
            .Where(m => m.GetProperty("to").EnumerateArray().Any(t => string.Equals(t.GetProperty("address").GetString(), address, StringComparison.OrdinalIgnoreCase)))
            .Select(m => new Mail(
                m.GetProperty("subject").GetString() ?? "",
                address,
                m.TryGetProperty("text", out var t) ? t.GetString() ?? "" : "",
                m.TryGetProperty("html", out var h) ? h.GetString() ?? "" : "",
                m.TryGetProperty("headers", out var hs) ? hs.EnumerateObject().ToDictionary(p => p.Name.ToLowerInvariant(), p => p.Value.ToString()) : new()))
            .ToList();
    }
}

/// <summary>
/// A TCP gate in front of a local service (maildev's SMTP port by default): while down it cuts every
/// connection (the service is "down"); while up it relays bytes both ways. Loopback only.
/// </summary>
public sealed class SmtpGate : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private volatile bool _up = true;

    /// <summary>Taking the gate down also cuts the connections already open (pooled keep-alive ones too).</summary>
    public bool Up
    {
        get => _up;
        set
        {
            _up = value;
            if (value) return;
            foreach (var c in _open.Keys)
            {
                try { c.Client.LingerState = new LingerOption(true, 0); c.Dispose(); } catch (ObjectDisposedException) { }
            }
        }
    }
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Refused;

    public SmtpGate(int upstreamPort = MailDev.SmtpPort)
    {
        _upstreamPort = upstreamPort;
        _listener.Start();
        _ = AcceptLoop();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch { return; }
            if (!_up)
            {
                Interlocked.Increment(ref Refused);
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }
            _open.TryAdd(client, 0);
            _ = Relay(client, _upstreamPort).ContinueWith(_ => _open.TryRemove(client, out var _), TaskScheduler.Default);
        }
    }

    private static async Task Relay(TcpClient client, int upstreamPort)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            await upstream.ConnectAsync(IPAddress.Loopback, upstreamPort);
            var a = client.GetStream();
            var b = upstream.GetStream();
            try { await Task.WhenAny(a.CopyToAsync(b), b.CopyToAsync(a)); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException) { }
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A small HTTP endpoint on 127.0.0.1 (an alert webhook, a stand-in for EventBridge) that records what it gets.</summary>
public sealed class LocalEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<(IHeaderDictionary Headers, string Body)> Requests { get; } = new();
    public string Url { get; }

    private LocalEndpoint(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<LocalEndpoint> StartAsync(Func<HttpContext, string, Task>? respond = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LocalEndpoint? self = null;
        app.Run(async ctx =>
        {
            var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
            self!.Requests.Enqueue((ctx.Request.Headers, body));
            if (respond is null) ctx.Response.StatusCode = 204;
            else await respond(ctx, body);
        });
        await app.StartAsync();
        var url = app.Urls.First();
        self = new LocalEndpoint(app, url);
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
