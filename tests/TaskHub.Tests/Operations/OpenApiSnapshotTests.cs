using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Operations;

/// <summary>
/// web/openapi.json is the server's /openapi/v1.json as committed: the browser client generates its API and
/// event types from it (openapi-typescript, `npm run build`), so a server change that alters the document must
/// update the snapshot in the same commit. UPDATE_OPENAPI_SNAPSHOT=1 writes the file instead of comparing.
/// </summary>
public sealed class OpenApiSnapshotTests(SqliteApplication app) : IClassFixture<SqliteApplication>
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task TheWebClientsOpenApiSnapshotMatchesTheServer()
    {
        var body = await app.CreateClient().GetStringAsync("/openapi/v1.json");
        var current = Normalize(body);
        var file = Path.Combine(Repo.Root, "web", "openapi.json");

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI_SNAPSHOT") == "1")
        {
            await File.WriteAllTextAsync(file, current);
            return;
        }

        Assert.True(File.Exists(file), $"{file} is missing. {HowToUpdate}");
        var committed = Normalize(await File.ReadAllTextAsync(file));
        if (committed != current)
        {
            var (line, ours, theirs) = FirstDifference(committed, current);
            Assert.Fail($"web/openapi.json differs from the server's /openapi/v1.json (first difference at line {line}:\n" +
                        $"  snapshot: {ours}\n  server:   {theirs}\n). {HowToUpdate}");
        }
    }

    private const string HowToUpdate =
        "Update it with `UPDATE_OPENAPI_SNAPSHOT=1 dotnet test tests/TaskHub.Tests --filter OpenApiSnapshot`, " +
        "then run `npm run build` in web/ (it regenerates src/api/schema.d.ts and type-checks the client against it) " +
        "and commit web/openapi.json with the server change.";

    /// <summary>Indented, LF line endings, a final newline: the same bytes whoever writes it.</summary>
    private static string Normalize(string json) =>
        JsonNode.Parse(json)!.ToJsonString(Pretty).ReplaceLineEndings("\n") + "\n";

    private static (int Line, string Snapshot, string Server) FirstDifference(string a, string b)
    {
        var x = a.Split('\n');
        var y = b.Split('\n');
        for (var i = 0; i < Math.Max(x.Length, y.Length); i++)
        {
            var l = i < x.Length ? x[i] : "<end>";
            var r = i < y.Length ? y[i] : "<end>";
            if (l != r) return (i + 1, l.Trim(), r.Trim());
        }
        return (0, "", "");
    }
}
