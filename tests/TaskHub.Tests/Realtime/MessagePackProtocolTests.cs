using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// The MessagePack hub protocol carries the JSON API's shapes: two tabs of one person on one board, one speaking
/// JSON and one MessagePack, decode every message into a plain tree (no DTOs: what a browser's decoder sees) and
/// the trees are equal.
/// </summary>
public abstract class MessagePackProtocolTests(TaskHubApplication app)
{
    [Fact]
    public async Task EveryMessageDecodesTheSameInJsonAndMessagePack() =>
        await RawHub.AssertBothProtocolsAgreeAsync(app, app);
}

public sealed class MessagePackProtocolTestsOnSqlite(SqliteApplication app) : MessagePackProtocolTests(app), IClassFixture<SqliteApplication>;

public sealed class MessagePackProtocolTestsOnMariaDb(MariaDbApplication app) : MessagePackProtocolTests(app), IClassFixture<MariaDbApplication>;

/// <summary>Through the Redis backplane: the JSON tab on one replica, the MessagePack tab on the other, the writes on the first.</summary>
public sealed class MessagePackAcrossReplicasTests(ScaleOutCluster cluster) : IClassFixture<ScaleOutCluster>
{
    [Fact]
    public async Task EveryMessageDecodesTheSameInJsonAndMessagePackOnTwoReplicas() =>
        await RawHub.AssertBothProtocolsAgreeAsync(cluster.A, cluster.B);
}

/// <summary>A hub connection that records each message's single argument as a JSON tree, whatever the protocol.</summary>
internal sealed class RawHub : IAsyncDisposable
{
    private static readonly string[] Methods =
        ["TaskCreated", "TaskUpdated", "TaskDeleted", "TaskMoved", "CommentAdded", "BoardHead", "PresenceChanged", "NotificationAdded"];

    private readonly HubConnection _connection;
    public ConcurrentQueue<(string Method, JsonNode Arg)> Received { get; } = new();

    private RawHub(HubConnection connection, bool messagePack)
    {
        _connection = connection;
        foreach (var method in Methods)
        {
            if (messagePack)
                connection.On<PackedArg>(method, a => Received.Enqueue((method, JsonNode.Parse(MessagePackSerializer.ConvertToJson(a.Bytes))!)));
            else
                connection.On<JsonElement>(method, a => Received.Enqueue((method, JsonNode.Parse(a.GetRawText())!)));
        }
    }

