using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using MessagePack;
using MessagePack.Formatters;

namespace TaskHub.Server.Features.Realtime;

/// <summary>
/// MessagePack in exactly the JSON API's shape. Every value is serialised by System.Text.Json with the JSON
/// protocol's own options (camelCase keys, snake_case enum strings, ISO dates, nulls omitted where JSON omits
/// them) and its tokens are transcoded to MessagePack: object → map, array → array, string → str, integral
/// number → int, other number → float64, true/false → bool, null → nil. So the two protocols cannot drift.
/// Reading goes the other way (MessagePack → JSON text → System.Text.Json): a Guid arrives as its string, a
/// <c>long?</c> as an int or nil, and whatever the JSON protocol would refuse is refused here too.
/// SignalR serialises a group message once per protocol, so this runs once per event, not per connection.
/// </summary>
public sealed class JsonShapeResolver : IFormatterResolver
{
    private readonly JsonSerializerOptions _json;
    private readonly ConcurrentDictionary<Type, IMessagePackFormatter> _formatters = new();

    public JsonShapeResolver(JsonSerializerOptions json)
    {
        // GetTypeInfo needs locked options with a resolver; serialising with them first would do the same.
        if (!json.IsReadOnly) json.MakeReadOnly(populateMissingResolver: true);
        _json = json;
    }

    public IMessagePackFormatter<T>? GetFormatter<T>() =>
        (IMessagePackFormatter<T>)_formatters.GetOrAdd(typeof(T), _ => new Formatter<T>((JsonTypeInfo<T>)_json.GetTypeInfo(typeof(T))));

    private sealed class Formatter<T>(JsonTypeInfo<T> type) : IMessagePackFormatter<T>
    {
        public void Serialize(ref MessagePackWriter writer, T value, MessagePackSerializerOptions options)
        {
            var buffer = Buffers.Rent();
            try
            {
                using (var json = new Utf8JsonWriter(buffer))
                    JsonSerializer.Serialize(json, value, type);
                JsonToMessagePack.Write(buffer.WrittenSpan, ref writer);
            }
            finally
            {
                Buffers.Return(buffer);
            }
        }

        public T Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            var buffer = Buffers.Rent();
            try
            {
                using (var json = new Utf8JsonWriter(buffer))
                    MessagePackToJson.Write(ref reader, json, options);
                return JsonSerializer.Deserialize(buffer.WrittenSpan, type)!;
            }
            finally
            {
                Buffers.Return(buffer);
            }
        }
    }

    /// <summary>One scratch buffer per thread (a nested use gets a fresh one); large ones are not kept.</summary>
    private static class Buffers
    {
        [ThreadStatic] private static ArrayBufferWriter<byte>? _cached;

        public static ArrayBufferWriter<byte> Rent()
        {
            var b = _cached ?? new ArrayBufferWriter<byte>(4096);
            _cached = null;
            return b;
        }

        public static void Return(ArrayBufferWriter<byte> b)
        {
            if (b.Capacity > 256 * 1024) return;
            b.ResetWrittenCount();
            _cached = b;
        }
    }
}

/// <summary>JSON text (as System.Text.Json writes it) → MessagePack, token by token.</summary>
internal static class JsonToMessagePack
{
    public static void Write(ReadOnlySpan<byte> json, ref MessagePackWriter writer)
    {
        // MessagePack puts a container's length before its items: one pass counts them, the second writes.
        var counts = CountChildren(json);
        var next = 0;
        var reader = new Utf8JsonReader(json);
        byte[]? scratch = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        writer.WriteMapHeader(counts[next++]);
                        break;
                    case JsonTokenType.StartArray:
                        writer.WriteArrayHeader(counts[next++]);
                        break;
                    case JsonTokenType.PropertyName:
                    case JsonTokenType.String:
                        if (!reader.ValueIsEscaped)
                        {
                            writer.WriteString(reader.ValueSpan);
                        }
                        else
                        {
                            if (scratch is null || scratch.Length < reader.ValueSpan.Length)
                            {
                                if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
                                scratch = ArrayPool<byte>.Shared.Rent(reader.ValueSpan.Length);
                            }
                            writer.WriteString(scratch.AsSpan(0, reader.CopyString(scratch)));
                        }
                        break;
                    case JsonTokenType.Number:
                        if (reader.TryGetInt64(out var l)) writer.Write(l);
                        else if (reader.TryGetUInt64(out var u)) writer.Write(u);
                        else writer.Write(reader.GetDouble());
                        break;
                    case JsonTokenType.True:
                        writer.Write(true);
                        break;
                    case JsonTokenType.False:
                        writer.Write(false);
                        break;
                    case JsonTokenType.Null:
                        writer.WriteNil();
                        break;
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>The number of members or items of each object and array, in the order they start.</summary>
    private static List<int> CountChildren(ReadOnlySpan<byte> json)
    {
        var counts = new List<int>();
        Span<int> open = stackalloc int[65]; // index into counts per depth; System.Text.Json's MaxDepth is 64
        Span<bool> isArray = stackalloc bool[65];
        var depth = 0;
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (depth > 0 && isArray[depth - 1]) counts[open[depth - 1]]++;
                    open[depth] = counts.Count;
                    isArray[depth] = reader.TokenType == JsonTokenType.StartArray;
                    counts.Add(0);
                    depth++;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.PropertyName:
                    counts[open[depth - 1]]++;
                    break;
                default:
                    if (depth > 0 && isArray[depth - 1]) counts[open[depth - 1]]++;
                    break;
            }
        }
        return counts;
    }
}

/// <summary>MessagePack (what a client sends) → JSON text, for System.Text.Json to read as the JSON protocol would.</summary>
internal static class MessagePackToJson
{
    public static void Write(ref MessagePackReader reader, Utf8JsonWriter json, MessagePackSerializerOptions options)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64) json.WriteNumberValue(reader.ReadUInt64());
                else json.WriteNumberValue(reader.ReadInt64());
                break;
            case MessagePackType.Float:
                json.WriteNumberValue(reader.ReadDouble());
                break;
            case MessagePackType.String:
                json.WriteStringValue(Utf8(reader.ReadStringSequence()!.Value));
                break;
            case MessagePackType.Binary:
                json.WriteBase64StringValue(Utf8(reader.ReadBytes()!.Value));
                break;
            case MessagePackType.Extension when reader.CreatePeekReader().ReadExtensionFormatHeader().TypeCode == ReservedMessagePackExtensionTypeCode.DateTime:
                json.WriteStringValue(reader.ReadDateTime());
                break;
            case MessagePackType.Array:
            {
                var count = reader.ReadArrayHeader();
                options.Security.DepthStep(ref reader);
                json.WriteStartArray();
                for (var i = 0; i < count; i++) Write(ref reader, json, options);
                json.WriteEndArray();
                reader.Depth--;
                break;
            }
            case MessagePackType.Map:
            {
                var count = reader.ReadMapHeader();
                options.Security.DepthStep(ref reader);
                json.WriteStartObject();
                for (var i = 0; i < count; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                        throw new MessagePackSerializationException("Map keys must be strings.");
                    json.WritePropertyName(Utf8(reader.ReadStringSequence()!.Value));
                    Write(ref reader, json, options);
                }
                json.WriteEndObject();
                reader.Depth--;
                break;
            }
            default:
                throw new MessagePackSerializationException($"Unsupported MessagePack type {reader.NextMessagePackType}.");
        }
    }

    private static ReadOnlySpan<byte> Utf8(ReadOnlySequence<byte> s) => s.IsSingleSegment ? s.FirstSpan : s.ToArray();
}
