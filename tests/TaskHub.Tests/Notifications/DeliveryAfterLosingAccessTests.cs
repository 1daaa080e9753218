using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TaskHub.Server.Data;
using TaskHub.Server.Features.Invitations;
using TaskHub.Server.Features.Jobs;
using TaskHub.Server.Features.Notifications;
using TaskHub.Tests.Infrastructure;
using TaskHub.Tests.Jobs;

namespace TaskHub.Tests.Notifications;

/// <summary>
/// The background delivery paths audited for "does anything reach a person after they lost the right to it": change
/// emails coalesced per burst (a 1.5 s window here), emails waiting in the outbox (held there by closing the SMTP gate,
/// then let go after the removal, deletion, revocation or setting answered), reminders, reports and digests (the jobs
/// run by the test, on a clock it may move). Real maildev behind the gate. Each probe has a positive control in the same
/// round — someone who kept the right gets the same kind of delivery — so "nothing arrived" means something.
/// </summary>
public interface IDeliveryFixture
{
    SmtpGate Gate { get; }
    ShiftableClock Clock { get; }
}

file static class DeliverySettings
{
    public static void Apply(TaskHubApplication app, SmtpGate gate)
    {
        app.Settings["Smtp:Host"] = "127.0.0.1";
        app.Settings["Smtp:Port"] = gate.Port.ToString();
        app.Settings["Smtp:UseTls"] = "false";
        app.Settings["Email:PublicBaseUrl"] = "https://taskhub.example.com";
        app.Settings["Email:CoalesceWindowSeconds"] = "1.5";
        app.Settings["Outbox:FirstRetrySeconds"] = "0.2";
        app.Settings["Outbox:MaxRetrySeconds"] = "0.4";
        app.Settings["Outbox:MaxAttempts"] = "100";
        app.Settings["Jobs:ServerEnabled"] = "false"; // the tests run the jobs themselves
    }
}

public sealed class SqliteDeliveryApplication : SqliteApplication, IDeliveryFixture
{
    public SmtpGate Gate { get; } = new();
    public ShiftableClock Clock { get; } = new();
    public SqliteDeliveryApplication() => DeliverySettings.Apply(this, Gate);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
    }
}

public sealed class MariaDbDeliveryApplication : MariaDbApplication, IDeliveryFixture
{
    public SmtpGate Gate { get; } = new();
    public ShiftableClock Clock { get; } = new();
    public MariaDbDeliveryApplication() => DeliverySettings.Apply(this, Gate);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock));
    }
}

public abstract class DeliveryAfterLosingAccessTests<TApp>(TApp app) where TApp : TaskHubApplication, IDeliveryFixture
{
    private const int Rounds = 3;

    /// <summary>
    /// Settled (<see cref="CoalescingTests{TApp}.SettledAsync"/>), with what the jobs queued at a moved "now" made due
    /// before a look (at most once a second), and 60 s for it: a job's run queues reports or digests for every earlier round's people too,
    /// which a loaded CI machine may take longer than 30 s to send.
    /// </summary>
    private Task<bool> SettledAsync()
    {
        var lastDue = long.MinValue;
        return CoalescingTests<MariaDbCoalescingApplication>.SettledAsync(app, async () =>
        {
            if (lastDue != long.MinValue && System.Diagnostics.Stopwatch.GetElapsedTime(lastDue) < TimeSpan.FromSeconds(1)) return;
            lastDue = System.Diagnostics.Stopwatch.GetTimestamp(); // (at most once a second: its updates compete with the dispatcher's)
            await DueNowAsync();
        }, 60);
    }

    private async Task NotSettledAsync(RaceTally tally, int round) =>
        tally.Fail(round, "the outbox did not settle: " + await CoalescingTests<MariaDbCoalescingApplication>.UnsettledAsync(app));

    private async Task<T> Db<T>(Func<TaskHubDbContext, Task<T>> use) => await app.DbAsync(use);

    private Task<bool> PendingForAsync(Guid recipient, Guid board) =>
        LiveBoard.EventuallyAsync(() => Db(db => db.Set<PendingChangeEmail>().AnyAsync(p => p.RecipientId == recipient && p.BoardId == board)));

    /// <summary>An email outbox row whose key starts so, tried at least once and not sent (the gate is down): queued before what follows.</summary>
    private Task<bool> HeldAsync(string keyPrefix) =>
        LiveBoard.EventuallyAsync(async () =>
        {
            await DueNowAsync();
            return await Db(db => db.Set<OutboxMessage>().AnyAsync(m => m.Key.StartsWith(keyPrefix) && m.Attempts >= 1 && m.DeliveredAt == null));
        }, 20);

    private static async Task<int> MailsAsync(TestUser user) => (await MailDev.ForAsync(user.Email)).Count;

    private static async Task<List<MailDev.Mail>> AwaitMailsAsync(TestUser user, int atLeast = 1)
    {
        List<MailDev.Mail> mails = [];
        await LiveBoard.EventuallyAsync(async () => (mails = await MailDev.ForAsync(user.Email)).Count >= atLeast, 20);
        return mails;
    }