    /// <param name="delta">Ask for delta events (<c>?events=delta</c>).</param>
    public static async Task<RawHub> ConnectAsync(TaskHubApplication app, TestUser user, bool messagePack, bool delta = false)
    {
        var server = app.Server;
        var builder = new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, delta ? "hubs/board?events=delta" : "hubs/board"), o =>
        {
            o.HttpMessageHandlerFactory = _ => server.CreateHandler();
            o.AccessTokenProvider = () => Task.FromResult<string?>(user.AccessToken);
            o.Transports = HttpTransportType.LongPolling;
        });
        // The client's own MessagePack defaults for what it sends (a Guid as its string, a long as an int); what
        // it receives is kept as the raw MessagePack of the argument.
        if (messagePack)
            builder.AddMessagePackProtocol(o => o.SerializerOptions = MessagePackSerializerOptions.Standard.WithResolver(
                CompositeResolver.Create([new PackedArgFormatter()], [StandardResolver.Instance])));
        var connection = builder.Build();
        await connection.StartAsync();
        return new RawHub(connection, messagePack);
    }

    public Task JoinAsync(Guid boardId, long? afterSeq) => _connection.InvokeAsync("JoinBoard", boardId, afterSeq);

    /// <summary>Every message of these methods so far, in arrival order.</summary>
    public List<JsonNode> All(params string[] methods) => Received.Where(r => methods.Contains(r.Method)).Select(r => r.Arg).ToList();

    public JsonNode? First(string method, Func<JsonNode, bool>? where = null) =>
        Received.Where(r => r.Method == method && (where is null || where(r.Arg))).Select(r => r.Arg).FirstOrDefault();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>
    /// Ada has the board open twice (JSON on <paramref name="jsonSide"/>, MessagePack on <paramref name="packSide"/>);
    /// Bob creates a task assigned to her, edits several fields and comments: each of TaskCreated, TaskUpdated,
    /// CommentAdded, BoardHead, PresenceChanged and NotificationAdded decodes to the same tree in both.
    /// </summary>
    public static async Task AssertBothProtocolsAgreeAsync(TaskHubApplication jsonSide, TaskHubApplication packSide)
    {
        var ada = await jsonSide.SignUpAsync("Ada Lovelace");
        var bob = await jsonSide.SignUpAsync("Bob “Ünïcode” <b>");
        var board = await ada.CreateBoardAsync();
        await ada.AddMemberAsync(board, bob);
        await using var json = await ConnectAsync(jsonSide, ada, messagePack: false);
        await using var pack = await ConnectAsync(packSide, ada /* one token works on every replica */, messagePack: true);
        await json.JoinAsync(board, 0);
        await pack.JoinAsync(board, null);

        var task = await bob.CreateTaskAsync(board, new { title = "Write the post", assigneeId = ada.Id, priority = "high" });
        var id = task.GetProperty("id").GetGuid();
        await (await bob.Client.Patch($"/api/tasks/{id}", new
        {
            title = "Write the “launch” post ✓",
            description = "line 1\nline 2 <script>",
            status = "in_progress",
            dueAt = "2030-01-02T03:04:05Z",
            priority = "low",
        })).Json(HttpStatusCode.OK);
        await (await bob.Client.PostAsync($"/api/tasks/{id}/comments",
            JsonContent($$"""{"body":"**Done?** @[Ada]({{ada.Id}}) ünïcode & <i>"}"""))).Json(HttpStatusCode.Created);

        // The assignment's and the mention's notifications go out through the outbox, whose dispatchers (one per replica)
        // may deliver them in either order: the one compared is the assignment's on both sides.
        static bool Assigned(JsonNode n) => (string?)n["kind"] == "assigned";
        bool Complete(RawHub h) => h.First("TaskCreated") is not null && h.First("TaskUpdated") is not null && h.First("CommentAdded") is not null
            && h.First("BoardHead") is not null && h.First("PresenceChanged") is not null && h.First("NotificationAdded", Assigned) is not null;
        Assert.True(await LiveBoard.EventuallyAsync(() => Complete(json) && Complete(pack), 30),
            $"JSON got [{string.Join(", ", json.Received.Select(r => r.Method))}], MessagePack got [{string.Join(", ", pack.Received.Select(r => r.Method))}]");

        foreach (var method in new[] { "TaskCreated", "TaskUpdated", "CommentAdded", "BoardHead", "PresenceChanged", "NotificationAdded" })
        {
            Func<JsonNode, bool>? which = method == "NotificationAdded" ? Assigned : null;
            var fromJson = json.First(method, which)!;
            var fromPack = pack.First(method, which)!;
            Assert.True(JsonNode.DeepEquals(fromJson, fromPack), $"{method}:\nJSON        {fromJson.ToJsonString()}\nMessagePack {fromPack.ToJsonString()}");
        }

        // And they are the JSON API's shapes: camelCase keys, lower-case enum strings, ISO date strings, nulls omitted.
        var updated = pack.First("TaskUpdated")!.AsObject();
        Assert.Equal(["boardId", "seq", "type", "task", "actorId", "changes", "at"], updated.Select(p => p.Key));
        Assert.Equal("in_progress", (string?)updated["task"]!["status"]);
        Assert.Equal("2030-01-02T03:04:05Z", (string?)updated["task"]!["dueAt"]);
        Assert.Equal(JsonValueKind.String, updated["at"]!.GetValueKind());
        var changes = updated["changes"]!.AsArray().ToDictionary(c => (string)c!["field"]!, c => ((string?)c!["from"], (string?)c["to"]));
        Assert.Equal(("todo", "in_progress"), changes["status"]);
        Assert.Equal(("high", "low"), changes["priority"]);
        Assert.Contains("comment", pack.First("CommentAdded")!.AsObject().Select(p => p.Key));
        Assert.Contains("assigned “Write the post” to you", (string?)pack.First("NotificationAdded", Assigned)!["text"]);
        Assert.Equal(JsonValueKind.Number, pack.First("BoardHead")!["seq"]!.GetValueKind());
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    /// <summary>An argument kept as its raw MessagePack bytes.</summary>
    private sealed record PackedArg(byte[] Bytes);

    private sealed class PackedArgFormatter : IMessagePackFormatter<PackedArg>
    {
        public void Serialize(ref MessagePackWriter writer, PackedArg value, MessagePackSerializerOptions options) => writer.WriteRaw(value.Bytes);
        public PackedArg Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => new(reader.ReadRaw().ToArray());
    }
}

