using System.Text.RegularExpressions;

namespace TaskHub.Tests.Deployment;

/// <summary>Just enough PromQL to list the metric names an expression selects.</summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
        "inf", "nan", "Inf", "NaN",
    };

    /// <summary>
    /// The metric names selected by <paramref name="expr"/>: identifiers that are neither functions or
    /// aggregations (followed by "("), nor keywords, nor inside label matchers, strings, grouping clauses,
    /// ranges or Grafana variables; plus <c>{__name__="…"}</c> selectors.
    /// </summary>
    public static IReadOnlySet<string> MetricNames(string expr)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in NameMatcher().Matches(expr)) names.Add(m.Groups["name"].Value);

        // Grafana's label_values(selector, label): the label is not a metric.
        var s = LabelValues().Replace(expr, "($1)");
        s = StringLiteral().Replace(s, "\"\"");
        s = Braces().Replace(s, " ");                 // label matchers
        s = Brackets().Replace(s, " ");               // [5m], [$__rate_interval], [1h:5m]
        s = Grouping().Replace(s, " ");               // by (le, code), on(instance), group_left(x)
        s = GrafanaVariable().Replace(s, " ");        // $instance, $__rate_interval, ${var}
        foreach (Match m in Identifier().Matches(s))
        {
            var id = m.Value;
            var rest = s[(m.Index + m.Length)..].TrimStart();
            if (rest.StartsWith('(')) continue;       // a function or an aggregation
            if (Keywords.Contains(id)) continue;
            names.Add(id);
        }
        return names;
    }

    /// <summary>The series a histogram or summary named <paramref name="name"/> is scraped as.</summary>
    public static IEnumerable<string> ExportedNames(string metricsText) =>
        metricsText.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l[..l.IndexOfAny(['{', ' '])])
            .Distinct();

    [GeneratedRegex(@"\blabel_values\s*\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"__name__\s*=\s*""(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)""")]
    private static partial Regex NameMatcher();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Braces();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex(@"(?<![\w.:$])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
