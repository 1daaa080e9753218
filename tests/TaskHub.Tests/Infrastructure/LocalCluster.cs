using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TaskHub.Tests.Infrastructure;

/// <summary>
/// The real local cluster (scripts/cluster.sh): two published TaskHub processes on MariaDB + Redis behind nginx,
/// on free loopback ports, with state and PID files in a folder of its own; stopped by those PIDs. Shared with the
/// browser tests (linked into TaskHub.Browser.Tests), so it uses nothing else of this project.
/// </summary>
public sealed class LocalCluster : IAsyncLifetime
{
    public string Dir { get; } = Path.Combine(Repo.Root, ".run", $"cluster-test-{Guid.NewGuid():N}"[..24]);
    public string Database { get; } = $"taskhub_k_{Guid.NewGuid():N}"[..24];
    public int LbPort { get; } = FreePorts(1);
    public int FirstPort { get; } = FreePorts(2);
    public Uri Lb => new($"http://127.0.0.1:{LbPort}/");
    public Uri Replica(int i) => new($"http://127.0.0.1:{FirstPort + i - 1}/");

    /// <summary>The first of <paramref name="count"/> consecutive free ports (probed by binding them).</summary>
    private static int FreePorts(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var first = Random.Shared.Next(20_000, 40_000);
            var listeners = new List<TcpListener>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var l = new TcpListener(IPAddress.Loopback, first + i);
                    l.Start();
                    listeners.Add(l);
                }
                return first;
            }
            catch (SocketException) { }
            finally { listeners.ForEach(l => l.Stop()); }
        }
        throw new InvalidOperationException("No free ports.");
    }

    private async Task<string> ScriptAsync(string command, IReadOnlyDictionary<string, string>? settings = null)
    {
        var psi = new ProcessStartInfo("bash", $"scripts/cluster.sh {command}")
        {
            WorkingDirectory = Repo.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.Environment["CLUSTER_DIR"] = Dir;
        psi.Environment["CLUSTER_APP"] = Path.Combine(Repo.Root, ".run", "cluster-test-app");
        psi.Environment["CLUSTER_APP_REBUILD"] = "1"; // this tree's own copy: published again when a server source is newer
        psi.Environment["CLUSTER_DB"] = Database;
        psi.Environment["LB_PORT"] = LbPort.ToString();
        psi.Environment["FIRST_PORT"] = FirstPort.ToString();
        psi.Environment["Realtime__HeadIntervalSeconds"] = "0.5";
        psi.Environment["Realtime__PresenceTtlSeconds"] = "2";
        psi.Environment["Jobs__ServerEnabled"] = "false";
        psi.Environment["Auth__Limits__PerAddressPerMinute"] = "100000";
        // Rebalancing in seconds, for a handful of clients (the defaults wait for 50 more than the fair share).
        psi.Environment["Realtime__Rebalance__IntervalSeconds"] = "0.5";
        psi.Environment["Realtime__Rebalance__TtlSeconds"] = "2";
        psi.Environment["Realtime__Rebalance__MinExcess"] = "1";
        psi.Environment["Realtime__Rebalance__ShedPerSecond"] = "20";
        psi.Environment["Logging__LogLevel__TaskHub.Server.Features.Realtime.HubRebalancer"] = "Information";
        foreach (var (k, v) in settings ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var text = await output + await error;
        if (p.ExitCode != 0) throw new InvalidOperationException($"cluster.sh {command} failed:\n{text}");
        return text;
    }

    public async Task InitializeAsync() => await ScriptAsync("start");

    public async Task DisposeAsync()
    {
        await ScriptAsync("stop");
        await DropDatabaseAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>The cluster's database goes with it (the mysql client and account cluster.sh uses to create it).</summary>
    private async Task DropDatabaseAsync()
    {
        var psi = new ProcessStartInfo("mysql", ["-h127.0.0.1", "-utaskhub", "-ptaskhub", "-e", $"DROP DATABASE IF EXISTS `{Database}`"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        try
        {
            using var p = Process.Start(psi)!;
            await p.WaitForExitAsync();
        }
        catch (System.ComponentModel.Win32Exception) { } // no mysql client: cluster.sh could not have created it either
    }

    /// <summary>Kills replica <paramref name="i"/> without warning (SIGKILL to the PID the script recorded).</summary>
    public void Kill(int i)
    {
        var pid = Pid(i);
        Process.GetProcessById(pid).Kill();
        WaitGone(pid, Stopwatch.StartNew());
    }

    private int Pid(int i) => int.Parse(File.ReadAllText(Path.Combine(Dir, $"replica-{i}.pid")).Trim());

    /// <summary>Until the process is gone (reaped), so that cluster.sh, which asks `kill -0`, can start it again; at most 30 s.</summary>
    private static void WaitGone(int pid, Stopwatch since)
    {
        while (Directory.Exists($"/proc/{pid}") && since.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(20);
    }

    /// <summary>Stops replica <paramref name="i"/> as an orchestrator does (SIGTERM to its PID) and waits until it has exited
    /// (at most 30 s); returns how long that took.</summary>
    public async Task<TimeSpan> TerminateAsync(int i)
    {
        var pid = Pid(i);
        var watch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) await kill.WaitForExitAsync();
        await Task.Run(() => WaitGone(pid, watch));
        return watch.Elapsed;
    }

    /// <summary>Starts replica <paramref name="i"/> again (as <c>start</c> does, without the migration and nginx reload) and waits
    /// until it is ready; <paramref name="settings"/> (environment, <c>Section__Key</c>) over the cluster's own.</summary>
    public Task StartReplicaAsync(int i, IReadOnlyDictionary<string, string>? settings = null) => ScriptAsync($"replica {i}", settings);

    public bool IsRunning(int i) =>
        int.TryParse(File.ReadAllText(Path.Combine(Dir, $"replica-{i}.pid")).Trim(), out var pid) && Directory.Exists($"/proc/{pid}");

    /// <summary>A series of replica <paramref name="i"/>'s /metrics (0 when absent).</summary>
    public async Task<double> MetricAsync(int i, string name)
    {
        using var http = new HttpClient();
        string text;
        try { text = await http.GetStringAsync(new Uri(Replica(i), "metrics")); }
        catch (HttpRequestException) { return 0; } // not running
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
