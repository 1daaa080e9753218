using System.Net;
using Microsoft.EntityFrameworkCore;
using TaskHub.Tests.Infrastructure;

namespace TaskHub.Tests.Hardening;

/// <summary>
/// Races made to happen at one chosen point (<see cref="AfterCommandHook"/>: a step runs right after a given read, inside
/// the request that made it) where a loop of requests at once hits them rarely or never.
/// </summary>
public abstract class PointRaceTests(TaskHubApplication app, AfterCommandHook hook)
{
    /// <summary>An admin removing a member is demoted by the owner between the removal's check of the admin's rights and
    /// the board's lock: the removal checks them again under the lock (thirty-third round) and is refused, and the member
    /// stays. No loop of requests at once had shown it (the thirty-third round's note: "no test fails without it").</summary>
    [Fact]
    public async Task AnAdminDemotedWhileTheirRemovalOfAMemberWaitsIsRefused()
    {
        var owner = await app.SignUpAsync();
        var admin = await app.SignUpAsync();
        var carl = await app.SignUpAsync();
        var board = await owner.CreateBoardAsync();
        await owner.AddMemberAsync(board, admin, "admin");
        await owner.AddMemberAsync(board, carl);
        HttpResponseMessage? demoted = null;
        hook.Arm(c => AfterCommandHook.Reads(c, "board_members", board, admin.Id),
            async () => demoted = await owner.Client.Patch($"/api/boards/{board}/members/{admin.Id}", new { role = "member" }));
        try
        {
            var removed = await admin.Client.DeleteAsync($"/api/boards/{board}/members/{carl.Id}");

            Assert.True(demoted is not null, "the hook never ran: the removal's read of the admin's membership was not seen");
            Assert.Equal(HttpStatusCode.OK, demoted!.StatusCode);
            Assert.True(removed.StatusCode == HttpStatusCode.Forbidden, await Races.Describe(removed));
            Assert.True(await app.DbAsync(db => db.BoardMembers.AnyAsync(m => m.BoardId == board && m.UserId == carl.Id)), "carl was removed");
        }
        finally
        {
            hook.Disarm();
        }
    }
}

public sealed class PointRaceTestsOnSqlite(HookedSqliteApplication app) : PointRaceTests(app, app.Hook), IClassFixture<HookedSqliteApplication>;

public sealed class PointRaceTestsOnMariaDb(HookedMariaDbApplication app) : PointRaceTests(app, app.Hook), IClassFixture<HookedMariaDbApplication>
{
    /// <summary>
    /// An import naming a person whose account is deleted between the import's read of the people it names and its insert
    /// of their memberships (MariaDB only: on SQLite writers are serialised and no deletion runs in between). Before the
    /// thirty-fourth round the insert met a foreign key's failure (500); the people's rows are now locked in share mode
    /// after the read, so a deletion that came first leaves them out and one that comes later waits for the import.
    /// </summary>
    [Fact]
    public async Task APersonDeletedWhileTheImportNamingThemRunsIsNotA500()
    {
        var ada = await app.SignUpAsync();
        var bob = await app.SignUpAsync();
        Task<HttpResponseMessage>? deletion = null;
        app.Hook.Arm(c => AfterCommandHook.Reads(c, "NormalizedEmail", bob.Email.ToUpperInvariant()),
            async () =>
            {
                deletion = Races.DeleteAccountAsync(bob);
                // Finished at once when nothing holds bob's row; waiting on the import's share lock otherwise (then it
                // goes on after the import, finds bob on the imported board, and is sent again by DeleteAccountAsync).
                await Task.WhenAny(deletion, Task.Delay(TimeSpan.FromSeconds(2)));
            });
        try
        {
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(RacingAdminRequestsTests.ExportFile(bob.Email)), "file", "board.taskhub.json");
            var imported = await ada.Client.PostAsync("/api/imports/taskhub", form);

            Assert.True(deletion is not null, "the hook never ran: the import's read of the people it names was not seen");
            Assert.True(imported.StatusCode == HttpStatusCode.Created, await Races.Describe(imported));
            var deleted = await deletion!;
            Assert.True(deleted.StatusCode == HttpStatusCode.NoContent, await Races.Describe(deleted));
            Assert.Equal(0, await app.DbAsync(db => db.BoardMembers.CountAsync(m => m.UserId == bob.Id)));
        }
        finally
        {
            app.Hook.Disarm();
        }
    }
}
