using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Integrations;
using TaskHub.Server.Features.Invitations;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Tasks;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// Requests that race on what owners and admins manage (webhooks, invitations, the board's name, its deletion), on
/// exports and imports, on one's own settings, and with one Idempotency-Key sent at once (thirty-third round; found by
/// an audit, each probe red in most rounds before its mend, the rest guarding what was found safe). Ten rounds of eight
/// requests (or request loops) each; a round is bad on a 5xx or a broken invariant. A change that "lands after" a
/// demotion or removal is found by a read right after the demotion's answer (it committed before answering) and again at
/// the end: what differs committed later.
/// </summary>
public abstract class RacingAdminRequestsTests(TaskHubApplication app)
{
    private const int Rounds = 10;
    private const int AtOnce = 8;


    private static Task<HttpResponseMessage> Keyed(HttpClient client, HttpMethod method, string url, object? body, string key)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body);
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private const string HookSecret = "0123456789abcdef-secret";

    private async Task<Guid> InsertHookAsync(Guid board, Guid by, string url = "http://127.0.0.1:9/hook") =>
        await app.DbAsync(async db =>
        {
            var hook = new Webhook { BoardId = board, Url = url, Secret = HookSecret, CreatedById = by, CreatedAt = DateTime.UtcNow };
            db.Add(hook);
            await db.SaveChangesAsync();
            return hook.Id;
        });

    private async Task<Guid> InsertInvitationAsync(Guid board, Guid by) =>
        await app.DbAsync(async db =>
        {
            var email = $"inv-{Guid.NewGuid():N}@example.com";
            var invitation = new Invitation
            {
                BoardId = board, Email = email, NormalizedEmail = email.ToUpperInvariant(), TokenHash = Convert.ToHexString(Guid.NewGuid().ToByteArray()),
                InvitedById = by, CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddDays(1),
            };
            db.Add(invitation);
            await db.SaveChangesAsync();
            return invitation.Id;
        });

    // ---- writes by a manager demoted or removed meanwhile (snapshot after the demotion's answer) ------------------

    /// <summary>What a tab of Bob's works on.</summary>
    private sealed record Desk(Guid Board, int Tab, Guid[] Prepared);

    /// <summary>Bob (an admin, or <paramref name="bobRole"/>) writes from seven tabs while Ada demotes him to a plain
    /// member (or removes him). <paramref name="measure"/> reads what only Bob's writes change; read right after the
    /// demotion answered and again once his tabs stopped, a difference is a write of his that committed after it.</summary>
    private async Task ManagerDemotedAsync(string what, Func<TestUser, Desk, int, Task<HttpResponseMessage>> write, HttpStatusCode ok,
        Func<Guid, Task<string>> measure, Func<TestUser, TestUser, Guid, Task<Guid[]>>? prepare = null, bool remove = false,
        string bobRole = "admin", string demoteTo = "member", int max = 40)
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob, bobRole);
            var prepared = prepare is null ? [] : await prepare(ada, bob, board);
            var writing = Enumerable.Range(0, AtOnce - 1).Select(tab => Task.Run(() => Races.LoopAsync(i => write(bob, new Desk(board, tab, prepared), i), [ok], max))).ToList();
            await Task.Delay(40);
            var changed = remove
                ? await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")
                : await ada.Client.Patch($"/api/boards/{board}/members/{bob.Id}", new { role = demoteTo });
            var snapshot = await measure(board);
            var loops = await Task.WhenAll(writing);
            var final = await measure(board);
            await Races.CheckAll(tally, round, [changed], remove ? HttpStatusCode.NoContent : HttpStatusCode.OK);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), ok, remove ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden);
            if (final != snapshot) tally.Fail(round, $"Bob's {what} landed after his {(remove ? "removal" : "demotion")}: right after it '{snapshot}', at the end '{final}'");
        }
        tally.AssertNone($"{what} racing the manager's {(remove ? "removal" : "demotion")}");
    }

    private Task<string> HookCountAsync(Guid board) =>
        app.DbAsync(async db => (await db.Set<Webhook>().CountAsync(w => w.BoardId == board)).ToString());

    [Fact]
    public Task WebhookCreationsByAnAdminBeingDemoted() => ManagerDemotedAsync("webhook creations",
        (bob, d, i) => bob.Client.PostAsJsonAsync($"/api/boards/{d.Board}/webhooks", new { url = $"http://127.0.0.1:9/hook{d.Tab}-{i}", secret = HookSecret }),
        HttpStatusCode.Created, HookCountAsync);

    [Fact]
    public Task WebhookCreationsByAnAdminBeingRemoved() => ManagerDemotedAsync("webhook creations",
        (bob, d, i) => bob.Client.PostAsJsonAsync($"/api/boards/{d.Board}/webhooks", new { url = $"http://127.0.0.1:9/hook{d.Tab}-{i}", secret = HookSecret }),
        HttpStatusCode.Created, HookCountAsync, remove: true);

    [Fact]
    public Task WebhookChangesByAnAdminBeingDemoted() => ManagerDemotedAsync("webhook changes",
        (bob, d, i) => bob.Client.Patch($"/api/webhooks/{d.Prepared[0]}", new { url = $"http://127.0.0.1:9/hook{d.Tab}-{i}" }),
        HttpStatusCode.OK, board => app.DbAsync(db => db.Set<Webhook>().Where(w => w.BoardId == board).Select(w => w.Url).SingleAsync()),
        prepare: async (ada, _, board) => [await InsertHookAsync(board, ada.Id)], max: 80);

    [Fact]
    public Task WebhookDeletionsByAnAdminBeingDemoted() => ManagerDemotedAsync("webhook deletions",
        (bob, d, i) => bob.Client.DeleteAsync($"/api/webhooks/{d.Prepared[d.Tab * 8 + i]}"),
        HttpStatusCode.NoContent, HookCountAsync,
        prepare: async (ada, _, board) =>
        {
            var ids = new List<Guid>();
            for (var k = 0; k < (AtOnce - 1) * 8; k++) ids.Add(await InsertHookAsync(board, ada.Id));
            return [.. ids];
        }, max: 8);

    [Fact]
    public Task WebhookTestsByAnAdminBeingDemoted() => ManagerDemotedAsync("webhook test deliveries",
        (bob, d, i) => bob.Client.PostAsync($"/api/webhooks/{d.Prepared[0]}/test", null),
        HttpStatusCode.Accepted, async board =>
        {
            var hook = await app.DbAsync(db => db.Set<Webhook>().Where(w => w.BoardId == board).Select(w => w.Id).SingleAsync());
            var prefix = $"webhook:{hook:N}:test-";
            return (await app.DbAsync(db => db.Set<OutboxMessage>().CountAsync(o => o.Key.StartsWith(prefix)))).ToString();
        },
        prepare: async (ada, _, board) => [await InsertHookAsync(board, ada.Id)], max: 80);

    private Task<string> InvitationCountAsync(Guid board) =>
        app.DbAsync(async db => (await db.Set<Invitation>().CountAsync(i => i.BoardId == board)).ToString());

    [Fact]
    public Task InvitationsByAnAdminBeingDemoted() => ManagerDemotedAsync("invitations",
        (bob, d, i) => bob.Client.PostAsJsonAsync($"/api/boards/{d.Board}/invitations", new { email = $"tab{d.Tab}-{i}-{Guid.NewGuid():N}@example.com" }),
        HttpStatusCode.Created, InvitationCountAsync);

    [Fact]
    public Task InvitationsByAnAdminBeingRemoved() => ManagerDemotedAsync("invitations",
        (bob, d, i) => bob.Client.PostAsJsonAsync($"/api/boards/{d.Board}/invitations", new { email = $"tab{d.Tab}-{i}-{Guid.NewGuid():N}@example.com" }),
        HttpStatusCode.Created, InvitationCountAsync, remove: true);

    [Fact]
    public Task InvitationRevocationsByAnAdminBeingDemoted() => ManagerDemotedAsync("invitation revocations",
        (bob, d, i) => bob.Client.DeleteAsync($"/api/invitations/{d.Prepared[d.Tab * 8 + i]}"),
        HttpStatusCode.NoContent, board => app.DbAsync(async db => (await db.Set<Invitation>().CountAsync(i => i.BoardId == board && i.RevokedAt != null)).ToString()),
        prepare: async (ada, _, board) =>
        {
            var ids = new List<Guid>();
            for (var k = 0; k < (AtOnce - 1) * 8; k++) ids.Add(await InsertInvitationAsync(board, ada.Id));
            return [.. ids];
        }, max: 8);

    /// <summary>Bob, a second owner, keeps renaming the board while Ada makes him an admin (renaming is an owner's).</summary>
    [Fact]
    public Task BoardRenamesByAnOwnerBeingDemoted() => ManagerDemotedAsync("board renames",
        (bob, d, i) => bob.Client.Patch($"/api/boards/{d.Board}", new { name = $"bob {d.Tab}-{i}" }),
        HttpStatusCode.OK, board => app.DbAsync(db => db.Boards.Where(b => b.Id == board).Select(b => b.Name).SingleAsync()),
        bobRole: "owner", demoteTo: "admin", max: 80);

    /// <summary>Bob (an editor) keeps setting his notification level on the board while Ada removes him.</summary>
    [Fact]
    public Task NotificationSettingsOfAMemberBeingRemoved() => ManagerDemotedAsync("notification settings",
        (bob, d, i) => bob.Client.PutAsJsonAsync($"/api/boards/{d.Board}/notification-settings", new { level = (d.Tab + i) % 2 == 0 ? "watching" : "muted", email = i % 2 == 0 }),
        HttpStatusCode.OK, board => app.DbAsync(async db => string.Join(",", (await db.Set<BoardNotificationSetting>().Where(s => s.BoardId == board).ToListAsync()).Select(s => $"{s.Level}/{s.Email}/{s.UserId}"))),
        bobRole: "member", remove: true, max: 80);

    // ---- board deletion by an owner demoted or removed meanwhile --------------------------------------------------

    /// <summary>Bob (a second owner) deletes the board while Ada demotes him to admin (two boards a round) or removes him
    /// (two more): both answered 2xx means the deletion committed after (the demotion, under the board's lock, found the
    /// board; had the deletion been first, it would have found none).</summary>
    [Fact]
    public async Task DeletingABoardWhileTheOwnerIsDemotedOrRemoved()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var boards = new List<Guid>();
            for (var k = 0; k < AtOnce / 2; k++)
            {
                var b = await ada.CreateBoardAsync();
                await ada.AddMemberAsync(b, bob, "owner");
                boards.Add(b);
            }
            var pairs = boards.Select((b, k) => (Board: b, Remove: k % 2 == 1,
                Delete: Task.Run(() => bob.Client.DeleteAsync($"/api/boards/{b}")),
                Change: Task.Run(() => k % 2 == 1
                    ? ada.Client.DeleteAsync($"/api/boards/{b}/members/{bob.Id}")
                    : ada.Client.Patch($"/api/boards/{b}/members/{bob.Id}", new { role = "admin" })))).ToList();
            foreach (var p in pairs)
            {
                var deleted = await p.Delete;
                var changed = await p.Change;
                await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent, HttpStatusCode.Forbidden, HttpStatusCode.NotFound);
                await Races.CheckAll(tally, round, [changed], HttpStatusCode.OK, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
                if (deleted.StatusCode == HttpStatusCode.NoContent && changed.IsSuccessStatusCode)
                    tally.Fail(round, $"board deleted by Bob after his {(p.Remove ? "removal" : "demotion to admin")} ({(int)changed.StatusCode})");
            }
        }
        tally.AssertNone("DELETE board by an owner racing his demotion/removal");
    }

    // ---- board rename / export racing the board's deletion -----------------------------------------------------

    [Fact]
    public async Task RenamingABoardWhileItIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var renaming = Enumerable.Range(0, AtOnce - 1).Select(tab => Task.Run(() => Races.LoopAsync(
                i => ada.Client.Patch($"/api/boards/{board}", new { name = $"n{tab}-{i}" }), [HttpStatusCode.OK], max: 60))).ToList();
            await Task.Delay(30);
            var deleted = await ada.Client.DeleteAsync($"/api/boards/{board}");
            var loops = await Task.WhenAll(renaming);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.OK, HttpStatusCode.NotFound);
        }
        tally.AssertNone("PATCH board racing DELETE board");
    }

    [Fact]
    public async Task ExportingWhileTheBoardIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            for (var k = 0; k < 3; k++) await ada.CreateTaskAsync(board, new { title = $"t{k}" });
            var exporting = Enumerable.Range(0, AtOnce - 1).Select(tab => Task.Run(() => Races.LoopAsync(
                i => ada.Client.GetAsync($"/api/boards/{board}/export?format={(tab % 2 == 0 ? "json" : "csv")}"), [HttpStatusCode.OK], max: 60))).ToList();
            await Task.Delay(30);
            var deleted = await ada.Client.DeleteAsync($"/api/boards/{board}");
            var loops = await Task.WhenAll(exporting);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.OK, HttpStatusCode.NotFound);
        }
        tally.AssertNone("GET export racing DELETE board");
    }

    // ---- imports racing account deletions ---------------------------------------------------------------------

    /// <summary>A TaskHub export of a one-task board whose task is assigned to <paramref name="assignee"/> (or nobody).</summary>
    internal static byte[] ExportFile(string? assigneeEmail) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        format = "taskhub-board", version = 1, name = "Imported", labels = Array.Empty<object>(),
        tasks = new[]
        {
            new
            {
                title = "t", description = (string?)null, status = "todo", priority = "medium", dueAt = (DateTime?)null, position = "a",
                labels = Array.Empty<Guid>(), archivedAt = (DateTime?)null, assigneeEmail, supervisorEmail = (string?)null,
                checklist = Array.Empty<object>(), comments = Array.Empty<object>(),
            },
        },
    });

    /// <summary>POSTs the file as an import; with a key, in a form of a fixed boundary unless <paramref name="boundary"/>
    /// names another (a browser's FormData draws a new one for every request).</summary>
    private static Task<HttpResponseMessage> ImportAsync(TestUser user, byte[] file, string? key = null, string? boundary = null)
    {
        var form = key is null && boundary is null ? new MultipartFormDataContent() : new MultipartFormDataContent(boundary ?? "fixed-boundary");
        form.Add(new ByteArrayContent(file), "file", "board.taskhub.json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports/taskhub") { Content = form };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return user.Client.SendAsync(request);
    }

    [Fact]
    public async Task ImportingWhileDeletingTheAccount()
    {
        var tally = new RaceTally(Rounds);
        var file = ExportFile(null);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            (await ImportAsync(ada, file)).EnsureSuccessStatusCode();
            var importing = Enumerable.Range(0, AtOnce - 1).Select(_ => Task.Run(() => Races.LoopAsync(i => ImportAsync(ada, file), [HttpStatusCode.Created], max: 40))).ToList();
            await Task.Delay(30);
            var deleted = await Races.DeleteAccountAsync(ada);
            var loops = await Task.WhenAll(importing);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound);
            var left = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == ada.Id));
            if (left != 0) tally.Fail(round, $"{left} memberships of the deleted account");
            var orphans = await app.DbAsync(db => db.Boards.CountAsync(b => !b.Members.Any()));
            if (orphans != 0) tally.Fail(round, $"{orphans} boards left without members");
        }
        tally.AssertNone("POST /api/imports/taskhub racing DELETE /api/me");
    }

    /// <summary>Ada and Bob import, at once and from several tabs each, files that name each other (each becomes a member
    /// of the other's new boards): an import holding its importer's row exclusively while adding the other's membership
    /// (a foreign key's share lock on their row) would wait on the other import doing the same.</summary>
    [Fact]
    public async Task TwoPeopleImportingFilesThatNameEachOther()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var (forAda, forBob) = (ExportFile(bob.Email), ExportFile(ada.Email));
            var loops = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(tab => Task.Run(() => Races.LoopAsync(
                _ => tab % 2 == 0 ? ImportAsync(ada, forAda) : ImportAsync(bob, forBob), [HttpStatusCode.Created], max: 6))));
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created);
        }
        tally.AssertNone("imports naming each other's importers");
    }

    /// <summary>Ada imports boards whose task is assigned to Bob (he becomes a member) while Bob deletes his account.</summary>
    [Fact]
    public async Task ImportingWithAnAssigneeWhoseAccountIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var file = ExportFile(bob.Email);
            var importing = Enumerable.Range(0, AtOnce - 1).Select(_ => Task.Run(() => Races.LoopAsync(i => ImportAsync(ada, file), [HttpStatusCode.Created], max: 30))).ToList();
            await Task.Delay(30);
            var deleted = await Races.DeleteAccountAsync(bob);
            var loops = await Task.WhenAll(importing);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created);
            var left = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == bob.Id));
            if (left != 0) tally.Fail(round, $"{left} memberships of the deleted account");
        }
        tally.AssertNone("imports naming a person racing that person's DELETE /api/me");
    }

    // ---- Idempotency-Key: one key at once -------------------------------------------------------------------------

    private static readonly HttpStatusCode[] RepeatOk = [HttpStatusCode.Conflict];

    /// <summary>Eight requests with one key at once (one person) on <paramref name="send"/>: each the first's status or a
    /// 409; <paramref name="effect"/> checks the change happened once.</summary>
    private async Task OneKeyAtOnceAsync(string what, Func<TestUser, Guid, Task<object?>> prepare,
        Func<TestUser, Guid, object?, string, Task<HttpResponseMessage>> send, HttpStatusCode ok,
        Func<TestUser, Guid, object?, Task<string?>> effect, bool twoPeople = false)
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob, "owner");
            var state = await prepare(ada, board);
            var key = Guid.NewGuid().ToString();
            var responses = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(i => Task.Run(() => send(twoPeople && i % 2 == 1 ? bob : ada, board, state, key))));
            await Races.CheckAll(tally, round, responses, [ok, .. RepeatOk]);
            if (!twoPeople && responses.Count(r => r.StatusCode == ok && !r.Headers.Contains("Idempotent-Replayed")) > 1)
                tally.Fail(round, $"{responses.Count(r => r.StatusCode == ok && !r.Headers.Contains("Idempotent-Replayed"))} first answers");
            if (await effect(ada, board, state) is { } wrong) tally.Fail(round, wrong);
        }
        tally.AssertNone($"one Idempotency-Key at once: {what}");
    }

    [Fact]
    public Task OneKeyAtOnceRenamingTheBoard() => OneKeyAtOnceAsync("PATCH board",
        (_, _) => Task.FromResult<object?>(null),
        (u, board, _, key) => Keyed(u.Client, HttpMethod.Patch, $"/api/boards/{board}", new { name = "renamed" }, key), HttpStatusCode.OK,
        (_, _, _) => Task.FromResult<string?>(null));

    [Fact]
    public Task OneKeyAtOnceChangingAWebhook() => OneKeyAtOnceAsync("PATCH webhook",
        async (ada, board) => await InsertHookAsync(board, ada.Id),
        (u, _, hook, key) => Keyed(u.Client, HttpMethod.Patch, $"/api/webhooks/{hook}", new { url = "http://127.0.0.1:9/other" }, key), HttpStatusCode.OK,
        (_, _, _) => Task.FromResult<string?>(null));

    [Fact]
    public Task OneKeyAtOnceDeletingAWebhook() => OneKeyAtOnceAsync("DELETE webhook",
        async (ada, board) => await InsertHookAsync(board, ada.Id),
        (u, _, hook, key) => Keyed(u.Client, HttpMethod.Delete, $"/api/webhooks/{hook}", null, key), HttpStatusCode.NoContent,
        (_, _, _) => Task.FromResult<string?>(null));

    [Fact]
    public Task OneKeyAtOnceCreatingAWebhook() => OneKeyAtOnceAsync("POST webhook",
        (_, _) => Task.FromResult<object?>(null),
        (u, board, _, key) => Keyed(u.Client, HttpMethod.Post, $"/api/boards/{board}/webhooks", new { url = "http://127.0.0.1:9/hook", secret = HookSecret }, key),
        HttpStatusCode.Created,
        async (_, board, _) => await HookCountAsync(board) is var n && n != "1" ? $"{n} hooks" : null);

    [Fact]
    public Task OneKeyAtOnceRevokingAnInvitation() => OneKeyAtOnceAsync("DELETE invitation",
        async (ada, board) => await InsertInvitationAsync(board, ada.Id),
        (u, _, inv, key) => Keyed(u.Client, HttpMethod.Delete, $"/api/invitations/{inv}", null, key), HttpStatusCode.NoContent,
        (_, _, _) => Task.FromResult<string?>(null));

    [Fact]
    public Task OneKeyAtOnceDeletingTheBoard() => OneKeyAtOnceAsync("DELETE board",
        (_, _) => Task.FromResult<object?>(null),
        (u, board, _, key) => Keyed(u.Client, HttpMethod.Delete, $"/api/boards/{board}", null, key), HttpStatusCode.NoContent,
        (_, _, _) => Task.FromResult<string?>(null));

    [Fact]
    public Task OneKeyAtOnceCreatingALabel() => OneKeyAtOnceAsync("POST label",
        (_, _) => Task.FromResult<object?>(null),
        (u, board, _, key) => Keyed(u.Client, HttpMethod.Post, $"/api/boards/{board}/labels", new { name = "bug", color = "red" }, key), HttpStatusCode.Created,
        async (_, board, _) => await app.DbAsync(db => db.Set<Label>().CountAsync(l => l.BoardId == board)) is var n && n != 1 ? $"{n} labels" : null);

    /// <summary>Ada and Bob happen to send the same key at once: each person's request is their own (two labels).</summary>
    [Fact]
    public Task OneKeyAtOnceByTwoPeopleCreatingLabels() => OneKeyAtOnceAsync("POST label by two people",
        (_, _) => Task.FromResult<object?>(null),
        (u, board, _, key) => Keyed(u.Client, HttpMethod.Post, $"/api/boards/{board}/labels", new { name = "bug", color = "red" }, key), HttpStatusCode.Created,
        async (_, board, _) => await app.DbAsync(db => db.Set<Label>().CountAsync(l => l.BoardId == board)) is var n && n != 2 ? $"{n} labels" : null,
        twoPeople: true);

    [Fact]
    public Task OneKeyAtOnceImporting() => OneKeyAtOnceAsync("POST import",
        (_, _) => Task.FromResult<object?>(null),
        (u, _, _, key) => ImportAsync(u, ExportFile(null), key), HttpStatusCode.Created,
        async (ada, _, _) => await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == ada.Id && m.Board.Name == "Imported")) is var n && n != 1 ? $"{n} boards imported" : null);

    [Fact]
    public Task OneKeyAtOnceByTwoPeopleImporting() => OneKeyAtOnceAsync("POST import by two people",
        (_, _) => Task.FromResult<object?>(null),
        (u, _, _, key) => ImportAsync(u, ExportFile(null), key), HttpStatusCode.Created,
        async (ada, _, _) => await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == ada.Id && m.Board.Name == "Imported")) is var n && n != 1 ? $"{n} boards imported by Ada" : null,
        twoPeople: true);

    /// <summary>Not a race: an import sent again with its Idempotency-Key, as a client resends a lost request (its form
    /// built again, with a new multipart boundary), should hear the first answer replayed, not a 422.</summary>
    [Fact]
    public async Task AnImportResentWithItsKeyIsReplayed()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var key = Guid.NewGuid().ToString();
            var file = ExportFile(null);
            var first = await ImportAsync(ada, file, key, boundary: $"b-{Guid.NewGuid():N}");
            var again = await ImportAsync(ada, file, key, boundary: $"b-{Guid.NewGuid():N}");
            await Races.CheckAll(tally, round, [first], HttpStatusCode.Created);
            await Races.CheckAll(tally, round, [again], HttpStatusCode.Created, HttpStatusCode.Conflict);
        }
        tally.AssertNone("an import resent with its key and a new boundary");
    }

    /// <summary>The same for a file upload (also multipart, also looked up first).</summary>
    [Fact]
    public async Task AnUploadResentWithItsKeyIsReplayed()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var task = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
            var key = Guid.NewGuid().ToString();
            Task<HttpResponseMessage> Upload()
            {
                var form = new MultipartFormDataContent($"b-{Guid.NewGuid():N}") { { new ByteArrayContent("cell"u8.ToArray()), "file", "f.txt" } };
                var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task}/attachments") { Content = form };
                request.Headers.Add("Idempotency-Key", key);
                return ada.Client.SendAsync(request);
            }
            var first = await Upload();
            var again = await Upload();
            await Races.CheckAll(tally, round, [first], HttpStatusCode.Created);
            await Races.CheckAll(tally, round, [again], HttpStatusCode.Created, HttpStatusCode.Conflict);
        }
        tally.AssertNone("an upload resent with its key and a new boundary");
    }

    /// <summary>Ada's tabs change her profile and notification settings while she deletes her account: 200, 401 or 404.</summary>
    [Fact]
    public async Task ChangingOnesSettingsWhileDeletingTheAccount()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var writing = Enumerable.Range(0, AtOnce - 1).Select(tab => Task.Run(() => Races.LoopAsync(i => tab % 2 == 0
                    ? ada.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = i % 2 == 0, digest = "off", reminderLeadHours = 24 })
                    : ada.Client.Patch("/api/me", new { displayName = $"Ada {i}" }),
                [HttpStatusCode.OK], max: 60))).ToList();
            await Task.Delay(30);
            var deleted = await ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password });
            var loops = await Task.WhenAll(writing);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.OK, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound);
        }
        tally.AssertNone("PUT notification-settings / PATCH me racing DELETE /api/me");
    }

    // ---- task content racing (expected safe: under the board's lock) ----------------------------------------------

    [Fact]
    public async Task ArchivingAndRestoringWhileTheTaskIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var task = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
            var flipping = Enumerable.Range(0, AtOnce - 1).Select(tab => Task.Run(() => Races.LoopAsync(
                i => ada.Client.PostAsync($"/api/tasks/{task}/{((tab + i) % 2 == 0 ? "archive" : "unarchive")}", null), [HttpStatusCode.OK], max: 60))).ToList();
            await Task.Delay(30);
            var deleted = await ada.Client.DeleteAsync($"/api/tasks/{task}");
            var loops = await Task.WhenAll(flipping);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.OK, HttpStatusCode.NotFound);
        }
        tally.AssertNone("archive/unarchive racing DELETE task");
    }

    /// <summary>Tabs keep putting a label on tasks while another deletes the label: no task keeps the deleted label's id.</summary>
    [Fact]
    public async Task LabellingTasksWhileTheLabelIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var label = (await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/labels", new { name = "bug", color = "red" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
            var tasks = new List<Guid>();
            for (var k = 0; k < AtOnce - 1; k++) tasks.Add((await ada.CreateTaskAsync(board, new { title = $"t{k}" })).GetProperty("id").GetGuid());
            var labelling = tasks.Select(t => Task.Run(() => Races.LoopAsync(async i =>
                    i % 2 == 0 ? await ada.Client.Patch($"/api/tasks/{t}", new { labelIds = new[] { label } }) : await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = "n", labelIds = new[] { label } }),
                [HttpStatusCode.OK, HttpStatusCode.Created], max: 60))).ToList();
            await Task.Delay(30);
            var deleted = await ada.Client.DeleteAsync($"/api/labels/{label}");
            var loops = await Task.WhenAll(labelling);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.BadRequest);
            var id = label.ToString();
            var dangling = await app.DbAsync(db => db.Tasks.CountAsync(t => t.BoardId == board && t.LabelIds.Contains(id)));
            if (dangling > 0) tally.Fail(round, $"{dangling} tasks keep the deleted label");
        }
        tally.AssertNone("labelling racing DELETE label");
    }

    /// <summary>Eight checklist items moved to the top and toggled at once: distinct positions, and the task's done count
    /// equals its done items.</summary>
    [Fact]
    public async Task ReorderingAndTogglingChecklistItemsAtOnce()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var task = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
            var items = new List<Guid>();
            for (var k = 0; k < AtOnce; k++)
                items.Add((await (await ada.Client.PostAsJsonAsync($"/api/tasks/{task}/checklist", new { text = $"i{k}" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid());
            var responses = await Task.WhenAll(items.Select((id, k) => Task.Run(() => ada.Client.Patch($"/api/checklist-items/{id}",
                k % 2 == 0 ? new { afterId = (Guid?)null, done = (bool?)true } : new { afterId = (Guid?)items[0], done = (bool?)(k % 3 == 0) }))));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.OK, HttpStatusCode.BadRequest);
            var rows = await app.DbAsync(db => db.Set<ChecklistItem>().Where(i => i.TaskId == task).Select(i => new { i.Position, i.Done }).ToListAsync());
            if (rows.Select(r => r.Position).Distinct().Count() != rows.Count) tally.Fail(round, "duplicate positions: " + string.Join(",", rows.Select(r => r.Position)));
            var counted = await app.DbAsync(db => db.Tasks.Where(t => t.Id == task).Select(t => new { t.ChecklistDone, t.ChecklistTotal }).SingleAsync());
            if (counted.ChecklistDone != rows.Count(r => r.Done) || counted.ChecklistTotal != rows.Count)
                tally.Fail(round, $"counts {counted.ChecklistDone}/{counted.ChecklistTotal}, rows {rows.Count(r => r.Done)}/{rows.Count}");
        }
        tally.AssertNone("checklist reorder/toggle x8");
    }
}

public sealed class RacingAdminRequestsTestsOnSqlite(RaceSqliteApplication app) : RacingAdminRequestsTests(app), IClassFixture<RaceSqliteApplication>;

public sealed class RacingAdminRequestsTestsOnMariaDb(RaceMariaDbApplication app) : RacingAdminRequestsTests(app), IClassFixture<RaceMariaDbApplication>;
