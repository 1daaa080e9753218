using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Realtime;
using TaskHub.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TaskHub.Tests.Realtime;

/// <summary>
/// Races between live hub connections and a board's deletion, an account's deletion and a session's end (thirty-third
/// round; found by an audit, each red in every round before its mend). Each runs five rounds and counts the bad ones; the
/// assertion message says what was seen in each bad round. What a connection keeps is observed directly: whether it is
/// still in the board's group (a message to the group, then one to the connection as an ordered barrier), on the board in
/// <see cref="LocalConnections"/>, or in presence.
/// </summary>
public abstract class HubAccessRacesTests(TaskHubApplication app, HubMembershipReadHook reads, ITestOutputHelper output)
{
    private const int Rounds = 5;

    private IPresenceStore Presence => app.Services.GetRequiredService<IPresenceStore>();
    private LocalConnections Local => app.Services.GetRequiredService<LocalConnections>();
    private IHubContext<BoardHub, IBoardClient> Hub => app.Services.GetRequiredService<IHubContext<BoardHub, IBoardClient>>();

    private Task TickAsync() =>
        app.Services.GetServices<IHostedService>().OfType<BoardHeadService>().Single().TickAsync(CancellationToken.None);

    private void Report(string probe, List<string> bad)
    {
        output.WriteLine($"{probe} [{app.Provider}]: {bad.Count}/{Rounds} bad");
        foreach (var b in bad) output.WriteLine("  " + b);
    }

    // ---------------------------------------------------------------- observations

    /// <summary>Whether the connection is still in the board's (cluster) group: a message to the group, then one to the
    /// connection itself (the ordered barrier: both are written to it directly, in this order). Null: the barrier never
    /// arrived (the connection is closed).</summary>
    private async Task<bool?> InBoardGroupAsync(LiveBoard live, Guid board)
    {
        var marker = Guid.NewGuid();
        var probeUser = Guid.NewGuid();
        await Hub.Clients.Group(BoardHub.Group(board)).PresenceChanged(new PresenceDto(board, [new PresenceUser(probeUser, "group-probe")]));
        if (live.ConnectionId is not { } id) return null;
        await Hub.Clients.Client(id).PresenceChanged(new PresenceDto(marker, []));
        if (!await LiveBoard.EventuallyAsync(() => live.Presence.Any(p => p.BoardId == marker), 5)) return null;
        return live.Presence.Any(p => p.Users.Any(u => u.UserId == probeUser));
    }

    /// <summary>Still on the board in this replica's LocalConnections 2 s later (revocations are applied by the feed's partition, asynchronously).</summary>
    private async Task<bool> StillOnAsync(LiveBoard live, Guid board) =>
        !await LiveBoard.EventuallyAsync(() => !Local.IsOn(live.ConnectionId ?? "", board), 2);

    private async Task<bool> HasPresenceEntryAsync(Guid board, Guid user, string? connectionId) =>
        connectionId is not null && (await Presence.ConnectionsOfAsync(board, user, DateTimeOffset.UtcNow)).Contains(connectionId);

    // ---------------------------------------------------------------- JoinBoard racing the board's deletion

    /// <summary>After the round's race: what the joiner (Bob) and a viewer who was there before (Carl) keep of the
    /// deleted board. A joiner that joined is told like every viewer, once the feed has let it go (its revocation comes
    /// last); one that was refused let go of everything before its refusal.</summary>
    private async Task<List<string>> AfterDeletionAsync(Guid board, TestUser bob, LiveBoard live, TestUser carl, LiveBoard viewer)
    {
        var wrong = new List<string>();
        await LiveBoard.EventuallyAsync(() => live.Revoked.Contains(board), 2);
        if (await StillOnAsync(live, board)) wrong.Add("joiner: LocalConnections still has it on the deleted board");
        if (await HasPresenceEntryAsync(board, bob.Id, live.ConnectionId)) wrong.Add("joiner: presence entry left");
        if (await InBoardGroupAsync(live, board) == true) wrong.Add("joiner: still in the deleted board's group");
        if (!await LiveBoard.EventuallyAsync(() => viewer.Revoked.Contains(board), 5)) wrong.Add("viewer: no BoardAccessRevoked");
        if (await StillOnAsync(viewer, board)) wrong.Add("viewer: LocalConnections still has it on the deleted board");
        if (await HasPresenceEntryAsync(board, carl.Id, viewer.ConnectionId)) wrong.Add("viewer: presence entry left for the deleted board");
        if (await InBoardGroupAsync(viewer, board) == true) wrong.Add("viewer: still in the deleted board's group");
        return wrong;
    }

