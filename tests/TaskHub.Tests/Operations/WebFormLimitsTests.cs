using System.Text.RegularExpressions;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Integrations;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

/// <summary>
/// The web forms cap what can be typed at the server's limits (web/src/api/limits.ts): a box that allows more than the
/// server takes lets someone type text that is then refused, a box that allows less refuses what the server would take.
/// </summary>
public sealed partial class WebFormLimitsTests
{
    public static TheoryData<string, int> ServerRules() => new()
    {
        { "labelName", LabelRules.NameMax },
        { "checklistItem", ChecklistRules.TextMax },
        { "comment", CommentRules.BodyMax },
        { "taskTitle", TaskRules.TitleMax },
        { "boardName", BoardRules.NameMax },
        { "tokenName", ApiTokenRules.NameMax },
        { "webhookSecretMin", WebhookRules.SecretMin },
        { "webhookSecretMax", WebhookRules.SecretMax },
    };

    [Theory]
    [MemberData(nameof(ServerRules))]
    public void TheWebClientsLimitIsTheServers(string name, int server)
    {
        var limits = WebLimits();
        Assert.True(limits.TryGetValue(name, out var web), $"web/src/api/limits.ts has no `{name}`.");
        Assert.Equal(server, web);
    }

    [Fact]
    public void EveryWebLimitIsCheckedAgainstTheServer()
    {
        var checkedNames = ServerRules().Select(row => (string)row[0]).ToHashSet();
        Assert.All(WebLimits().Keys, k => Assert.Contains(k, checkedNames));
    }

    [Fact]
    public void NoFormWritesALengthLimitOfItsOwn()
    {
        var src = Repo.PathOf(Path.Combine("web", "src"));
        var literal = Directory.EnumerateFiles(src, "*.tsx", SearchOption.AllDirectories)
            .SelectMany(f => LiteralLength().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(src, f)}: {m.Value}"))
            .ToList();
        Assert.True(literal.Count == 0, "Use web/src/api/limits.ts instead of: " + string.Join("; ", literal));
    }

    private static Dictionary<string, int> WebLimits() =>
        Entry().Matches(File.ReadAllText(Repo.PathOf(Path.Combine("web", "src", "api", "limits.ts"))))
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value.Replace("_", "")));

    [GeneratedRegex(@"^\s*(\w+):\s*([\d_]+),", RegexOptions.Multiline)]
    private static partial Regex Entry();

    [GeneratedRegex(@"(?:maxLength|minLength)=\{[\d_]+\}")]
    private static partial Regex LiteralLength();
}
