using System.Text.Json;

namespace TaskHub.Server.Infrastructure;

/// <summary>The one JSON shape of TaskHub (camelCase, snake_case enums), for what we serialise outside a response.</summary>
public static class TaskHubJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiExtensions.ConfigureJson(o);
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    /// <summary>An enum as it appears on the wire: InProgress → "in_progress".</summary>
    public static string EnumName<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