    [Fact]
    public async Task AJoinRacingTheBoardsDeletionLeavesNothingBehind()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var carl = await app.SignUpAsync();
        var bad = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob);
            await ada.AddMemberAsync(board, carl);
            await ada.CreateTaskAsync(board, new { title = "before" });
            await using var viewer = await LiveBoard.ConnectAsync(app, carl);
            await viewer.JoinAsync(board, 0);
            await using var live = await LiveBoard.ConnectAsync(app, bob);
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var (joinDelay, deleteDelay) = round % 2 == 0 ? (round * 4, 0) : (0, round * 4);
            var join = Task.Run(async () =>
            {
                await go.Task;
                if (joinDelay > 0) await Task.Delay(joinDelay);
                var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                try { await live.JoinAsync(board, round % 2 == 0 ? null : 0); return $"joined [{t0}-{System.Diagnostics.Stopwatch.GetTimestamp()}]"; }
                catch (HubException e) { return "refused: " + e.Message; }
            });
            var delete = Task.Run(async () =>
            {
                await go.Task;
                if (deleteDelay > 0) await Task.Delay(deleteDelay);
                var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                var st = (await ada.Client.DeleteAsync($"/api/boards/{board}")).StatusCode;
                output.WriteLine($"round {round} delete [{t0}-{System.Diagnostics.Stopwatch.GetTimestamp()}]");
                return st;
            });
            go.SetResult();
            var (joined, deleted) = (await join, await delete);
            var wrong = new List<string>();
            if (deleted != HttpStatusCode.NoContent) wrong.Add($"deletion answered {(int)deleted}");
            if (joined.StartsWith("refused") && !joined.Contains("Board not found")) wrong.Add("join failed with an unexpected error");
            wrong.AddRange(await AfterDeletionAsync(board, bob, live, carl, viewer));
            if (wrong.Count > 0) bad.Add($"round {round} (join: {joined}): {string.Join("; ", wrong)}");
        }
        Report("join racing the board's deletion", bad);
        Assert.True(bad.Count == 0, $"{bad.Count}/{Rounds} bad rounds:\n" + string.Join("\n", bad));
    }

    /// <summary>The board is deleted right after the join's first membership check answered "member".</summary>
    [Fact]
    public async Task ABoardDeletedRightAfterAJoinsFirstCheckIsRefusedCleanly()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var carl = await app.SignUpAsync();
        var bad = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob);
            await ada.AddMemberAsync(board, carl);
            await using var viewer = await LiveBoard.ConnectAsync(app, carl);
            await viewer.JoinAsync(board, 0);
            await using var live = await LiveBoard.ConnectAsync(app, bob);
            HttpStatusCode? deleted = null;
            reads.After(board, bob.Id, async () => deleted = (await ada.Client.DeleteAsync($"/api/boards/{board}")).StatusCode);
            string joined;
            try { await live.JoinAsync(board, round % 2 == 0 ? null : 0); joined = "joined"; }
            catch (HubException e) { joined = "refused: " + e.Message; }
            finally { reads.After(board, bob.Id, null); }
            var wrong = new List<string>();
            if (deleted is null) { wrong.Add("hook never ran (round void)"); foreach (var q in reads.Seen) output.WriteLine("SEEN " + q); }
            else if (deleted != HttpStatusCode.NoContent) wrong.Add($"deletion answered {(int)deleted}");
            if (joined == "joined") wrong.Add("join SUCCEEDED on a deleted board");
            else if (!joined.Contains("Board not found")) wrong.Add("join failed with an unexpected error");
            wrong.AddRange(await AfterDeletionAsync(board, bob, live, carl, viewer));
            if (wrong.Count > 0) bad.Add($"round {round} (afterSeq {(round % 2 == 0 ? "null" : "0")}, join: {joined}): {string.Join("; ", wrong)}");
        }
        Report("deletion right after the join's first check", bad);
        Assert.True(bad.Count == 0, $"{bad.Count}/{Rounds} bad rounds:\n" + string.Join("\n", bad));
    }

    // ---------------------------------------------------------------- probe 3: a session ended while live / joining

    private static Guid SessionOf(string accessToken)
    {
        var payload = accessToken.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
        return JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload))).RootElement.GetProperty("sid").GetGuid();
    }

    /// <summary>Bob's session ends (signed out, the session ended from another, the password changed elsewhere) while
    /// its connection is live: REST refuses it at once, and the connection must not join another board (and be sent its
    /// history) before the next access sweep closes it.</summary>
    [Fact]
    public async Task AConnectionOfAnEndedSessionJoinsNoBoard()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        var board = await ada.CreateBoardAsync();
        var history = await ada.CreateBoardAsync("history");
        await ada.AddMemberAsync(board, bob);
        await ada.AddMemberAsync(history, bob);
        for (var i = 0; i < 3; i++) await ada.CreateTaskAsync(history, new { title = $"history-{i}" });
        var bad = new List<string>();
        var passwords = new[] { bob.Password, "another-horse-77" };
        for (var round = 0; round < Rounds; round++)
        {
            var session = await app.LogInAsync(bob);
            await using var live = await LiveBoard.ConnectAsync(app, session, handover: true); // WebSockets, as the browser
            await live.JoinAsync(board, await ada.LastSeqAsync(board));
            var how = (round % 3) switch { 0 => "logout", 1 => "DELETE session", _ => "password change elsewhere" };
            HttpStatusCode ended;
            if (round % 3 == 0)
                ended = (await session.Client.PostAsJsonAsync("/api/auth/logout", new { refreshToken = session.RefreshToken })).StatusCode;
            else if (round % 3 == 1)
                ended = (await bob.Client.DeleteAsync($"/api/me/sessions/{SessionOf(session.AccessToken)}")).StatusCode;
            else
            {
                var next = bob.Password == passwords[0] ? passwords[1] : passwords[0];
                ended = (await bob.Client.Patch("/api/me", new { currentPassword = bob.Password, newPassword = next })).StatusCode;
                bob = bob with { Password = next };
            }
            var wrong = new List<string>();
            var rest = (await session.Client.GetAsync($"/api/boards/{history}/events?after=0")).StatusCode;
            if (rest != HttpStatusCode.Unauthorized) wrong.Add($"(REST with the ended session answered {(int)rest}, not 401; round void)");

            // (The boards it had joined keep their events until the next access sweep, at most a head tick: README,
            // "Realtime". What it must not do meanwhile is join another board and read its history.)
            string join;
            try { await live.InvokeJoinAsync(history, 0); join = "accepted"; }
            catch (Exception e) { join = "refused: " + e.Message; }
            if (join == "accepted")
            {
                var got = await LiveBoard.EventuallyAsync(() => live.ReceivedLive.Count(e => e.BoardId == history) >= 3, 5);
                wrong.Add($"NEW JoinBoard(history, 0) ACCEPTED after the session ended{(got ? ", the board's whole history sent" : "")}");
            }
            await TickAsync();
            if (!await LiveBoard.EventuallyAsync(() => !live.Connected, 5)) wrong.Add("still connected after a head tick");
            if (wrong.Count > 0) bad.Add($"round {round} ({how} → {(int)ended}): {string.Join("; ", wrong)}");
        }
        Report("session ended while live", bad);
        Assert.True(bad.Count == 0, $"{bad.Count}/{Rounds} bad rounds:\n" + string.Join("\n", bad));
    }

    [Fact]
    public async Task AnAccountDeletionThatDeletesABoardTellsItsViewers()
    {
        var ada = await app.SignUpAsync();
        var carl = await app.SignUpAsync();
        var bad = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var dana = await app.SignUpAsync();
            var board = await dana.CreateBoardAsync();
            await dana.AddMemberAsync(board, carl, "viewer");
            await dana.CreateTaskAsync(board, new { title = "dana's" });
            var controlBoard = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(controlBoard, carl, "viewer");
            await using var viewer = await LiveBoard.ConnectAsync(app, carl);
            await viewer.JoinAsync(board, 0);
            await using var controlViewer = await LiveBoard.ConnectAsync(app, carl);
            await controlViewer.JoinAsync(controlBoard, 0);

            var wrong = new List<string>();
            Assert.Equal(HttpStatusCode.NoContent, (await ada.Client.DeleteAsync($"/api/boards/{controlBoard}")).StatusCode);
            if (!await LiveBoard.EventuallyAsync(() => controlViewer.Revoked.Contains(controlBoard), 15)) wrong.Add("CONTROL: no BoardAccessRevoked on DELETE board (round void)");
            var deleted = (await dana.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = dana.Password })).StatusCode;
            if (deleted != HttpStatusCode.NoContent) wrong.Add($"account deletion answered {(int)deleted}");
            var boardGone = (await carl.Client.GetAsync($"/api/boards/{board}")).StatusCode;
            if (!await LiveBoard.EventuallyAsync(() => viewer.Revoked.Contains(board), 2)) wrong.Add($"viewer got NO BoardAccessRevoked (board answers {(int)boardGone})");
            if (await StillOnAsync(viewer, board)) wrong.Add("viewer still on the deleted board in LocalConnections");
            if (await HasPresenceEntryAsync(board, carl.Id, viewer.ConnectionId)) wrong.Add("viewer's presence entry left");
            if (await InBoardGroupAsync(viewer, board) == true) wrong.Add("viewer still in the deleted board's group");
            if (wrong.Count > 0) bad.Add($"round {round}: {string.Join("; ", wrong)}");
        }
        Report("account deletion deleting a board", bad);
        Assert.True(bad.Count == 0, $"{bad.Count}/{Rounds} bad rounds:\n" + string.Join("\n", bad));
    }

}