/// <summary>
/// SignalR serialises a group message once per protocol, not once per connection: a change seen by three MessagePack
/// tabs is written to MessagePack once, in-process and through the Redis backplane.
/// </summary>
public abstract class MessagePackOncePerEventTests(TaskHubApplication app, SerializationCount count)
{
    [Fact]
    public async Task AnEventIsSerialisedToMessagePackOnceForAllItsViewers()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var tabs = new List<RawHub>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                tabs.Add(await RawHub.ConnectAsync(app, ada, messagePack: true));
                await tabs[^1].JoinAsync(board, null);
            }
            var before = count.BoardEvents;

            await ada.CreateTaskAsync(board, new { title = "seen three times" });

            Assert.True(await LiveBoard.EventuallyAsync(() => tabs.All(t => t.First("TaskCreated") is not null)));
            Assert.Equal(1, count.BoardEvents - before);
        }
        finally
        {
            foreach (var t in tabs) await t.DisposeAsync();
        }
    }

    [Fact]
    public async Task EachShapeOfAnEventIsSerialisedOnceForAllItsViewers()
    {
        var ada = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "seen five times" })).GetProperty("id").GetGuid();
        var tabs = new List<RawHub>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                tabs.Add(await RawHub.ConnectAsync(app, ada, messagePack: true, delta: i < 3)); // three delta tabs, two full
                await tabs[^1].JoinAsync(board, null);
            }
            var (events, deltas) = (count.BoardEvents, count.Deltas);

            await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "renamed" })).Json(System.Net.HttpStatusCode.OK);
            await ada.Client.PostAsync($"/api/tasks/{id}/comments", System.Net.Http.Json.JsonContent.Create(new { body = "both shapes alike" }));

            Assert.True(await LiveBoard.EventuallyAsync(() => tabs.All(t => t.First("TaskUpdated") is not null && t.First("CommentAdded") is not null)));
            Assert.Equal(1, count.Deltas - deltas); // the TaskUpdated, once for the three delta tabs
            Assert.Equal(2, count.BoardEvents - events); // its full shape once for the two full tabs; the comment once for all five
            Assert.All(tabs.Take(3), t => Assert.Null(t.First("TaskUpdated")!["task"]));
            Assert.All(tabs.Skip(3), t => Assert.NotNull(t.First("TaskUpdated")!["task"]));
        }
        finally
        {
            foreach (var t in tabs) await t.DisposeAsync();
        }
    }
}

/// <summary>Counts the board events the server's MessagePack protocol writes (its resolver, wrapped).</summary>
public sealed class SerializationCount
{
    private int _boardEvents, _deltas;
    public int BoardEvents => Volatile.Read(ref _boardEvents);
    /// <summary>Delta events (<see cref="TaskHub.Server.Features.Realtime.TaskDeltaDto"/>) written to MessagePack.</summary>
    public int Deltas => Volatile.Read(ref _deltas);

    public void Count(IServiceCollection services) =>
        services.PostConfigure<Microsoft.AspNetCore.SignalR.MessagePackHubProtocolOptions>(o =>
            o.SerializerOptions = o.SerializerOptions.WithResolver(new Counting(o.SerializerOptions.Resolver, this)));

    private sealed class Counting(IFormatterResolver inner, SerializationCount count) : IFormatterResolver
    {
        public IMessagePackFormatter<T>? GetFormatter<T>() =>
            typeof(T) == typeof(BoardEventDto) ? (IMessagePackFormatter<T>)(object)new Formatter((IMessagePackFormatter<BoardEventDto>)inner.GetFormatter<T>()!, count)
            : typeof(T) == typeof(TaskHub.Server.Features.Realtime.TaskDeltaDto) ? (IMessagePackFormatter<T>)(object)new DeltaFormatter((IMessagePackFormatter<TaskHub.Server.Features.Realtime.TaskDeltaDto>)inner.GetFormatter<T>()!, count)
            : inner.GetFormatter<T>();
    }

    private sealed class DeltaFormatter(IMessagePackFormatter<TaskHub.Server.Features.Realtime.TaskDeltaDto> inner, SerializationCount count)
        : IMessagePackFormatter<TaskHub.Server.Features.Realtime.TaskDeltaDto>
    {
        public void Serialize(ref MessagePackWriter writer, TaskHub.Server.Features.Realtime.TaskDeltaDto value, MessagePackSerializerOptions options)
        {
            Interlocked.Increment(ref count._deltas);
            inner.Serialize(ref writer, value, options);
        }

        public TaskHub.Server.Features.Realtime.TaskDeltaDto Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => inner.Deserialize(ref reader, options);
    }

    private sealed class Formatter(IMessagePackFormatter<BoardEventDto> inner, SerializationCount count) : IMessagePackFormatter<BoardEventDto>
    {
        public void Serialize(ref MessagePackWriter writer, BoardEventDto value, MessagePackSerializerOptions options)
        {
            Interlocked.Increment(ref count._boardEvents);
            inner.Serialize(ref writer, value, options);
        }

        public BoardEventDto Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => inner.Deserialize(ref reader, options);
    }
}

public sealed class CountingSqliteApplication : SqliteApplication
{
    public SerializationCount Count { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(Count.Count);
    }
}

/// <summary>MariaDB with the Redis backplane: group messages go out through Redis, serialised for every protocol.</summary>
public sealed class CountingRedisApplication : MariaDbApplication
{
    public SerializationCount Count { get; } = new();

    public CountingRedisApplication() => Settings["ConnectionStrings:Redis"] = RedisConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(Count.Count);
    }
}

public sealed class MessagePackOncePerEventTestsInProcess(CountingSqliteApplication app)
    : MessagePackOncePerEventTests(app, app.Count), IClassFixture<CountingSqliteApplication>;

public sealed class MessagePackOncePerEventTestsOnRedis(CountingRedisApplication app)
    : MessagePackOncePerEventTests(app, app.Count), IClassFixture<CountingRedisApplication>;