    private async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        await using var scope = app.Services.CreateAsyncScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    /// <summary>Runs a job at <paramref name="moment"/>, then makes what it queued due now (it was queued at the job's "now").</summary>
    private async Task RunAtAsync<TJob>(DateTime moment, Func<TJob, Task> run, string keyPrefix) where TJob : notnull
    {
        using (app.Clock.At(moment)) await RunAsync(run);
        if (!_shifted.Contains(keyPrefix)) _shifted.Add(keyPrefix); // (the job writes for everyone due: earlier rounds' people too)
        await DueNowAsync();
    }

    private readonly List<string> _shifted = [];

    /// <summary>Rows a job queued at a moved "now" (or failed and claimed then) are due and unclaimed in real time again.</summary>
    private async Task DueNowAsync()
    {
        var now = DateTime.UtcNow;
        foreach (var prefix in _shifted)
            await Db(db => db.Set<OutboxMessage>()
                .Where(m => m.Key.StartsWith(prefix) && m.DeliveredAt == null && m.DeadLetteredAt == null && (m.NextAttemptAt > now.AddSeconds(5) || m.ClaimedUntil > now.AddSeconds(90)))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, now).SetProperty(m => m.ClaimedUntil, (DateTime?)null)));
    }

    private async Task<(TestUser Ada, TestUser Bob, TestUser Cy, Guid Board)> TrioAsync(string boardName = "Launch", string bobRole = "member")
    {
        var ada = await app.SignUpAsync("Ada");
        var bob = await app.SignUpAsync("Bob");
        var cy = await app.SignUpAsync("Cy");
        var board = await ada.CreateBoardAsync(boardName);
        await ada.AddMemberAsync(board, bob, bobRole);
        await ada.AddMemberAsync(board, cy);
        return (ada, bob, cy, board);
    }

    /// <summary>Waits until nothing more will be sent, then checks the round: the control got at least one email, the
    /// person who lost the right none beyond what they had when the removal (or deletion…) answered.</summary>
    private async Task CheckRoundAsync(RaceTally tally, int round, TestUser control, TestUser lost, int lostBefore, string what)
    {
        var controlMails = await AwaitMailsAsync(control);
        if (!await SettledAsync()) await NotSettledAsync(tally, round);
        if (controlMails.Count == 0) tally.Fail(round, $"control: {what}: nothing reached the person who kept the right");
        var after = await MailDev.ForAsync(lost.Email);
        if (after.Count > lostBefore)
            tally.Fail(round, $"{what}: {after.Count - lostBefore} email(s) after it answered, e.g. “{after[^1].Subject}”");
    }

    // ---- change emails coalesced per burst -------------------------------------------------------------------------

    /// <summary>Ada's burst on Bob's and Cy's task opened (recorded for both), then Ada removes Bob; the burst closes after.</summary>
    [Fact]
    public async Task ABurstOpenWhenAMemberIsRemovedIsNotEmailedToThem()
    {
        app.Gate.Up = true;
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var (ada, bob, cy, board) = await TrioAsync();
            var id = (await ada.CreateTaskAsync(board, new { title = $"Secret plan {round}", assigneeId = bob.Id, supervisorId = cy.Id })).GetProperty("id").GetGuid();
            await (await ada.Client.Patch($"/api/tasks/{id}", new { priority = "high" })).Json(HttpStatusCode.OK);
            Assert.True(await PendingForAsync(bob.Id, board));
            await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);
            var before = await MailsAsync(bob);
            await CheckRoundAsync(tally, round, cy, bob, before, "a burst emailed to a removed member");
        }
        tally.AssertNone("burst across a removal");
    }

    /// <summary>Bob created a task and left; Ada then changes it: the creator is still "involved" by the event.</summary>
    [Fact]
    public async Task TheCreatorOfATaskHearsNothingOfItAfterLeavingTheBoard()
    {
        app.Gate.Up = true;
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var (ada, bob, cy, board) = await TrioAsync();
            var id = (await bob.CreateTaskAsync(board, new { title = $"Bob's idea {round}", assigneeId = cy.Id })).GetProperty("id").GetGuid();
            Assert.True(await SettledAsync());
            var cyBefore = await MailsAsync(cy);
            await (await bob.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent); // Bob leaves
            var before = await MailsAsync(bob);
            await (await ada.Client.Patch($"/api/tasks/{id}", new { title = $"Ada's plan {round}", status = "in_progress" })).Json(HttpStatusCode.OK);
            await (await ada.Client.PostAsJsonAsync($"/api/tasks/{id}/comments", new { body = "moving on" })).Json(HttpStatusCode.Created);
            await AwaitMailsAsync(cy, cyBefore + 1);
            await CheckRoundAsync(tally, round, cy, bob, before, "change emails to the task's creator after he left");
            var inbox = await bob.Client.GetJson("/api/me/notifications");
            if (inbox.EnumerateArray().Any(n => n.GetProperty("boardId").GetGuid() == board && n.GetProperty("text").GetString()!.Contains("commented")))
                tally.Fail(round, "an inbox item about the comment reached the creator after he left");
        }
        tally.AssertNone("the creator after leaving");
    }

    /// <summary>A burst open on a board that its owner then deletes; the same people's burst on a second board is the control.</summary>
    [Fact]
    public async Task ABurstOnABoardDeletedInsideTheWindowIsNotEmailed()
    {
        app.Gate.Up = true;
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var ada = await app.SignUpAsync("Ada");
            var bob = await app.SignUpAsync("Bob");
            var doomed = await ada.CreateBoardAsync("Doomed");
            var kept = await ada.CreateBoardAsync("Kept");
            await ada.AddMemberAsync(doomed, bob);
            await ada.AddMemberAsync(kept, bob);
            await ada.CreateTaskAsync(doomed, new { title = $"Acquisition target {round}", assigneeId = bob.Id });
            await ada.CreateTaskAsync(kept, new { title = $"Kept task {round}", assigneeId = bob.Id });
            Assert.True(await PendingForAsync(bob.Id, doomed));
            await (await ada.Client.DeleteAsync($"/api/boards/{doomed}")).Json(HttpStatusCode.NoContent);
            await AwaitMailsAsync(bob);
            if (!await SettledAsync()) await NotSettledAsync(tally, round);
            var mails = await MailDev.ForAsync(bob.Email);
            if (!mails.Any(m => m.Text.Contains($"Kept task {round}"))) tally.Fail(round, "control: the burst on the kept board did not arrive");
            if (mails.FirstOrDefault(m => m.Text.Contains($"Acquisition target {round}")) is { } leaked)
                tally.Fail(round, $"the deleted board's burst was emailed: “{leaked.Subject}”");
        }
        tally.AssertNone("burst across a board deletion");
    }

    /// <summary>A guard: Bob deletes his account while a burst for him is open.</summary>
    [Fact]
    public async Task ABurstOpenWhenTheAccountIsDeletedIsNotEmailed()
    {
        app.Gate.Up = true;
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var (ada, bob, cy, board) = await TrioAsync();
            await ada.CreateTaskAsync(board, new { title = $"Secret plan {round}", assigneeId = bob.Id, supervisorId = cy.Id });
            Assert.True(await PendingForAsync(bob.Id, board));
            await (await Races.DeleteAccountAsync(bob)).Json(HttpStatusCode.NoContent);
            var before = await MailsAsync(bob);
            await CheckRoundAsync(tally, round, cy, bob, before, "a burst emailed to a deleted account");
        }
        tally.AssertNone("burst across an account deletion");
    }

    // ---- emails already in the outbox (held by the SMTP gate) ------------------------------------------------------

    /// <summary>The burst was sealed into its email (which the closed gate holds), then the change happens, then the gate opens.</summary>
    private async Task SealedBurstThenAsync(string what, Func<TestUser, TestUser, TestUser, Guid, Task> lose)
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            app.Gate.Up = true;
            var (ada, bob, cy, board) = await TrioAsync();
            app.Gate.Up = false;
            try
            {
                await ada.CreateTaskAsync(board, new { title = $"Secret plan {round}", assigneeId = bob.Id, supervisorId = cy.Id });
                Assert.True(await HeldAsync($"change-email:{bob.Id:N}:{board:N}:"));
                Assert.True(await HeldAsync($"change-email:{cy.Id:N}:{board:N}:"));
                await lose(ada, bob, cy, board);
            }
            finally
            {
                app.Gate.Up = true;
            }
            await CheckRoundAsync(tally, round, cy, bob, 0, what);
        }
        tally.AssertNone(what);
    }

    [Fact]
    public Task ASealedBurstWaitingInTheOutboxIsNotSentToAMemberRemovedMeanwhile() => SealedBurstThenAsync("a queued change email sent after the removal",
        async (ada, bob, _, board) => await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent));

    [Fact]
    public Task ASealedBurstWaitingInTheOutboxIsNotSentToAnAccountDeletedMeanwhile() => SealedBurstThenAsync("a queued change email sent after the account's deletion",
        async (_, bob, _, _) => await (await Races.DeleteAccountAsync(bob)).Json(HttpStatusCode.NoContent));

    [Fact]
    public Task ASealedBurstWaitingInTheOutboxIsNotSentOnceChangeEmailsAreTurnedOff() => SealedBurstThenAsync("a queued change email sent after change emails were turned off",
        async (_, bob, _, _) => await (await bob.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = false, digest = "off", reminderLeadHours = 24 })).Json(HttpStatusCode.OK));

    [Fact]
    public Task ASealedBurstWaitingInTheOutboxIsNotSentOnceTheBoardIsMuted() => SealedBurstThenAsync("a queued change email sent after the board was muted",
        async (_, bob, _, board) => await (await bob.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "muted", email = false })).Json(HttpStatusCode.OK));

    [Fact]
    public Task ASealedBurstWaitingInTheOutboxIsNotSentOnceTheBoardIsDeleted() => SealedBurstThenAsync("a queued change email sent after the board's deletion",
        async (ada, bob, cy, board) =>
        {
            // (Cy, the control, has a burst of her own on another board of Ada's, sealed and held too)
            var other = await ada.CreateBoardAsync("Other");
            await ada.AddMemberAsync(other, cy);
            await ada.CreateTaskAsync(other, new { title = "elsewhere", assigneeId = cy.Id });
            Assert.True(await HeldAsync($"change-email:{cy.Id:N}:{other:N}:"));
            await (await ada.Client.DeleteAsync($"/api/boards/{board}")).Json(HttpStatusCode.NoContent);
        });

    // ---- jobs ------------------------------------------------------------------------------------------------------

    private async Task SetLeadAsync(TestUser user, int hours, string digest = "off") =>
        await (await user.Client.PutAsJsonAsync("/api/me/notification-settings", new { emailOnChange = false, digest, reminderLeadHours = hours })).Json(HttpStatusCode.OK);

    /// <summary>The reminder job queued Bob's and Cy's reminders (the closed gate holds them), then Bob is removed.</summary>
    [Fact]
    public async Task AReminderWaitingInTheOutboxIsNotSentToAnAssigneeRemovedMeanwhile()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            app.Gate.Up = true;
            var (ada, bob, cy, board) = await TrioAsync();
            await SetLeadAsync(bob, 24);
            await SetLeadAsync(cy, 24);
            var due = DateTime.UtcNow.AddHours(3).ToString("o");
            var bobs = (await ada.CreateTaskAsync(board, new { title = $"Secret deadline {round}", assigneeId = bob.Id, dueAt = due })).GetProperty("id").GetGuid();
            var cys = (await ada.CreateTaskAsync(board, new { title = $"Cy's deadline {round}", assigneeId = cy.Id, dueAt = due })).GetProperty("id").GetGuid();
            Assert.True(await SettledAsync());
            var before = await MailsAsync(bob);
            app.Gate.Up = false;
            try
            {
                await RunAsync<DeadlineReminderJob>(j => j.RunAsync(default));
                Assert.True(await HeldAsync($"email:reminder:{bobs:N}:"));
                Assert.True(await HeldAsync($"email:reminder:{cys:N}:"));
                await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);
            }
            finally
            {
                app.Gate.Up = true;
            }
            await CheckRoundAsync(tally, round, cy, bob, before, "a queued deadline reminder sent after the removal");
        }
        tally.AssertNone("reminder across a removal");
    }

    /// <summary>The job runs over 40 of Bob's tasks while Ada removes him: nothing of it may reach Bob after the removal answered.</summary>
    [Fact]
    public async Task AReminderRunRacingTheRemovalSendsNothingAfterIt()
    {
        app.Gate.Up = true;
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var (ada, bob, cy, board) = await TrioAsync();
            await SetLeadAsync(bob, 24);
            await SetLeadAsync(cy, 24);
            var due = DateTime.UtcNow.AddHours(3).ToString("o");
            await ada.CreateTaskAsync(board, new { title = $"Cy's deadline {round}", assigneeId = cy.Id, dueAt = due });
            for (var k = 0; k < 40; k++) await ada.CreateTaskAsync(board, new { title = $"Bob's deadline {round}.{k}", assigneeId = bob.Id, dueAt = due });
            Assert.True(await SettledAsync());
            var job = Task.Run(() => RunAsync<DeadlineReminderJob>(j => j.RunAsync(default)));
            await LiveBoard.EventuallyAsync(() => Db(db => db.Set<OutboxMessage>().AnyAsync(m => m.Key.StartsWith("email:reminder:") && m.Payload.Contains(bob.Email))), 10);
            await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);
            var before = await MailsAsync(bob);
            await job;
            await CheckRoundAsync(tally, round, cy, bob, before, "reminders sent after the removal");
        }
        tally.AssertNone("reminder run racing a removal");
    }

    private static DateTime NextMondayAt(int hour, int minute)
    {
        var today = DateTime.UtcNow.Date;
        var days = ((int)DayOfWeek.Monday - (int)today.DayOfWeek + 7) % 7;
        return today.AddDays(days == 0 ? 7 : days).AddHours(hour).AddMinutes(minute);
    }

    /// <summary>The weekly report job queued Bob's (an admin) and Ada's reports (held by the gate); then Bob is made a plain member.</summary>
    [Fact]
    public async Task AReportWaitingInTheOutboxIsNotSentToAnAdminDemotedMeanwhile()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            app.Gate.Up = true;
            var (ada, bob, _, board) = await TrioAsync($"Quarterly {round}", bobRole: "admin");
            await ada.CreateTaskAsync(board, new { title = "shipped", status = "done" });
            Assert.True(await SettledAsync());
            var before = await MailsAsync(bob);
            app.Gate.Up = false;
            try
            {
                await RunAtAsync<ProgressReportJob>(NextMondayAt(8, 10).AddDays(7 * round), j => j.RunAsync(default), "email:report:");
                Assert.True(await HeldAsync($"email:report:{board:N}:{bob.Id:N}:"));
                Assert.True(await HeldAsync($"email:report:{board:N}:{ada.Id:N}:"));
                await (await ada.Client.Patch($"/api/boards/{board}/members/{bob.Id}", new { role = "member" })).Json(HttpStatusCode.OK);
            }
            finally
            {
                app.Gate.Up = true;
            }
            await CheckRoundAsync(tally, round, ada, bob, before, "a queued board report sent after the demotion");
        }
        tally.AssertNone("report across a demotion");
    }

    /// <summary>Bob had an unread item on a board ("Ada assigned “…” to you") and was removed; his digest lists what is
    /// unread. An item on a board he kept is the control.</summary>
    [Fact]
    public async Task ADigestNamesNothingOfABoardTheReaderWasRemovedFrom()
    {
        app.Gate.Up = true;
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var (ada, bob, _, board) = await TrioAsync();
            var kept = await ada.CreateBoardAsync("Kept");
            await ada.AddMemberAsync(kept, bob);
            await SetLeadAsync(bob, 0, digest: "daily");
            await ada.CreateTaskAsync(board, new { title = $"Secret merger {round}", assigneeId = bob.Id });
            await ada.CreateTaskAsync(kept, new { title = $"Kept work {round}", assigneeId = bob.Id });
            Assert.True(await LiveBoard.EventuallyAsync(async () => (await bob.Client.GetJson("/api/me/notifications")).GetArrayLength() >= 2));
            await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);
            Assert.True(await SettledAsync());
            var before = await MailDev.ForAsync(bob.Email);
            await RunAtAsync<DigestJob>(DateTime.UtcNow.Date.AddDays(1 + round).AddHours(8).AddMinutes(5), j => j.RunAsync(default), "email:digest:");
            await LiveBoard.EventuallyAsync(async () =>
            {
                await DueNowAsync();
                return (await MailDev.ForAsync(bob.Email)).Count > before.Count;
            }, 20);
            if (!await SettledAsync()) await NotSettledAsync(tally, round);
            var digest = (await MailDev.ForAsync(bob.Email)).FirstOrDefault(m => m.Subject.Contains("digest"));
            if (digest is null) { tally.Fail(round, "control: no digest arrived"); continue; }
            if (!digest.Text.Contains($"Kept work {round}")) tally.Fail(round, "control: the digest does not list the kept board's item");
            if (digest.Text.Contains($"Secret merger {round}")) tally.Fail(round, "the digest names a task of the board he was removed from");
        }
        tally.AssertNone("digest after a removal");
    }

    // ---- the inbox ---------------------------------------------------------------------------------------------------

    /// <summary>Ada assigns tasks to Bob from four tabs (each an inbox item for him, written by the outbox) while she
    /// removes him: Bob's items on the board are counted right after the removal answered and again once the outbox is
    /// drained; what differs landed after it. Ten rounds.</summary>
    [Fact]
    public async Task InboxItemsDoNotLandAfterTheRemovalAnswered()
    {
        app.Gate.Up = true;
        const int rounds = 10;
        var tally = new RaceTally(rounds);
        Task<int> ItemsAsync(Guid user, Guid board) => Db(db => db.Set<Notification>().CountAsync(n => n.UserId == user && n.BoardId == board));
        for (var round = 0; round < rounds; round++)
        {
            var (ada, bob, _, board) = await TrioAsync();
            await SetLeadAsync(bob, 0);
            var tasks = new List<Guid>();
            for (var k = 0; k < 40; k++) tasks.Add((await ada.CreateTaskAsync(board, new { title = $"Secret {round}.{k}" })).GetProperty("id").GetGuid());
            await (await ada.Client.Patch($"/api/tasks/{tasks[0]}", new { assigneeId = bob.Id })).Json(HttpStatusCode.OK);
            if (!await LiveBoard.EventuallyAsync(async () => await ItemsAsync(bob.Id, board) > 0)) { tally.Fail(round, "control: the first assignment put nothing in Bob's inbox"); continue; }
            var assigning = Enumerable.Range(0, 4).Select(tab => Task.Run(async () =>
            {
                for (var i = 1 + tab; i < tasks.Count; i += 4)
                    if (!(await ada.Client.Patch($"/api/tasks/{tasks[i]}", new { assigneeId = bob.Id })).IsSuccessStatusCode) return;
            })).ToList();
            await Task.Delay(60);
            await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);
            var snapshot = await ItemsAsync(bob.Id, board);
            await Task.WhenAll(assigning);
            if (!await Outbox.DrainedAsync(app, "inbox:")) tally.Fail(round, "the inbox outbox rows did not drain");
            var final = await ItemsAsync(bob.Id, board);
            if (final != snapshot) tally.Fail(round, $"{final - snapshot} inbox item(s) landed after the removal answered ({snapshot} right after it)");
        }
        tally.AssertNone("inbox items across a removal");
    }

    // ---- an account deleted ------------------------------------------------------------------------------------------

    /// <summary>A guard: after DELETE /api/me nothing is left that could reach the person or act for them — inbox items,
    /// sessions, API tokens, the calendar feed, board notification settings — and the token and the feed's secret URL no
    /// longer work. Cy, who kept her account, is the control (her token and feed still work).</summary>
    [Fact]
    public async Task ADeletedAccountLeavesNothingThatReachesOrActsForIt()
    {
        app.Gate.Up = true;
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            var (ada, bob, cy, board) = await TrioAsync();
            var tokens = new Dictionary<Guid, string>();
            var feeds = new Dictionary<Guid, string>();
            foreach (var who in new[] { bob, cy })
            {
                tokens[who.Id] = (await (await who.Client.PostAsJsonAsync("/api/me/tokens", new { name = "ci", scope = "read" })).Json(HttpStatusCode.Created)).GetProperty("token").GetString()!;
                feeds[who.Id] = new Uri((await who.Client.GetJson("/api/me/calendar")).GetProperty("url").GetString()!).AbsolutePath;
                await (await who.Client.PutAsJsonAsync($"/api/boards/{board}/notification-settings", new { level = "watching", email = true })).Json(HttpStatusCode.OK);
                await ada.CreateTaskAsync(board, new { title = $"for {who.Id:N}", assigneeId = who.Id });
            }
            Assert.True(await LiveBoard.EventuallyAsync(() => Db(db => db.Set<Notification>().AnyAsync(n => n.UserId == bob.Id))));
            Assert.True(await PendingForAsync(bob.Id, board)); // (his change emails recorded too)
            await (await Races.DeleteAccountAsync(bob)).Json(HttpStatusCode.NoContent);

            var left = await Db(async db => new Dictionary<string, int>
            {
                ["inbox items"] = await db.Set<Notification>().CountAsync(n => n.UserId == bob.Id),
                ["sessions"] = await db.Set<TaskHub.Server.Features.Auth.RefreshToken>().CountAsync(t => t.UserId == bob.Id),
                ["API tokens"] = await db.Set<TaskHub.Server.Features.Integrations.ApiToken>().CountAsync(t => t.UserId == bob.Id),
                ["calendar feeds"] = await db.Set<TaskHub.Server.Features.Integrations.CalendarFeed>().CountAsync(f => f.UserId == bob.Id),
                ["board notification settings"] = await db.Set<BoardNotificationSetting>().CountAsync(x => x.UserId == bob.Id),
                ["change emails, waiting or sealed,"] = await db.Set<PendingChangeEmail>().CountAsync(p => p.RecipientId == bob.Id),
            });
            foreach (var (what, count) in left.Where(x => x.Value > 0)) tally.Fail(round, $"{count} {what} of the deleted account are left");
            var anon = app.CreateClient();
            foreach (var (who, expected) in new[] { (bob, false), (cy, true) })
            {
                var withToken = app.ClientWithToken(tokens[who.Id]);
                var me = await withToken.GetAsync("/api/me");
                var feed = await anon.GetAsync(feeds[who.Id]);
                if (me.IsSuccessStatusCode != expected) tally.Fail(round, $"{(expected ? "control: Cy's" : "the deleted account's")} API token answered {(int)me.StatusCode}");
                if (feed.IsSuccessStatusCode != expected) tally.Fail(round, $"{(expected ? "control: Cy's" : "the deleted account's")} calendar feed answered {(int)feed.StatusCode}");
            }
        }
        tally.AssertNone("what an account deletion leaves");
    }

    // ---- change emails stored for someone who lost the right ------------------------------------------------------

    private Task<int> ChangeRowsAsync(Guid? recipient, Guid board) =>
        Db(db => db.Set<PendingChangeEmail>().CountAsync(p => (recipient == null || p.RecipientId == recipient) && p.BoardId == board));

    /// <summary>A removal takes the change emails stored for the person on that board with it before it answers: a burst
    /// still waiting goes, and one already emailed (sealed) loses the changes' text but stays, the mark by which a change
    /// delivered again is not emailed again (<c>ARedelivered…</c> below). Theirs on another board, and another member's on
    /// this one, stay.</summary>
    [Fact]
    public async Task ChangeEmailsStoredForARemovedMemberGoWithTheRemoval()
    {
        app.Gate.Up = true;
        var (ada, bob, cy, board) = await TrioAsync();
        var other = await ada.CreateBoardAsync("Other");
        await ada.AddMemberAsync(other, bob);
        var id = (await ada.CreateTaskAsync(board, new { title = "Secret plan", assigneeId = bob.Id, supervisorId = cy.Id })).GetProperty("id").GetGuid();
        await ada.CreateTaskAsync(other, new { title = "Elsewhere", assigneeId = bob.Id });
        await AwaitMailsAsync(bob); // the first burst sealed and sent
        Assert.True(await LiveBoard.EventuallyAsync(() => Db(db => db.Set<PendingChangeEmail>().AnyAsync(p => p.RecipientId == bob.Id && p.BoardId == board && p.BatchKey != null))));
        await (await ada.Client.Patch($"/api/tasks/{id}", new { title = "Secret plan, revised" })).Json(HttpStatusCode.OK);
        Assert.True(await LiveBoard.EventuallyAsync(() => Db(db => db.Set<PendingChangeEmail>().AnyAsync(p => p.RecipientId == bob.Id && p.BoardId == board && p.BatchKey == null))));
        Assert.True(await PendingForAsync(cy.Id, board));
        Assert.True(await PendingForAsync(bob.Id, other));

        await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);

        var bobs = await Db(db => db.Set<PendingChangeEmail>().AsNoTracking().Where(p => p.RecipientId == bob.Id && p.BoardId == board).ToListAsync());
        Assert.DoesNotContain(bobs, p => p.BatchKey == null); // the waiting burst went
        Assert.DoesNotContain(bobs, p => p.Payload != ""); // no change's text is kept for him
        Assert.Contains(bobs, p => p.BatchKey != null); // the sent burst's mark stays (until the purge)
        Assert.NotEqual(0, await ChangeRowsAsync(cy.Id, board)); // Cy's stay
        Assert.NotEqual(0, await ChangeRowsAsync(bob.Id, other));
    }

    /// <summary>A board's deletion takes every change email stored on it, a former member's sealed marks too; another
    /// board's stay.</summary>
    [Fact]
    public async Task ChangeEmailsStoredOnADeletedBoardGoWithIt()
    {
        app.Gate.Up = true;
        var (ada, bob, cy, board) = await TrioAsync();
        var kept = await ada.CreateBoardAsync("Kept");
        await ada.AddMemberAsync(kept, bob);
        await ada.CreateTaskAsync(board, new { title = "Acquisition target", assigneeId = bob.Id, supervisorId = cy.Id });
        await ada.CreateTaskAsync(kept, new { title = "Kept task", assigneeId = bob.Id });
        Assert.True(await PendingForAsync(bob.Id, board));
        Assert.True(await PendingForAsync(cy.Id, board));
        Assert.True(await PendingForAsync(bob.Id, kept));
        // Dan left the board earlier: his burst had been emailed, and its row stayed as a mark without text.
        var dan = await app.SignUpAsync("Dan");
        var recorded = await Db(db => db.Set<PendingChangeEmail>().AsNoTracking().FirstAsync(p => p.RecipientId == bob.Id && p.BoardId == board));
        await Db(async db =>
        {
            db.Add(new PendingChangeEmail
            {
                RecipientId = dan.Id, BoardId = board, ActorId = recorded.ActorId, Seq = recorded.Seq, TaskId = recorded.TaskId,
                Payload = "", At = recorded.At, RecordedAt = recorded.RecordedAt, BatchKey = $"change-email:{dan.Id:N}:sent",
            });
            return await db.SaveChangesAsync();
        });

        await (await ada.Client.DeleteAsync($"/api/boards/{board}")).Json(HttpStatusCode.NoContent);

        Assert.Equal(0, await ChangeRowsAsync(null, board));
        Assert.NotEqual(0, await ChangeRowsAsync(bob.Id, kept));
    }

    /// <summary>A change recorded for someone who is no longer a member (recorded in a race with their removal: its
    /// recipients read just before the removal committed; made here by storing the row directly) is emptied when its
    /// burst is due: no email, and its sealed row keeps no text. Bob's burst, due at the same time, is the control.</summary>
    [Fact]
    public async Task AChangeRecordedForSomeoneNoLongerAMemberIsEmptiedWhenDue()
    {
        app.Gate.Up = true;
        var (ada, bob, _, board) = await TrioAsync();
        var dan = await app.SignUpAsync("Dan"); // never a member of the board
        await ada.CreateTaskAsync(board, new { title = "Secret plan", assigneeId = bob.Id });
        Assert.True(await PendingForAsync(bob.Id, board));
        var recorded = await Db(db => db.Set<PendingChangeEmail>().AsNoTracking().FirstAsync(p => p.RecipientId == bob.Id && p.BoardId == board));
        await Db(async db =>
        {
            db.Add(new PendingChangeEmail
            {
                RecipientId = dan.Id, BoardId = board, ActorId = recorded.ActorId, Seq = recorded.Seq, TaskId = recorded.TaskId,
                Payload = recorded.Payload, At = recorded.At, RecordedAt = recorded.RecordedAt,
            });
            return await db.SaveChangesAsync();
        });

        await AwaitMailsAsync(bob); // the control's burst was due and sent
        Assert.True(await LiveBoard.EventuallyAsync(() => Db(db => db.Set<PendingChangeEmail>().AnyAsync(p => p.RecipientId == dan.Id && p.BatchKey != null)), 20),
            "the burst of a non-member was not handled when due");
        Assert.Equal(0, await Db(db => db.Set<PendingChangeEmail>().CountAsync(p => p.RecipientId == dan.Id && p.Payload != "")));
        Assert.False(await Db(db => db.Set<OutboxMessage>().AnyAsync(m => m.Key.StartsWith($"change-email:{dan.Id:N}:"))));
        Assert.Empty(await MailDev.ForAsync(dan.Email));
        Assert.NotEqual(0, await ChangeRowsAsync(bob.Id, board)); // Bob's burst, sent, stays sealed (two days)
    }

    // ---- a redelivered change after a removal and a re-add (review of NotificationsOnLeave) ----------------------------

    /// <summary>The task-email outbox message of <paramref name="seq"/> delivered again, as after a replica that recorded
    /// the change (RecordAsync committed) but died, or whose dispatcher's save failed, before the message was marked
    /// delivered: its lease runs out and another replica delivers it again. Returns once it was delivered again.</summary>
    private async Task RedeliverAsync(Guid board, long seq)
    {
        var key = $"{OutboxKinds.TaskEmail}:{board:N}:{seq}";
        Assert.True(await LiveBoard.EventuallyAsync(() => Db(db => db.Set<OutboxMessage>().AnyAsync(m => m.Key == key && m.DeliveredAt != null)), 20),
            $"{key} was not delivered the first time");
        var now = DateTime.UtcNow;
        Assert.Equal(1, await Db(db => db.Set<OutboxMessage>().Where(m => m.Key == key).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.DeliveredAt, (DateTime?)null).SetProperty(m => m.NextAttemptAt, now)
            .SetProperty(m => m.ClaimToken, (Guid?)null).SetProperty(m => m.ClaimedUntil, (DateTime?)null))));
        Assert.True(await LiveBoard.EventuallyAsync(() => Db(db => db.Set<OutboxMessage>().AnyAsync(m => m.Key == key && m.DeliveredAt != null)), 20),
            $"{key} was not delivered again");
    }

    /// <summary>A burst of two changes (Ada creates a task for Bob, then edits it) is one email. Bob is removed and added
    /// again; then the second change's outbox message is delivered again (the at-least-once outbox). RecordAsync
    /// recognises a redelivery only by the stored row (BoardId, Seq, RecipientId), which the removal deleted although it
    /// was sealed and its email sent: the change is recorded again, as a burst of its own under a new key, and Bob gets
    /// it a second time. (Kept sealed for two days, as before NotificationsOnLeave, the row made the redelivery a no-op.)</summary>
    [Fact]
    public async Task ARedeliveredChangeIsNotEmailedAgainAfterARemovalAndReAdd()
    {
        app.Gate.Up = true;
        var (ada, bob, _, board) = await TrioAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "Secret plan", assigneeId = bob.Id })).GetProperty("id").GetGuid();
        await (await ada.Client.Patch($"/api/tasks/{id}", new { priority = "urgent" })).Json(HttpStatusCode.OK);
        var edited = await ada.LastSeqAsync(board);
        await AwaitMailsAsync(bob);
        Assert.True(await SettledAsync());
        var keys = await Db(db => db.Set<PendingChangeEmail>().Where(p => p.RecipientId == bob.Id && p.BoardId == board).Select(p => p.BatchKey).Distinct().ToListAsync());
        Assert.True(keys.Count == 1, "precondition: the two changes were one burst (a loaded machine split them)");
        Assert.Equal(1, await MailsAsync(bob));

        await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);
        Assert.True(await SettledAsync()); // (the removal's unassignment handled while Bob is no member: no email for it)
        await ada.AddMemberAsync(board, bob);
        await RedeliverAsync(board, edited);

        Assert.True(await SettledAsync());
        await Task.Delay(TimeSpan.FromSeconds(3)); // (any second email would be on its way by now)
        Assert.True(await SettledAsync());
        Assert.Equal(1, await MailsAsync(bob));
    }

    /// <summary>Bob's burst of one change (Ada creates a task for him) is sent. Bob is removed and added again, and the
    /// change's outbox message is delivered again: it is recorded again (its stored row went with the removal), and its
    /// burst's key is the first burst's (<c>change-email:{bob}:{board}:{seq}</c>), whose outbox row is still there. The
    /// flusher's insert of the email then fails on the unique key every round and rolls back; the row stays waiting, and
    /// every later change by Ada for Bob on the board joins that burst (same first seq, same key): Bob gets none of them.</summary>
    [Fact]
    public async Task ARedeliveredChangeAfterARemovalAndReAddDoesNotStopLaterEmails()
    {
        app.Gate.Up = true;
        var (ada, bob, _, board) = await TrioAsync();
        var id = (await ada.CreateTaskAsync(board, new { title = "Secret plan", assigneeId = bob.Id })).GetProperty("id").GetGuid();
        var created = await ada.LastSeqAsync(board);
        await AwaitMailsAsync(bob);
        Assert.True(await SettledAsync());
        Assert.Equal(1, await MailsAsync(bob));

        await (await ada.Client.DeleteAsync($"/api/boards/{board}/members/{bob.Id}")).Json(HttpStatusCode.NoContent);
        Assert.True(await SettledAsync()); // (the removal's unassignment handled while Bob is no member: no email for it)
        await ada.AddMemberAsync(board, bob);
        await RedeliverAsync(board, created);
        await (await ada.Client.Patch($"/api/tasks/{id}", new { assigneeId = bob.Id, priority = "urgent" })).Json(HttpStatusCode.OK); // a new change for Bob

        await AwaitMailsAsync(bob, 2);
        Assert.True(await SettledAsync(), "a change email stayed waiting (its burst's email never queued)");
        var mails = await MailDev.ForAsync(bob.Email);
        Assert.True(mails.Count >= 2, "Bob's email about the new change never came");
    }

    // ---- invitations -----------------------------------------------------------------------------------------------

    /// <summary>Two invitations queued (held by the gate); one is revoked before the gate opens.</summary>
    [Fact]
    public async Task AnInvitationRevokedBeforeItsEmailWentIsNotSent()
    {
        var tally = new RaceTally(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            app.Gate.Up = true;
            var ada = await app.SignUpAsync("Ada");
            var board = await ada.CreateBoardAsync($"Invite-only {round}");
            var revoked = $"revoked-{Guid.NewGuid():N}@example.com";
            var kept = $"kept-{Guid.NewGuid():N}@example.com";
            app.Gate.Up = false;
            try
            {
                var first = (await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = revoked })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
                var second = (await (await ada.Client.PostAsJsonAsync($"/api/boards/{board}/invitations", new { email = kept })).Json(HttpStatusCode.Created)).GetProperty("id").GetGuid();
                Assert.True(await HeldAsync($"email:invitation:{first:N}"));
                Assert.True(await HeldAsync($"email:invitation:{second:N}"));
                await (await ada.Client.DeleteAsync($"/api/invitations/{first}")).Json(HttpStatusCode.NoContent);
            }
            finally
            {
                app.Gate.Up = true;
            }
            await LiveBoard.EventuallyAsync(async () => (await MailDev.ForAsync(kept)).Count > 0, 20);
            if (!await SettledAsync()) await NotSettledAsync(tally, round);
            if ((await MailDev.ForAsync(kept)).Count == 0) tally.Fail(round, "control: the kept invitation's email did not arrive");
            if ((await MailDev.ForAsync(revoked)).Count > 0) tally.Fail(round, "the revoked invitation's email was sent after the revocation answered");
        }
        tally.AssertNone("invitation email across its revocation");
    }
}

public sealed class DeliveryAfterLosingAccessTestsOnSqlite(SqliteDeliveryApplication app)
    : DeliveryAfterLosingAccessTests<SqliteDeliveryApplication>(app), IClassFixture<SqliteDeliveryApplication>;

public sealed class DeliveryAfterLosingAccessTestsOnMariaDb(MariaDbDeliveryApplication app)
    : DeliveryAfterLosingAccessTests<MariaDbDeliveryApplication>(app), IClassFixture<MariaDbDeliveryApplication>;