/// <summary>Runs a step once, right after the hub's batched membership read (<see cref="HubMemberships"/>) of a given
/// (board, person) executed and before its rows are returned: what the read saw is fixed, and the step commits after it.</summary>
public sealed class HubMembershipReadHook : DbCommandInterceptor
{
    private sealed record Armed(string Board, string User, Func<Task> Step);
    private Armed? _armed;
    public readonly System.Collections.Concurrent.ConcurrentQueue<string> Seen = new();

    public void After(Guid board, Guid user, Func<Task>? step) =>
        Volatile.Write(ref _armed, step is null ? null : new Armed(board.ToString(), user.ToString(), step));

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _armed) is { } armed && Matches(command, armed) && Interlocked.CompareExchange(ref _armed, null, armed) == armed)
            await armed.Step();
        return result;
    }

    private bool Matches(DbCommand command, Armed armed)
    {
        var text = command.CommandText;
        if (text.Contains("board_members", StringComparison.OrdinalIgnoreCase) && Seen.Count < 50)
            Seen.Enqueue(text + " || " + string.Join(",", command.Parameters.Cast<DbParameter>().Select(p => $"{p.ParameterName}={p.Value}({p.Value?.GetType().Name})")));
        if (!text.Contains("board_members", StringComparison.OrdinalIgnoreCase) || text.Contains("role", StringComparison.OrdinalIgnoreCase)
            || !text.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase)) return false;
        var all = new StringBuilder(text);
        foreach (DbParameter p in command.Parameters)
            all.Append('|').Append(p.Value switch { byte[] { Length: 16 } b => new Guid(b).ToString(), var v => v?.ToString() });
        var s = all.ToString();
        return s.Contains(armed.Board, StringComparison.OrdinalIgnoreCase) && s.Contains(armed.User, StringComparison.OrdinalIgnoreCase);
    }
}

public sealed class HubRaceSqliteApplication : SqliteApplication
{
    public PresenceHook Hook { get; } = new();
    public HubMembershipReadHook Reads { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Hook.Register(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(Reads));
    }
}

/// <summary>MariaDB with the Redis backplane and Redis presence.</summary>
public sealed class HubRaceMariaDbApplication : MariaDbApplication
{
    public PresenceHook Hook { get; } = new();
    public HubMembershipReadHook Reads { get; } = new();

    public HubRaceMariaDbApplication() => Settings["ConnectionStrings:Redis"] = RedisConnectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Hook.Register(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<IInterceptor>(Reads));
    }
}


public sealed class HubAccessRacesTestsOnSqlite(HubRaceSqliteApplication app, ITestOutputHelper output)
    : HubAccessRacesTests(app, app.Reads, output), IClassFixture<HubRaceSqliteApplication>;

public sealed class HubAccessRacesTestsOnMariaDb(HubRaceMariaDbApplication app, ITestOutputHelper output)
    : HubAccessRacesTests(app, app.Reads, output), IClassFixture<HubRaceMariaDbApplication>;
