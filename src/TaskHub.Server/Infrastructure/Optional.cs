using System.Text.Json;
using System.Text.Json.Serialization;

namespace TaskHub.Server.Infrastructure;

/// <summary>
/// A PATCH field: absent (leave unchanged) is different from present-and-null (clear it).
/// System.Text.Json calls the converter only for properties that appear in the body.
/// </summary>
[JsonConverter(typeof(OptionalJsonConverterFactory))]
public readonly record struct Optional<T>(T Value)
{
    public bool HasValue { get; } = true;

    public T GetValueOr(T fallback) => HasValue ? Value : fallback;
}

public sealed class OptionalJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(OptionalJsonConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class OptionalJsonConverter<T> : JsonConverter<Optional<T>>
    {
        public override bool HandleNull => true;

        public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null && default(T) is not null) return new(default!);
            // The inner converter (not a nested Deserialize call) so errors keep the property's path.
            var inner = (JsonConverter<T>)options.GetConverter(typeof(T));
            return new(inner.Read(ref reader, typeof(T), options)!);
        }

        public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Value, options);
    }
}
