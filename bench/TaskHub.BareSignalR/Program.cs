// A bare ASP.NET Core SignalR server: the same-run floor for bench/TaskHub.Bench. One hub at /hubs/board, no auth,
// no database, a group per board; POST /api/boards/{id}/tasks broadcasts a TaskCreated event of the same size and
// shape as TaskHub's (the bench posts a real TaskHub event as the template) with the board's next seq.
// With BareDb:ConnectionString (TaskHub's migrated MariaDB database) the POST first makes TaskHub's task creation in
// that database with the same statements in the same round trips, through MySqlConnector and nothing else
// (BareDbWrite.cs): the floor of a write on this stack, for the REST-writes point.
// With Bare:RawWebSockets=true the hub is RawHub.cs instead of SignalR: ASP.NET Core's WebSockets alone, speaking just
// enough of SignalR's JSON protocol for the bench's clients (the floor under bare SignalR's; run.sh's BENCH_BARE2_ENV).
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// The same transport settings as TaskHub's (Transport:InlineScheduling, Transport:IOQueueCount; env Transport__…), so
// bench/run.sh can measure a setting on the floor too (BENCH_BARE_ENV, BENCH_BARE2_ENV), with TaskHub's defaults: one
// I/O queue on up to 2 cores (TransportOptions.DefaultIOQueueCount), so the floor differs from TaskHub only by the
// application's work (bench/README.md, "Twenty-third round").
builder.WebHost.UseSockets(o =>
{
    o.UnsafePreferInlineScheduling = builder.Configuration.GetValue("Transport:InlineScheduling", false);
    if ((builder.Configuration.GetValue<int?>("Transport:IOQueueCount") ?? (Environment.ProcessorCount <= 2 ? 1 : null)) is { } queues)
        o.IOQueueCount = queues;
});
builder.Services.AddSignalR().AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);
builder.Services.AddSingleton<Boards>();
var raw = builder.Configuration.GetValue("Bare:RawWebSockets", false);
if (raw) builder.Services.AddSingleton<RawHub>();
if (builder.Configuration["BareDb:ConnectionString"] is { Length: > 0 } bareDb) builder.Services.AddSingleton(new BareDbWrite(bareDb));
var app = builder.Build();
app.UseWebSockets();
// TaskHub's Realtime:TransportSendTimeoutSeconds too (0 = sends never time out, so their token is not cancellable).
var sendTimeout = builder.Configuration.GetValue("Realtime:TransportSendTimeoutSeconds", 10.0);
var rawHub = raw ? app.Services.GetRequiredService<RawHub>() : null;
var hubContext = app.Services.GetRequiredService<IHubContext<BoardHub>>();
// A board's TaskCreated to its viewers: through SignalR's group, or RawHub's.
Task BroadcastAsync(Guid boardId, JsonObject e) => rawHub is not null
    ? rawHub.BroadcastAsync(boardId, e)
    : hubContext.Clients.Group(BoardHub.Group(boardId)).SendAsync("TaskCreated", e);
if (rawHub is not null)
{
    _ = rawHub.PingAsync(app.Lifetime.ApplicationStopping);
    app.Map("/hubs/board", async (HttpContext ctx) =>
    {
        if (!ctx.WebSockets.IsWebSocketRequest) return Results.BadRequest("WebSockets only (skip negotiation)");
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
        await rawHub.RunAsync(socket, ctx.RequestAborted);
        return Results.Empty;
    });
}
else app.MapHub<BoardHub>("/hubs/board", o => o.TransportSendTimeout = sendTimeout > 0 ? TimeSpan.FromSeconds(sendTimeout) : Timeout.InfiniteTimeSpan);

app.MapGet("/readyz", () => "ok");
// The figures the bench reads (GC heap per idle connection, bytes allocated), in the Prometheus text format TaskHub's /metrics uses.
app.MapGet("/metrics", () => $"dotnet_total_memory_bytes {GC.GetTotalMemory(false)}\nsystem_runtime_dotnet_gc_heap_total_allocated {GC.GetTotalAllocatedBytes()}\n");
app.MapPost("/template", async (HttpRequest req, Boards boards) =>
{
    boards.Template = (await JsonNode.ParseAsync(req.Body))!.AsObject();
    return Results.NoContent();
});
app.MapPost("/api/boards/{boardId:guid}/tasks", async (Guid boardId, HttpRequest req, Boards boards, IServiceProvider services) =>
{
    var body = await JsonNode.ParseAsync(req.Body);
    var title = body?["title"]?.GetValue<string>() ?? "";
    if (services.GetService<BareDbWrite>() is { } db)
    {
        // The database write, then the broadcast; a board's broadcasts are not kept in seq order here (the writes point,
        // which uses this mode, has no viewers).
        var written = await db.CreateTaskAsync(boardId, title, boards.Template, req.HttpContext.RequestAborted);
        if (written is null) return Results.NotFound();
        await BroadcastAsync(boardId, written.Value.Event);
        return Results.Json(new { seq = written.Value.Seq }, statusCode: 201);
    }
    var board = boards.Get(boardId);
    // One board's broadcasts leave in seq order (as TaskHub's ordered feed does); boards in parallel.
    await board.Gate.WaitAsync();
    try
    {
        var seq = ++board.Seq;
        var e = (JsonObject)boards.Template.DeepClone();
        e["boardId"] = boardId;
        e["seq"] = seq;
        if (e["task"] is JsonObject task) task["title"] = title;
        await BroadcastAsync(boardId, e);
        return Results.Json(new { seq }, statusCode: 201);
    }
    finally { board.Gate.Release(); }
});
app.Run();

public sealed class Boards
{
    public sealed class Board { public long Seq; public readonly SemaphoreSlim Gate = new(1, 1); }
    private readonly ConcurrentDictionary<Guid, Board> _boards = new();
    public JsonObject Template { get; set; } = new()
    {
        ["boardId"] = Guid.Empty, ["seq"] = 0, ["type"] = "task_created",
        ["task"] = new JsonObject { ["id"] = Guid.Empty, ["title"] = "", ["description"] = new string('x', 400) },
        ["changes"] = new JsonArray(), ["at"] = DateTime.UnixEpoch,
    };
    public Board Get(Guid id) => _boards.GetOrAdd(id, _ => new Board());
}

public sealed class BoardHub(Boards boards) : Hub
{
    public static string Group(Guid boardId) => $"board:{boardId:N}";

    public async Task JoinBoard(Guid boardId, long? afterSeq)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(boardId));
        await Clients.Caller.SendAsync("BoardHead", new { boardId, seq = Volatile.Read(ref boards.Get(boardId).Seq) });
    }

    public Task LeaveBoard(Guid boardId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(boardId));
}
