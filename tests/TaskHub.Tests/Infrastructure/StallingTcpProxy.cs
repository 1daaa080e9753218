using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace TaskHub.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback in front of the tests' Redis that can stall: while stalled it forwards no byte either way, as a
/// link whose far end has stopped answering (a replica's network to Redis dropping packets) looks to a client. What was
/// read meanwhile is held and goes on once it resumes. Connections made while stalled are accepted and stall too. It can
/// also be cut (Redis down: connections closed and refused).
/// </summary>
public sealed class StallingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly EndPoint _target;
    private readonly ConfigurationOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private TaskCompletionSource _flowing = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>In front of the server that <paramref name="redis"/> (a StackExchange.Redis configuration) names first.</summary>
    public StallingTcpProxy(string redis)
    {
        _options = ConfigurationOptions.Parse(redis);
        _target = _options.EndPoints[0];
        _flowing.SetResult();
        _listener.Start();
        _options.EndPoints.Clear();
        _options.EndPoints.Add(IPAddress.Loopback, ((IPEndPoint)_listener.LocalEndpoint).Port);
        _accepting = AcceptAsync();
    }

    /// <summary>The configuration with this proxy in place of the server.</summary>
    public string ConnectionString => _options.ToString();

    /// <summary>From now on nothing is forwarded, until <see cref="Resume"/>.</summary>
    public void Stall()
    {
        lock (_open) if (_flowing.Task.IsCompleted) _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Closes every connection and refuses new ones (accepted and closed at once: Redis is down to the client),
    /// until <see cref="Resume"/>.</summary>
    public void Cut()
    {
        lock (_open)
        {
            _cut = true;
            foreach (var c in _open) c.Dispose();
            _open.Clear();
        }
    }

    /// <summary>Forwards again, what was held first; accepts connections again after <see cref="Cut"/>.</summary>
    public void Resume()
    {
        lock (_open)
        {
            _cut = false;
            _flowing.TrySetResult();
        }
    }

    private bool _cut;

    private Task Flowing
    {
        get { lock (_open) return _flowing.Task; }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                lock (_open)
                {
                    if (_cut)
                    {
                        client.Dispose();
                        server.Dispose();
                        continue;
                    }
                    _open.AddRange([client, server]);
                }
                try { await (_target is DnsEndPoint d ? server.ConnectAsync(d.Host, d.Port, _stop.Token) : server.ConnectAsync((IPEndPoint)_target, _stop.Token)); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) // (refused, or disposed by a Cut meanwhile)
                {
                    client.Dispose();
                    server.Dispose();
                    continue;
                }
                _ = PumpAsync(client, server);
                _ = PumpAsync(server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    /// <summary>Copies what <paramref name="from"/> sends to <paramref name="to"/>, each chunk read held while stalled; closes both when either ends.</summary>
    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await from.GetStream().ReadAsync(buffer, _stop.Token)) > 0)
            {
                await Flowing.WaitAsync(_stop.Token);
                await to.GetStream().WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException or InvalidOperationException) { }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_open) foreach (var c in _open) c.Dispose();
        _stop.Dispose();
    }
}
