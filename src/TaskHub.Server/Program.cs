using TaskHub.Server.Data;
using TaskHub.Server.Features.Activity;
using TaskHub.Server.Features.Attachments;
using TaskHub.Server.Features.Auth;
using TaskHub.Server.Features.Boards;
using TaskHub.Server.Features.Idempotency;
using TaskHub.Server.Features.Integrations;
using TaskHub.Server.Features.Invitations;
using TaskHub.Server.Features.Jobs;
using TaskHub.Server.Features.Notifications;
using TaskHub.Server.Features.Realtime;
using TaskHub.Server.Features.Reports;
using TaskHub.Server.Features.Tasks;
using TaskHub.Server.Infrastructure;

SendBufferPool.Configure(); // before anything rents from the runtime's shared ArrayPool

var builder = WebApplication.CreateBuilder(args);

builder.AddTaskHubData();
builder.AddTaskHubApi();
builder.AddTaskHubLogging();
builder.AddTaskHubAuth();
builder.AddTaskHubIntegrations();
builder.AddTaskHubBoards();
builder.AddTaskHubTasks();
builder.AddTaskHubRealtime();
builder.AddTaskHubNotifications();
builder.AddTaskHubActivity();
builder.AddTaskHubAttachments();
builder.AddTaskHubJobs();
builder.AddTaskHubIdempotency();

var app = builder.Build();

if (DataExtensions.IsMigrateCommand(args))
{
    // `TaskHub.Server migrate`: apply the schema once, before replicas start, then exit.
    await app.Services.MigrateTaskHubDatabaseAsync();
    return;
}
await app.PrepareTaskHubDatabaseAsync();

app.UseConnectionCloseWhileStopping();
app.UseTaskHubApi();
app.UseIdempotencyKeys();

app.MapAuth();
app.MapMe();
app.MapSessions();
app.MapTwoFactor();
app.MapOidc();
app.MapBoards();
app.MapBoardRename();
app.MapMembers();
app.MapAccountDeletion();
app.MapTasks();
app.MapComments();
app.MapChecklists();
app.MapLabels();
app.MapSearch();
app.MapAttachments();
app.MapInvitations();
app.MapApiTokens();
app.MapWebhooks();
app.MapCalendar();
app.MapBoardTransfer();
app.MapActivity();
app.MapRealtime();
app.MapReports();
app.MapInbox();
app.MapUnsubscribe();
app.MapTaskHubJobs();
app.MapOperations();
app.MapTaskHubWebApp();

app.Run();

public partial class Program;
