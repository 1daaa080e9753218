using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Integrations;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// Requests that race each other across people and owners: an account deleted while its tabs still write, a board
/// deleted while things are added to it, two owners leaving or demoting each other at once, a member removed while
/// their writes are in flight, a limit checked by several requests at once. Each runs ten rounds of eight requests (or
/// eight request loops) at once and counts the rounds that ended in a 5xx or a broken invariant (a board without an
/// owner, 51 tokens, a removed member's write after the removal). Each of the first eleven failed most rounds before its
/// mend (thirty-second round); the rest guard what was found safe.
/// </summary>
public abstract class RacingRequestsTests(TaskHubApplication app)
{
    private const int Rounds = 10;
    private const int AtOnce = 8;



    // ---- account deletion vs the same person's writes ------------------------------------------------------------

    /// <summary>Ada deletes her account (one tab) while other tabs keep commenting on a board she shares with Bob (the heir).</summary>
    [Fact]
    public async Task CommentingWhileDeletingTheAccount()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob);
            var task = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
            var commenting = Enumerable.Range(0, AtOnce - 1).Select(_ => Races.LoopAsync(
                i => ada.Client.PostAsJsonAsync($"/api/tasks/{task}/comments", new { body = $"c{i}" }), [HttpStatusCode.Created])).ToList();
            var delete = ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password });
            var deleted = await delete;
            var loops = await Task.WhenAll(commenting);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound);
        }
        tally.AssertNone("comments racing DELETE /api/me");
    }

    /// <summary>Ada deletes her account while other tabs create boards.</summary>
    [Fact]
    public async Task CreatingBoardsWhileDeletingTheAccount()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var creating = Enumerable.Range(0, AtOnce - 1).Select(_ => Races.LoopAsync(
                i => ada.Client.PostAsJsonAsync("/api/boards", new { name = $"b{i}" }), [HttpStatusCode.Created])).ToList();
            var deleted = await Races.DeleteAccountAsync(ada);
            var loops = await Task.WhenAll(creating);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound);
            var left = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == ada.Id));
            if (left != 0) tally.Fail(round, $"{left} memberships of the deleted account");
            var orphans = await app.DbAsync(db => db.Boards.CountAsync(b => !b.Members.Any()));
            if (orphans != 0) tally.Fail(round, $"{orphans} boards left without members");
        }
        tally.AssertNone("POST /api/boards racing DELETE /api/me");
    }

    /// <summary>Ada's tabs keep adding Bob to her board (and removing him) while Bob deletes his account: each a 201, 204,
    /// 404 or 409, never the member insert's foreign-key 500 (thirty-third round), and no membership of his is left.</summary>
    [Fact]
    public async Task AddingAPersonWhileTheirAccountIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var adding = Enumerable.Range(0, AtOnce - 1).Select(_ => Races.LoopAsync(async i => i % 2 == 0
                    ? await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = bob.Email, role = "member" })
                    : await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}"),
                [HttpStatusCode.Created, HttpStatusCode.NoContent, HttpStatusCode.Conflict, HttpStatusCode.NotFound], max: 30)).ToList();
            await Task.Delay(20);
            var deleted = await Races.DeleteAccountAsync(bob);
            var loops = await Task.WhenAll(adding);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.NoContent, HttpStatusCode.Conflict, HttpStatusCode.NotFound);
            var left = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == bob.Id));
            if (left != 0) tally.Fail(round, $"{left} memberships of the deleted account");
        }
        tally.AssertNone("POST member racing the person's DELETE /api/me");
    }

    /// <summary>A double-clicked account deletion.</summary>
    [Fact]
    public async Task DeletingTheAccountTwiceAtOnce()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob);
            var responses = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(_ =>
                ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password })));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.NoContent, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound);
        }
        tally.AssertNone("DELETE /api/me twice");
    }

    // ---- board deletion vs writes outside the board stream -------------------------------------------------------

    /// <summary>Bob accepts his invitation while Ada deletes the board: a 200 (he joined first) or a 404, never the
    /// member insert's foreign-key 500.</summary>
    [Fact]
    public async Task AcceptingAnInvitationWhileItsBoardIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var token = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).Replace('+', '-').Replace('/', '_').TrimEnd('=');
            await app.DbAsync(async db =>
            {
                db.Add(new TaskHub.Server.Features.Invitations.Invitation
                {
                    BoardId = board, Email = bob.Email, NormalizedEmail = bob.Email.ToUpperInvariant(),
                    TokenHash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token))),
                    InvitedById = ada.Id, CreatedAt = DateTime.UtcNow, ExpiresAt = DateTime.UtcNow.AddDays(1),
                });
                return await db.SaveChangesAsync();
            });
            var responses = await Task.WhenAll(
                bob.Client.PostAsJsonAsync("/api/invitations/accept", new { token }),
                ada.Client.DeleteAsync($"/api/boards/{board}"));
            await Races.CheckAll(tally, round, responses[..1], HttpStatusCode.OK, HttpStatusCode.NotFound);
            await Races.CheckAll(tally, round, responses[1..], HttpStatusCode.NoContent);
        }
        tally.AssertNone("POST /api/invitations/accept racing DELETE board");
    }

    /// <summary>Ada's other tabs keep inviting while she deletes the board: each invitation a 201 or a 404.</summary>
    [Fact]
    public async Task InvitingWhileTheBoardIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var inviting = Enumerable.Range(0, AtOnce - 1).Select(tab => Races.LoopAsync(
                i => ada.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = $"tab{tab}-{i}-{Guid.NewGuid():N}@example.com" }),
                [HttpStatusCode.Created], max: 30)).ToList();
            await Task.Delay(20);
            var deleted = await ada.Client.DeleteAsync($"/api/boards/{board}");
            var loops = await Task.WhenAll(inviting);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.NotFound);
        }
        tally.AssertNone("POST invitations racing DELETE board");
    }

    [Fact]
    public async Task CreatingWebhooksWhileTheBoardIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var creating = Enumerable.Range(0, AtOnce - 1).Select(_ => Races.LoopAsync(
                i => ada.Client.PostAsJsonAsync($"/api/boards/{board}/webhooks", new { url = "http://127.0.0.1:9/hook", secret = "0123456789abcdef-secret" }),
                [HttpStatusCode.Created], max: 30)).ToList();
            await Task.Delay(20);
            var deleted = await ada.Client.DeleteAsync($"/api/boards/{board}");
            var loops = await Task.WhenAll(creating);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.NotFound);
        }
        tally.AssertNone("POST webhooks racing DELETE board");
    }

    [Fact]
    public async Task AddingMembersWhileTheBoardIsDeleted()
    {
        var tally = new RaceTally(Rounds);
        var others = new List<TestUser>();
        for (var i = 0; i < AtOnce - 1; i++) others.Add(await app.SignUpAsync());
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var adding = others.Select(o => Races.LoopAsync(async i => i % 2 == 0
                    ? await ada.Client.PostAsJsonAsync($"/api/boards/{board}/members", new { email = o.Email, role = "member" })
                    : await ada.Client.DeleteAsync($"/api/boards/{board}/members/{o.Id}"),
                [HttpStatusCode.Created, HttpStatusCode.NoContent], max: 40)).ToList();
            await Task.Delay(20);
            var deleted = await ada.Client.DeleteAsync($"/api/boards/{board}");
            var loops = await Task.WhenAll(adding);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.NoContent, HttpStatusCode.NotFound);
        }
        tally.AssertNone("add/remove member racing DELETE board");
    }

    // ---- membership invariants --------------------------------------------------------------------------------

    /// <summary>Two owners; Ada (two tabs) demotes Bob and herself at once. A board needs an owner.</summary>
    [Fact]
    public async Task DemotingBothOwnersAtOnceLeavesAnOwner()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob, "owner");
            var responses = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(i =>
                ada.Client.Patch($"/api/boards/{board}/members/{(i % 2 == 0 ? bob.Id : ada.Id)}", new { role = "admin" })));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Conflict);
            var owners = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.BoardId == board && m.Role == BoardRole.Owner));
            if (owners == 0) tally.Fail(round, "no owner left: " + string.Join(",", responses.Select(r => (int)r.StatusCode)));
        }
        tally.AssertNone("PATCH member role x2");
    }

    /// <summary>Two owners; each leaves the board at the same moment (or one removes the other as the other leaves).</summary>
    [Fact]
    public async Task BothOwnersLeavingAtOnceLeavesAnOwner()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob, "owner");
            var responses = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(i => i % 2 == 0
                ? ada.Client.DeleteAsync($"/api/boards/{board}/members/{ada.Id}")
                : bob.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.NoContent, HttpStatusCode.NotFound, HttpStatusCode.Conflict);
            var members = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.BoardId == board));
            var owners = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.BoardId == board && m.Role == BoardRole.Owner));
            var exists = await app.DbAsync(db => db.Boards.AnyAsync(b => b.Id == board));
            if (exists && owners == 0) tally.Fail(round, $"board left with {members} members and no owner");
        }
        tally.AssertNone("DELETE member (leave) x2");
    }

    // ---- per-person caps ---------------------------------------------------------------------------------------

    [Fact]
    public async Task CreatingApiTokensAtOnceKeepsTheLimitOf50()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            for (var i = 0; i < 49; i++)
                await (await ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = $"t{i}", scope = "read" })).Json(HttpStatusCode.Created);
            var responses = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(i =>
                ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = "same", scope = "read" })));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.Created, HttpStatusCode.BadRequest);
            var count = await app.DbAsync(db => db.Set<ApiToken>().CountAsync(t => t.UserId == ada.Id && t.RevokedAt == null));
            if (count > 50) tally.Fail(round, $"{count} live tokens");
        }
        tally.AssertNone("POST /api/me/tokens at the limit");
    }

    // ---- reads under writes ------------------------------------------------------------------------------------

    [Fact]
    public async Task SearchAndMyTasksWhileTasksAndCommentsComeAndGo()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var responses = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(i => Races.LoopAsync(async n =>
            {
                switch (i % 4)
                {
                    case 0: return await ada.Client.GetAsync("/api/search?q=deploy");
                    case 1: return await ada.Client.GetAsync("/api/me/tasks");
                    default:
                        var created = await ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = $"deploy {n}", description = "deploy the thing", assigneeId = ada.Id });
                        if (created.StatusCode != HttpStatusCode.Created) return created;
                        var id = (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
                        var c = await ada.Client.PostAsJsonAsync($"/api/tasks/{id}/comments", new { body = "deploy later" });
                        if (c.StatusCode != HttpStatusCode.Created) return c;
                        return await ada.Client.DeleteAsync($"/api/tasks/{id}");
                }
            }, [HttpStatusCode.OK, HttpStatusCode.NoContent], max: 15)));
            await Races.CheckAll(tally, round, responses.SelectMany(l => l), HttpStatusCode.OK, HttpStatusCode.NoContent);
        }
        tally.AssertNone("search and my tasks under writes");
    }
    /// <summary>Ada deletes her account while other tabs reset her calendar feed and create API tokens (rows of hers alone).</summary>
    [Fact]
    public async Task PersonalRowsWhileDeletingTheAccount()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var writing = Enumerable.Range(0, AtOnce - 1).Select(k => Races.LoopAsync(i => k % 2 == 0
                    ? ada.Client.PostAsync("/api/me/calendar/reset", null)
                    : ada.Client.PostAsJsonAsync("/api/me/tokens", new { name = $"t{i}", scope = "read" }),
                [HttpStatusCode.OK, HttpStatusCode.Created])).ToList();
            var deleted = await ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password });
            var loops = await Task.WhenAll(writing);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound, HttpStatusCode.BadRequest);
        }
        tally.AssertNone("calendar reset / API token create racing DELETE /api/me");
    }

    /// <summary>Ada deletes her account while other tabs mark her inbox read (all of it, or pages of it): both take her
    /// row's lock first, so neither waits on the other's notification rows.</summary>
    [Fact]
    public async Task MarkingReadWhileDeletingTheAccount()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var ids = await app.SeedNotificationsAsync(ada.Id, board, 100);
            var random = new Random(round);
            var marking = Enumerable.Range(0, AtOnce - 1).Select(k => Races.LoopAsync(_ => k % 2 == 0
                    ? ada.Client.PostAsJsonAsync("/api/me/notifications/read", new { all = true })
                    : ada.Client.PostAsJsonAsync("/api/me/notifications/read", new { ids = ids.OrderBy(_ => random.Next()).Take(60).ToList() }),
                [HttpStatusCode.NoContent], max: 30)).ToList();
            await Task.Delay(10);
            var deleted = await ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password });
            var loops = await Task.WhenAll(marking);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.NoContent, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound);
        }
        tally.AssertNone("mark read racing DELETE /api/me");
    }

    /// <summary>Both owners delete their accounts at the same moment; Carol (a member) stays. The board must keep an owner.</summary>
    [Fact]
    public async Task BothOwnersDeletingTheirAccountsAtOnceLeaveAnOwner()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var carol = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob, "owner");
            await ada.AddMemberAsync(board, carol);
            var responses = await Task.WhenAll(new[] { ada, bob }.Select(u => u.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = u.Password })));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.NoContent);
            var owners = await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.BoardId == board && m.Role == BoardRole.Owner));
            if (owners == 0) tally.Fail(round, "no owner left");
        }
        tally.AssertNone("two owners deleting their accounts");
    }

    // ---- membership checked before the board lock only --------------------------------------------------------

    /// <summary>Bob keeps editing a task while Ada removes him from the board: no edit of his may land after his removal.</summary>
    [Fact]
    public Task ARemovedMembersEditsDoNotLandAfterTheRemoval() => RemovedMembersWritesDoNotLandAsync(
        (bob, w, i) => bob.Client.Patch($"/api/tasks/{w.Task}", new { title = $"b{i}" }), HttpStatusCode.OK, "PATCH task");

    /// <summary>Task creation checks the editor in the statement that takes the board's seq (BoardProbes), which must read
    /// the membership after the board's lock. Bob keeps creating tasks while Ada removes him.</summary>
    [Fact]
    public Task ARemovedMembersCreationsDoNotLandAfterTheRemoval() => RemovedMembersWritesDoNotLandAsync(
        (bob, w, i) => bob.Client.PostAsJsonAsync($"/api/boards/{w.Board}/tasks", new { title = $"b{i}" }), HttpStatusCode.Created, "POST task");

    /// <summary>Editing one's own comment checked the membership only before the board's lock (thirty-third round).</summary>
    [Fact]
    public Task ARemovedMembersCommentEditsDoNotLandAfterTheRemoval() => RemovedMembersWritesDoNotLandAsync(
        (bob, w, i) => bob.Client.Patch($"/api/comments/{w.Prepared[w.Tab]}", new { body = $"b{i}" }), HttpStatusCode.OK, "PATCH comment",
        prepare: (bob, task) => CommentsAsync(bob, task, 1));

    /// <summary>Deleting one's own comments, the same.</summary>
    [Fact]
    public Task ARemovedMembersCommentDeletionsDoNotLandAfterTheRemoval() => RemovedMembersWritesDoNotLandAsync(
        (bob, w, i) => bob.Client.DeleteAsync($"/api/comments/{w.Prepared[w.Tab * PerTab + i]}"), HttpStatusCode.NoContent, "DELETE comment",
        prepare: (bob, task) => CommentsAsync(bob, task, PerTab), max: PerTab);

    /// <summary>Deleting one's own files, the same.</summary>
    [Fact]
    public Task ARemovedMembersFileDeletionsDoNotLandAfterTheRemoval() => RemovedMembersWritesDoNotLandAsync(
        (bob, w, i) => bob.Client.DeleteAsync($"/api/attachments/{w.Prepared[w.Tab * PerTab + i]}"), HttpStatusCode.NoContent, "DELETE attachment",
        prepare: async (bob, task) =>
        {
            var ids = new List<Guid>();
            for (var k = 0; k < (AtOnce - 1) * PerTab; k++)
            {
                using var file = new MultipartFormDataContent { { new ByteArrayContent("cell"u8.ToArray()), "file", $"f{k}.txt" } };
                ids.Add((await (await bob.Client.PostAsync($"/api/tasks/{task}/attachments", file)).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid());
            }
            return [.. ids];
        }, max: PerTab);

    /// <summary>Bob keeps editing a task while Ada makes him a viewer: each edit of his is a 200 or a 403, not the 404 a
    /// write refused under the lock answered (he can still see the board).</summary>
    [Fact]
    public Task AnEditorMadeAViewerMeanwhileHears403() => RemovedMembersWritesDoNotLandAsync(
        (bob, w, i) => bob.Client.Patch($"/api/tasks/{w.Task}", new { title = $"b{i}" }), HttpStatusCode.OK, "PATCH task by a new viewer",
        demote: true);

    /// <summary>Per tab, the comments or files a deleting loop works through.</summary>
    private const int PerTab = 6;

    private static async Task<Guid[]> CommentsAsync(TestUser bob, Guid task, int perTab)
    {
        var ids = new List<Guid>();
        for (var k = 0; k < (AtOnce - 1) * perTab; k++)
            ids.Add((await (await bob.Client.PostAsJsonAsync($"/api/tasks/{task}/comments", new { body = $"c{k}" })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid());
        return [.. ids];
    }

    /// <summary>What one of Bob's tabs works on: the board, a task on it, the tab's number and what was prepared for the round.</summary>
    private sealed record Workspace(Guid Board, Guid Task, int Tab, Guid[] Prepared);

    /// <summary>Bob writes in a loop from seven tabs (<paramref name="write"/>: Bob, his workspace, the loop's count) while
    /// Ada removes him (or, <paramref name="demote"/>, makes him a viewer); every write of his is <paramref name="ok"/> or a
    /// 404 (a 403 when demoted), and none is recorded after his removal.</summary>
    private async Task RemovedMembersWritesDoNotLandAsync(Func<TestUser, Workspace, int, Task<HttpResponseMessage>> write, HttpStatusCode ok, string what,
        Func<TestUser, Guid, Task<Guid[]>>? prepare = null, int max = 60, bool demote = false)
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob);
            await ada.CreateTaskAsync(board, new { title = "assigned", assigneeId = bob.Id });
            var task = (await ada.CreateTaskAsync(board, new { title = "t" })).GetProperty("id").GetGuid();
            var prepared = prepare is null ? [] : await prepare(bob, task);
            var writing = Enumerable.Range(0, AtOnce - 1).Select(tab => Races.LoopAsync(i => write(bob, new Workspace(board, task, tab, prepared), i), [ok], max)).ToList();
            await Task.Delay(30);
            var changed = demote
                ? await ada.Client.Patch($"/api/boards/{board}/members/{bob.Id}", new { role = "viewer" })
                : await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}");
            var loops = await Task.WhenAll(writing);
            await Races.CheckAll(tally, round, [changed], demote ? HttpStatusCode.OK : HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), ok, demote ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound);
            if (demote) continue; // (a change of role records no event to order Bob's against; the removal records Ada's unassigning)
            var removalSeq = await app.DbAsync(db => db.BoardEvents.Where(e => e.BoardId == board && e.ActorId == ada.Id).MaxAsync(e => e.Seq));
            var late = await app.DbAsync(db => db.BoardEvents.CountAsync(e => e.BoardId == board && e.ActorId == bob.Id && e.Seq > removalSeq));
            if (late > 0) tally.Fail(round, $"{late} writes by Bob recorded after his removal (seq > {removalSeq})");
        }
        tally.AssertNone($"{what} racing the editor's {(demote ? "demotion" : "removal")}");
    }

    /// <summary>Ada creates tasks (other tabs) while deleting her account; Bob inherits the board.</summary>
    [Fact]
    public async Task CreatingTasksWhileDeletingTheAccount()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var bob = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            await ada.AddMemberAsync(board, bob);
            var creating = Enumerable.Range(0, AtOnce - 1).Select(_ => Races.LoopAsync(
                i => ada.Client.PostAsJsonAsync($"/api/boards/{board}/tasks", new { title = $"a{i}" }), [HttpStatusCode.Created])).ToList();
            var deleted = await ada.Client.SendJson(HttpMethod.Delete, "/api/me", new { password = ada.Password });
            var loops = await Task.WhenAll(creating);
            await Races.CheckAll(tally, round, [deleted], HttpStatusCode.NoContent);
            await Races.CheckAll(tally, round, loops.SelectMany(l => l), HttpStatusCode.Created, HttpStatusCode.Unauthorized, HttpStatusCode.NotFound);
        }
        tally.AssertNone("POST task racing DELETE /api/me");
    }

    // ---- things that should be safe -------------------------------------------------------------------------

    [Fact]
    public async Task MovingEightTasksToTheTopAtOnceKeepsDistinctPositions()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var ids = new List<Guid>();
            for (var i = 0; i < AtOnce; i++) ids.Add((await ada.CreateTaskAsync(board, new { title = $"t{i}" })).GetProperty("id").GetGuid());
            await ada.CreateTaskAsync(board, new { title = "already done", status = "done" });
            var responses = await Task.WhenAll(ids.Select((id, i) => ada.Client.PostAsJsonAsync($"/api/tasks/{id}/move",
                i % 2 == 0 ? new { status = "done", afterId = (Guid?)null } : new { status = "done", afterId = (Guid?)ids[0] })));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.OK, HttpStatusCode.BadRequest);
            var positions = await app.DbAsync(db => db.Tasks.Where(t => t.BoardId == board && t.Status == TaskHub.Server.Features.Tasks.TaskState.Done).Select(t => t.Position).ToListAsync());
            if (positions.Distinct().Count() != positions.Count) tally.Fail(round, "duplicate positions: " + string.Join(",", positions));
        }
        tally.AssertNone("concurrent moves");
    }

    [Fact]
    public async Task ChangingTwoFieldsOfAWebhookAtOnceKeepsBoth()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync();
            var board = await ada.CreateBoardAsync();
            var hook = (await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/webhooks", new { url = "http://127.0.0.1:9/hook", secret = "0123456789abcdef-secret" }))
                .Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
            var responses = await Task.WhenAll(Enumerable.Range(0, AtOnce).Select(i => i % 2 == 0
                ? ada.Client.Patch($"/api/webhooks/{hook}", new { url = "http://127.0.0.1:9/other" })
                : ada.Client.Patch($"/api/webhooks/{hook}", new { format = "slack" })));
            await Races.CheckAll(tally, round, responses, HttpStatusCode.OK);
            var after = (await ada.Client.GetJson($"/api/boards/{board}/webhooks"))[0];
            if (after.GetProperty("url").GetString() != "http://127.0.0.1:9/other" || after.GetProperty("format").GetString() != "slack")
                tally.Fail(round, "lost field: " + after);
        }
        tally.AssertNone("webhook PATCH x2");
    }
}

public sealed class RaceSqliteApplication : SqliteApplication
{
    public RaceSqliteApplication() => Settings["Webhooks:AllowPrivateTargets"] = "true";
}

public sealed class RaceMariaDbApplication : MariaDbApplication
{
    public RaceMariaDbApplication() => Settings["Webhooks:AllowPrivateTargets"] = "true";
}

public sealed class RacingRequestsTestsOnSqlite(RaceSqliteApplication app) : RacingRequestsTests(app), IClassFixture<RaceSqliteApplication>;

public sealed class RacingRequestsTestsOnMariaDb(RaceMariaDbApplication app) : RacingRequestsTests(app), IClassFixture<RaceMariaDbApplication>;
