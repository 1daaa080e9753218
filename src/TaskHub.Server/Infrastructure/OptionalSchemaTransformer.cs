using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace TaskHub.Server.Infrastructure;

/// <summary>
/// Describes PATCH bodies as clients see them: an <see cref="Optional{T}"/> field is just a (nullable) T, and
/// none of them is required (absent = unchanged, null = cleared).
/// </summary>
public sealed class OptionalSchemaTransformer : IOpenApiSchemaTransformer
{
    public async Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        var type = context.JsonTypeInfo.Type;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>))
        {
            var inner = Nullable.GetUnderlyingType(type.GetGenericArguments()[0]) ?? type.GetGenericArguments()[0];
            var shape = await context.GetOrCreateSchemaAsync(inner, null, ct);
            schema.Type = (shape.Type ?? JsonSchemaType.String) | JsonSchemaType.Null;
            schema.Format = shape.Format;
            schema.Enum = shape.Enum;
            schema.Properties = null;
            schema.Required = null;
            schema.Description = "Optional: leave it out to keep the current value, send null to clear it.";
            return;
        }
        var optional = type.GetProperties()
            .Where(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericTypeDefinition() == typeof(Optional<>))
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet();
        if (optional.Count > 0 && schema.Required is { } required)
            foreach (var name in optional) required.Remove(name);
    }
}
