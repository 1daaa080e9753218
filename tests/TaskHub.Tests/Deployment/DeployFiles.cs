using System.Text.Json;
using System.Text.RegularExpressions;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Deployment;

/// <summary>Reads the deployment files of the repository (docker-compose.yml, deploy/**) for the tests.</summary>
public static partial class DeployFiles
{
    /// <summary>The repository root (<see cref="Repo.Root"/>).</summary>
    public static string Root => Repo.Root;

    public static string PathOf(string relative) => Repo.PathOf(relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>Every PromQL expression of the Grafana dashboards: panel targets' <c>expr</c> and templating queries.</summary>
    public static IReadOnlyList<string> DashboardQueries()
    {
        var queries = new List<string>();
        var files = Directory.GetFiles(PathOf("deploy/grafana/dashboards"), "*.json");
        if (files.Length == 0) throw new InvalidOperationException("no dashboard JSON under deploy/grafana/dashboards");
        foreach (var file in files)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            Collect(doc.RootElement, queries, inTemplating: false);
        }
        return queries;
    }

    private static void Collect(JsonElement e, List<string> queries, bool inTemplating)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.String && (p.Name == "expr" || (inTemplating && p.Name == "query")))
                        queries.Add(p.Value.GetString()!);
                    else
                        Collect(p.Value, queries, inTemplating || p.Name == "templating");
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) Collect(item, queries, inTemplating);
                break;
        }
    }

    /// <summary>
    /// The <c>expr</c> of every rule in deploy/prometheus/*rules*.yml / alerts*.yml: a one-line value or a
    /// block scalar (<c>expr: |</c>) made of the following, more indented lines.
    /// </summary>
    public static IReadOnlyList<string> AlertQueries()
    {
        var queries = new List<string>();
        var files = Directory.GetFiles(PathOf("deploy/prometheus"), "*.yml").Where(f => !Path.GetFileName(f).Equals("prometheus.yml")).ToArray();
        if (files.Length == 0) throw new InvalidOperationException("no alert rule files under deploy/prometheus");
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var m = ExprLine().Match(lines[i]);
                if (!m.Success) continue;
                var value = m.Groups["value"].Value.Trim();
                if (value is "|" or ">" or "|-" or ">-")
                {
                    var indent = m.Groups["indent"].Value.Length;
                    var block = new List<string>();
                    while (i + 1 < lines.Length && (lines[i + 1].Trim().Length == 0 || Indent(lines[i + 1]) > indent))
                        block.Add(lines[++i].Trim());
                    value = string.Join(' ', block).Trim();
                }
                else
                {
                    value = value.Trim('"', '\'');
                }
                queries.Add(value);
            }
        }
        return queries;
    }

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    [GeneratedRegex(@"^(?<indent>\s*)(?:-\s*)?expr:\s*(?<value>.*)$")]
    private static partial Regex ExprLine();

    /// <summary>
    /// The <c>x-taskhub-env</c> block of docker-compose.yml (the environment of every replica and of the
    /// migration job), with <c>${VAR}</c>, <c>${VAR:-default}</c> and <c>${VAR:?message}</c> interpolated from
    /// <paramref name="variables"/> as docker-compose does.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ComposeTaskHubEnvironment(IReadOnlyDictionary<string, string> variables)
    {
        var lines = File.ReadAllLines(PathOf("docker-compose.yml"));
        var start = Array.FindIndex(lines, l => l.StartsWith("x-taskhub-env:", StringComparison.Ordinal));
        if (start < 0) throw new InvalidOperationException("docker-compose.yml has no x-taskhub-env block");
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = start + 1; i < lines.Length && (lines[i].StartsWith("  ", StringComparison.Ordinal) || lines[i].Trim().Length == 0); i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0) throw new InvalidOperationException($"unexpected line in x-taskhub-env: {line}");
            var value = line[(colon + 2)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0]) value = value[1..^1];
            env[line[..colon]] = Interpolate(value, variables);
        }
        return env;
    }

    public static string Interpolate(string value, IReadOnlyDictionary<string, string> variables) =>
        Variable().Replace(value, m =>
        {
            var name = m.Groups["name"].Value;
            var set = variables.TryGetValue(name, out var v) && v.Length > 0;
            return m.Groups["op"].Value switch
            {
                ":-" => set ? v! : m.Groups["arg"].Value,
                ":?" => set ? v! : throw new InvalidOperationException($"{name}: {m.Groups["arg"].Value}"),
                _ => v ?? "",
            };
        });

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:-|:\?)(?<arg>[^}]*))?\}")]
    private static partial Regex Variable();

    /// <summary>KEY=VALUE lines of an env file (comments and blanks skipped).</summary>
    public static IReadOnlyDictionary<string, string> ReadEnvFile(string relative) =>
        File.ReadAllLines(PathOf(relative))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('='))
            .ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
}
