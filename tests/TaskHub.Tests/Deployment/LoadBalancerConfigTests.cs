using System.Text.RegularExpressions;
using TaskHub.Server.Features.Realtime;

namespace TaskHub.Tests.Deployment;

/// <summary>
/// The load balancers in front of the replicas (compose's deploy/nginx/nginx.conf and scripts/cluster.sh's) must retire
/// an idle pooled connection to a replica sooner than a stopping replica closes its listeners
/// (<see cref="HandoverOptions.ListenGraceMs"/>). During that grace the replica answers every request with
/// <c>Connection: close</c>; a pooled connection no request used in it would otherwise still be open when the listener
/// closes, and a POST nginx sent on it at that moment would fail with 502 (nginx does not resend a POST elsewhere).
/// A request that began before the handover keeps its connection open; the replica closes its listeners only once the
/// last of them ended <see cref="HandoverOptions.UpstreamIdleMs"/> ago, so that must be longer than the balancer's idle
/// timeout too.
/// </summary>
public sealed partial class LoadBalancerConfigTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(new HandoverOptions().ListenGraceMs);
    private static readonly TimeSpan AfterTheLast = TimeSpan.FromMilliseconds(new HandoverOptions().UpstreamIdleMs);

    /// <param name="file">compose's nginx configuration, or the script that writes the local cluster's</param>
    [Theory]
    [InlineData("deploy/nginx/nginx.conf")]
    [InlineData("scripts/cluster.sh")]
    public void NginxRetiresIdleUpstreamConnectionsBeforeAStoppingReplicaClosesItsListeners(string file)
    {
        var idle = UpstreamIdle(DeployFiles.Read(file)) ?? TimeSpan.FromSeconds(60); // (absent: nginx's default)
        Assert.True(idle < Grace, $"{file}: the REST upstream keeps idle connections {idle.TotalMilliseconds} ms, not below the {Grace.TotalMilliseconds} ms listen grace");
        Assert.True(idle < AfterTheLast, $"{file}: the REST upstream keeps idle connections {idle.TotalMilliseconds} ms, not below Realtime:Handover:UpstreamIdleMs ({AfterTheLast.TotalMilliseconds} ms)");
    }

    /// <summary>The <c>keepalive_timeout</c> inside the <c>upstream taskhub { … }</c> block (cluster.sh's default when it
    /// is a <c>${VAR:-default}</c>), or null when the block sets none.</summary>
    private static TimeSpan? UpstreamIdle(string text)
    {
        var block = UpstreamBlock().Match(text);
        Assert.True(block.Success, "no `upstream taskhub {` block");
        var body = block.Groups["body"].Value;
        var setting = KeepaliveTimeout().Match(body);
        Assert.True(setting.Success || !body.Contains("keepalive_timeout"), "a keepalive_timeout this test cannot read");
        if (!setting.Success) return null;
        var value = double.Parse(setting.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
        return setting.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" or "" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            var unit => throw new InvalidOperationException($"unit {unit}"),
        };
    }

    [GeneratedRegex(@"upstream taskhub \{(?<body>[^}]*(\$\{[^}]*\}[^}]*)*)\}")]
    private static partial Regex UpstreamBlock();

    [GeneratedRegex(@"keepalive_timeout\s+(\$\{[A-Z_]+:-)?(?<n>[0-9.]+)(?<unit>ms|s|m|h|)\b")]
    private static partial Regex KeepaliveTimeout();
}
